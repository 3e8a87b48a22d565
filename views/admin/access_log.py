"""Back-office view of the access log (reads of personal information): the superuser's alone, read-only."""
from datetime import timedelta

from flask_admin.contrib.sqla import filters
from flask_babel import lazy_gettext as _l

from models import AccessAction, AccessLog, Role
from views.admin.base import ReadOnlyModelView, choice_formatter

RECORD_TYPES = [
    ("trainee", _l("Trainee")), ("application", _l("Application")), ("attachment", _l("Attachment")),
    ("education", _l("Education")), ("employment", _l("Employment")), ("licence", _l("Licence")),
    ("account", _l("Account")), ("exemption_request", _l("Exemption request")),
    ("application_choice", _l("Specialty choice")), ("review_record", _l("Review record")),
    ("sms_log", _l("SMS log")),
]


class RecordTypes:
    """The record kinds as labels (an unknown kind is shown as stored)."""

    @staticmethod
    def label(value) -> str:
        return next((str(label) for key, label in RECORD_TYPES if key == value), value or "")


class DayRangeFilter(filters.DateBetweenFilter):
    """A range of days, both included (the stored value is a time of day)."""

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        return query.filter(column >= start, column < end + timedelta(days=1))


class AccessLogView(ReadOnlyModelView):
    read_roles = (Role.SUPERUSER,)
    can_export = True
    pii_columns = ()  # the log itself is the superuser's: queries are shown as typed
    column_labels = {
        "at": _l("Time"), "actor_name": _l("Operator"), "actor_role": _l("Role"), "action": _l("Access"),
        "record_type": _l("Record kind"), "record_id": _l("Record No."), "field_name": _l("Field"),
        "query": _l("Query or filters"), "row_count": _l("Rows"), "reason": _l("Reason"),
        "address": _l("Network address"),
    }
    column_list = ("at", "actor_name", "actor_role", "action", "record_type", "record_id", "field_name", "query",
                   "row_count", "reason", "address")
    column_details_list = column_list
    column_export_list = column_list
    column_default_sort = ("at", True)
    column_sortable_list = ("at", "actor_name", "action")
    column_searchable_list = ()
    column_formatters = {"action": choice_formatter(AccessAction), "actor_role": choice_formatter(Role),
                         "record_type": choice_formatter(RecordTypes)}
    column_formatters_export = column_formatters
    column_formatters_detail = column_formatters
    column_filters = (
        filters.FilterEqual(AccessLog.actor_name, _l("Operator")),
        filters.FilterEqual(AccessLog.action, _l("Access"), options=AccessAction.lazy_choices()),
        DayRangeFilter(AccessLog.at, _l("Time")),
        filters.FilterEqual(AccessLog.record_type, _l("Record kind"), options=RECORD_TYPES),
        filters.FilterEqual(AccessLog.record_id, _l("Record No.")),
        filters.FilterEqual(AccessLog.address, _l("Network address")),
    )
    export_name = _l("Access log")
