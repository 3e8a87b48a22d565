"""Back-office view of the SMS log and the notifications' outbox (superusers only; codes and reset links
are stored masked). Each message shows its state; a failed notification can be sent again."""
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.domain.notifications import RESEND_ROLES, ResendError, resend_failed
from models import Role, SmsLog, SmsPurpose, SmsState
from views.admin.base import ReadOnlyModelView, choice_formatter


class SmsLogView(ReadOnlyModelView):
    read_roles = (Role.SUPERUSER,)
    column_labels = {
        "created_at": _l("Created at"),
        "phone": _l("Mobile"),
        "purpose": _l("Purpose"),
        "content": _l("Message text"),
        "backend": _l("Sending channel"),
        "state": _l("State"),
        "attempts": _l("Attempts"),
        "next_attempt_at": _l("Next attempt at"),
        "sent_at": _l("Sent at"),
        "provider_answer": _l("Provider's answer"),
        "idempotency_key": _l("Message key"),
        "succeeded": _l("Sent successfully"),
        "error": _l("Failure reason"),
    }
    column_list = ("created_at", "phone", "purpose", "content", "backend", "state", "attempts", "sent_at", "error")
    column_details_list = ("created_at", "phone", "purpose", "content", "backend", "state", "attempts",
                           "next_attempt_at", "sent_at", "provider_answer", "error", "idempotency_key")
    column_export_list = column_details_list
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "phone", "purpose", "state")
    column_searchable_list = ("phone",)
    column_formatters = {"purpose": choice_formatter(SmsPurpose), "state": choice_formatter(SmsState)}
    column_formatters_export = column_formatters
    column_formatters_detail = column_formatters
    column_filters = (
        filters.FilterEqual(SmsLog.purpose, _l("Purpose"), options=SmsPurpose.lazy_choices()),
        filters.FilterEqual(SmsLog.state, _l("State"), options=SmsState.lazy_choices()),
        filters.BooleanEqualFilter(SmsLog.succeeded, _l("Sent successfully")),
        filters.DateBetweenFilter(SmsLog.created_at, _l("Created at")),
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

    def is_action_allowed(self, name):
        if name == "resend":
            return current_user.is_authenticated and current_user.role in RESEND_ROLES
        return super().is_action_allowed(name)

    @action("resend", _l("Send again"), _l("Send the selected failed notifications again?"))
    def action_resend(self, ids):
        """A failed notification goes back to the outbox; the worker sends it (audited)."""
        try:
            count = resend_failed(self.get_scoped_ids(ids), current_user)
        except ResendError as error:
            flash(str(error), "error")
            return
        flash(_("%(count)s notifications will be sent again.", count=count), "success")
