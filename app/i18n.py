"""Locale selection and Chinese display helpers for templates and lists."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask_admin import babel as admin_babel
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from models import Status, enums

LOCALE = "zh_Hans_CN"


def select_locale() -> str:
    """The platform speaks Simplified Chinese to everyone."""
    return LOCALE


def select_timezone() -> str:
    return "Asia/Shanghai"


def cn_date(value: date | None) -> str:
    """``2025年5月6日``."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    """``2025年5月6日 09:00``."""
    if value is None:
        return ""
    return f"{cn_date(value)} {value:%H:%M}"


def yes_no(value: bool | None) -> str:
    from flask_babel import gettext
    if value is None:
        return ""
    return gettext("Yes") if value else gettext("No")


def enum_label(value, choices_name: str) -> str:
    """The Chinese label of an enumeration value, e.g. ``row.level|enum_label("EducationLevel")``."""
    return enums.__dict__[choices_name].label(value) if value else ""


def status_label(value, program=None) -> str:
    return Status.label_for(value, program)


# Flask-Admin's own phrases that read badly in its Chinese catalogue ("20 项目", "选中的", "表中没有任何记录"):
# the platform's wording for them is in our catalogue, which Flask-Admin reads after its own (see below).
FLASK_ADMIN_WORDING = (
    _l("items"), _l("With selected"), _l("There are no items in the table."), _l("equals"), _l("not equal"),
    _l("Delete?"), _l("Add Filter"), _l("Reset Filters"), _l("Apply"), _l("Select all"),
)
PAGE_SIZES = (20, 50, 100)  # the list pages' sizes: Flask-Admin asks for "{n} item" / "{n} items"


def page_size_wording() -> list[str]:
    """The page-size menu's entries as Flask-Admin asks for them (``ngettext("20 item", "20 items", 20)``),
    worded in our catalogue: 每页 20 条 …"""
    return [ngettext("20 item", "20 items", 20), ngettext("50 item", "50 items", 50),
            ngettext("100 item", "100 items", 100)]


def prefer_platform_wording(translations_dir: str) -> None:
    """Flask-Admin translates its templates through its own ``admin`` domain, whose catalogue wins over
    any ``translations_path`` (flask-admin #1882). Read Flask-Admin's catalogue first and ours
    (``messages``) after it, so that our msgids override its wording. Idempotent."""
    domain = admin_babel.domain
    own = str(Path(admin_babel.translations.__path__[0]))
    domain._translation_directories = [own, translations_dir]
    domain.domain = ["admin", "messages"]
    domain.cache.clear()


def register_template_helpers(app) -> None:
    app.add_template_filter(enum_label, "enum_label")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(cn_datetime, "cn_datetime")
    app.add_template_filter(yes_no, "yes_no")
