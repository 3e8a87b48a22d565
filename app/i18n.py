"""Locale selection and Chinese display helpers for templates and lists."""
from __future__ import annotations

from datetime import date, datetime

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


def register_template_helpers(app) -> None:
    app.add_template_filter(enum_label, "enum_label")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(cn_datetime, "cn_datetime")
    app.add_template_filter(yes_no, "yes_no")
