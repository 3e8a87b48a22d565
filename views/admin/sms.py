"""Back-office view of the SMS log (read-only, superusers only; codes and reset links are stored masked)."""
from flask_admin.contrib.sqla import filters
from flask_babel import lazy_gettext as _l

from models import Role, SmsLog, SmsPurpose
from views.admin.base import ReadOnlyModelView, choice_formatter


class SmsLogView(ReadOnlyModelView):
    read_roles = (Role.SUPERUSER,)
    column_labels = {
        "created_at": _l("Sent at"),
        "phone": _l("Mobile"),
        "purpose": _l("Purpose"),
        "content": _l("Message text"),
        "backend": _l("Sending channel"),
        "succeeded": _l("Sent successfully"),
        "error": _l("Failure reason"),
    }
    column_list = ("created_at", "phone", "purpose", "content", "backend", "succeeded", "error")
    column_details_list = column_list
    column_export_list = column_list
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "phone", "purpose", "succeeded")
    column_searchable_list = ("phone",)
    column_formatters = {"purpose": choice_formatter(SmsPurpose)}
    column_formatters_export = column_formatters
    column_formatters_detail = column_formatters
    column_filters = (
        filters.FilterEqual(SmsLog.purpose, _l("Purpose"), options=SmsPurpose.lazy_choices()),
        filters.BooleanEqualFilter(SmsLog.succeeded, _l("Sent successfully")),
        filters.DateBetweenFilter(SmsLog.created_at, _l("Sent at")),
    )
    export_name = _l("SMS log")

    def search_placeholder(self):
        return str(_l("Mobile (all 11 digits)"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """The exact mobile number (the phone column is indexed; a substring search is not)."""
        condition = SmsLog.phone == search.strip()
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins
