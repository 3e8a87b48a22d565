"""全部 N 条符合条件的报名: a review action over the whole filtered list of applications.

The list posts its filter (its query string) and the count the reviewer saw in the body; the
confirmation page shows the count and asks for the reason when the action needs one; at the final
submit the filter is run again and, if its count changed meanwhile, nothing is applied. Then the
ids found are queued as a job (``app.domain.review.bulk``) and the reviewer follows it on its page."""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from app.domain.review.bulk import start_bulk
from app.domain.workflow import action_label
from app.domain.workflow.table import needs_reason
from app.infra import jobs
from app.infra.access_log import record_access
from models import AccessAction
from views.admin.base import without_nul
from views.helpers import parse_id

MAX_FILTER = 2000  # characters of a posted query string
MAX_REASON = 500


class BulkAllMixin:
    """For the application list: the user's review actions over every row its filter matches."""

    def bulk_all_actions(self) -> list[tuple[str, str]]:
        return [(name, action_label(name)) for name in self.review_actions().values()]

    def _matching_ids(self, query_string: str) -> tuple[list[int], str]:
        """The ids the list shows for ``query_string`` (the user's scope), and its filter in Chinese."""
        with current_app.test_request_context(self.get_url(".index_view"), query_string=query_string):
            pk = self.model.__mapper__.primary_key[0]
            ids = [row[0] for row in self.export_list_query().with_entities(pk)]
            return ids, self.filter_description()

    @expose("/bulk-all/", methods=("POST",))
    def bulk_all_view(self):
        name = request.form.get("action", "")
        if name not in self.review_actions().values():
            abort(403)
        query_string = without_nul(request.form.get("filter") or "")[:MAX_FILTER]
        seen = parse_id(request.form.get("count", ""))
        reason = without_nul(request.form.get("reason") or "").strip()[:MAX_REASON]
        ids, description = self._matching_ids(query_string)
        list_url = self.get_url(".index_view") + (f"?{query_string}" if query_string else "")
        error = None
        if seen is not None and seen != len(ids) and request.form.get("confirmed") != "1":
            error = self._bulk_refusal(name, seen, ids, reason)  # the list was older than the filter's result
        if request.form.get("confirmed") == "1":
            error = self._bulk_refusal(name, seen, ids, reason)
            if error is None:
                return self._start(name, reason, ids, description, query_string, list_url)
        return self.render("admin/bulk_all.html", action_name=name, title=action_label(name), count=len(ids),
                           seen=len(ids), query_string=query_string, description=description, reason=reason,
                           needs_reason=needs_reason(name), error=error, list_url=list_url), (409 if error else 200)

    @staticmethod
    def _bulk_refusal(name: str, seen: int | None, ids: list[int], reason: str) -> str | None:
        if seen is None or seen != len(ids):
            return _("The filter's result has changed since you confirmed (%(seen)s then, %(now)s now). Nothing was "
                     "applied; please check the count and confirm again.", seen=seen if seen is not None else "?",
                     now=len(ids))
        if not ids:
            return _("No application matches the filter; nothing to apply.")
        if needs_reason(name) and not reason:
            return _("Please give a reason.")
        return None

    def _start(self, name, reason, ids, description, query_string, list_url):
        try:
            job_id = start_bulk(current_user._get_current_object(), name, reason, ids, description)
        except jobs.QueueUnavailable:
            return self.render("admin/bulk_all.html", action_name=name, title=action_label(name), count=len(ids),
                               seen=len(ids), query_string=query_string, description=description, reason=reason,
                               needs_reason=needs_reason(name), list_url=list_url,
                               error=_("The task queue is unavailable; please try again later.")), 503
        record_access(AccessAction.REVIEW, "application", query=query_string, rows=len(ids))
        return redirect(url_for("jobs.detail", job_id=job_id))
