"""Back-office view of the platform settings: the technical-support contacts (技术支持联系方式)."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length, NumberRange

from app.validators import Phone, PlainText
from models import Role
from views.admin.base import SecureModelView
from views.admin.labels import LABELS

SETTINGS_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)


def strip(value):
    return value.strip() if isinstance(value, str) else value


class SupportContactView(SecureModelView):
    """The contacts shown at the foot of every trainee page and error page, in display order."""

    read_roles = SETTINGS_EDITORS
    write_roles = SETTINGS_EDITORS
    delete_roles = SETTINGS_EDITORS
    can_view_details = False
    column_labels = {**LABELS, "name": _l("Name or label"), "phone": _l("Telephone"),
                     "position": _l("Display order"), "active": _l("Shown")}
    column_list = ("position", "name", "phone", "active")
    pii_columns = ()  # the platform's public support numbers, shown on every trainee page
    column_default_sort = [("position", False), ("id", False)]
    form_columns = ("name", "phone", "position", "active")
    form_args = {
        "name": {"filters": [strip], "validators": [DataRequired(), Length(max=50), PlainText()],
                 "description": _l("A person's name, or the name of a hotline.")},
        "phone": {"filters": [strip], "validators": [DataRequired(), Phone()]},
        "position": {"validators": [NumberRange(min=0, max=9999)],
                     "description": _l("Smaller numbers are shown first.")},
    }
    export_name = _l("Technical support contacts")
