"""The review loop on the application details page: 上一条 / 下一条 within the reviewer's own
filtered list, 通过并下一条 and 退回/不通过并下一条 with a reason asked in the page.

The list the reviewer came from travels in Flask-Admin's ``url`` argument (its filters, search, sort
and page); the neighbours are read in one statement (``app.domain.review.navigation``). The change
itself is ``app.domain.workflow.transition``; a claim decision is ``app.domain.review.claims``.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import flash, redirect, request, session
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import ImmutableMultiDict

from app.domain.review.claims import (
    LEVELS,
    ClaimError,
    approval_refusal,
    claimed_types,
    decide_claim,
    decision_level,
    decisions_of,
    outcomes,
)
from app.domain.review.navigation import NOT_LISTED, QUEUE_ORDER, Neighbours, neighbours
from app.domain.workflow import TransitionError, action_label, find_edge, transition
from app.extensions import db
from models import Application
from models.clock import now
from models.enums import ReviewLevel
from views.admin.list_rows import list_rows
from views.admin.review_actions import FIELDS_TO_FIX, MAX_REASON, PRESET_REASONS
from views.helpers import parse_id

LOOP_KINDS = ("approve", "return", "reject")
KEPT = "review_loop_kept"  # what the reviewer typed, shown again after a refusal


def keep_typed(application_id: int, **texts) -> None:
    texts = {k: v for k, v in texts.items() if v}
    if texts:
        session[KEPT] = {"id": application_id, **texts}


def kept_typed(application_id: int) -> dict:
    kept = session.get(KEPT)
    if not kept or kept.get("id") != application_id:
        return {}
    session.pop(KEPT, None)
    return kept


def waiting_formatter(view, context, model, name):
    """How long the application has waited in its status: "已等 3 天"."""
    if model.status_changed_at is None:
        return ""
    return _("%(days)s days", days=max((now() - model.status_changed_at).days, 0))


def claimed_formatter(view, context, model, name):
    """The exemption types claimed, read for the whole page at once (``ReviewLoopMixin.render``)."""
    types = (context.get("claimed_types") or {}).get(model.id)
    return _("Types %(types)s", types="、".join(str(t) for t in types)) if types else ""


class ReviewLoopMixin:
    """For the application view: the loop's context on the details page and its one action."""

    def render(self, template, **kwargs):
        if template == self.list_template and kwargs.get("data") is not None:
            kwargs["claimed_types"] = claimed_types(kwargs["data"])
            kwargs["row_buttons"] = self.list_row_buttons(kwargs["data"], kwargs.get("return_url") or "")
            kwargs["review_post_url"] = self.get_url(".review_view")
            kwargs["page_csrf_token"] = generate_csrf()
            kwargs["list_rows"] = list_rows(self, kwargs)
        return super().render(template, **kwargs)

    # --- the list the reviewer came from ---------------------------------------------------------
    def list_url(self) -> str:
        """The reviewer's list (filters, search, sort, page) from the ``url`` argument; the plain list
        when it is missing or is not this view's list."""
        index = self.get_url(".index_view")
        target = get_redirect_target()
        if target and urlsplit(target).path == urlsplit(index).path:
            return target
        return index

    def list_args(self, list_url: str):
        """Flask-Admin's own reading of the list's query string (filters checked as on the list)."""
        current = request._get_current_object()
        saved = current.__dict__.get("args")
        current.__dict__["args"] = ImmutableMultiDict(parse_qsl(urlsplit(list_url).query, keep_blank_values=True))
        try:
            return self._get_list_extra_args()
        finally:
            if saved is None:
                current.__dict__.pop("args", None)
            else:
                current.__dict__["args"] = saved

    def loop_order(self, view_args) -> tuple:
        column = self._get_column_by_idx(view_args.sort) if view_args.sort is not None else None
        field = self._sortable_columns.get(column[0]) if column else None
        if field is None or isinstance(field, list):
            return QUEUE_ORDER
        # ties by id in the same direction, as the list orders them (ApplicationView._apply_sorting)
        return ((field.desc(), Application.id.desc()) if view_args.sort_desc
                else (field.asc(), Application.id.asc()))

    def loop_query(self, view_args):
        """The list's query without paging: scope, search and filters as the list applies them."""
        query, joins = self.get_query(), {}
        if self._search_supported and view_args.search:
            query, _count, joins, _count_joins = self._apply_search(query, None, joins, {}, view_args.search)
        if view_args.filters and self._filters:
            query, _count, joins, _count_joins = self._apply_filters(query, None, joins, {}, view_args.filters)
        return query

    def loop_neighbours(self, application_id: int, list_url: str) -> Neighbours:
        view_args = self.list_args(list_url)
        return neighbours(self.loop_query(view_args), self.loop_order(view_args), application_id)

    def list_url_at(self, list_url: str, found: Neighbours) -> str:
        """``list_url`` on the page that holds ``found``'s position."""
        parts = urlsplit(list_url)
        args = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
        page_size = self.list_args(list_url).page_size or self.page_size
        page = found.page(page_size) if found.position else 0
        if page:
            args.append(("page", str(page)))
        return urlunsplit(parts._replace(query=urlencode(args)))

    def details_url(self, application_id: int, list_url: str) -> str:
        return self.get_url(".details_view", id=application_id, url=list_url)

    # --- the details page ------------------------------------------------------------------------
    def loop_actions(self, application) -> dict[str, str]:
        """The user's loop actions possible now, by kind: {"approve": "county_approve", …}."""
        found = {}
        for kind in LOOP_KINDS:
            name = self.review_actions().get(kind)
            edge = find_edge(application.batch.program, application.status, name) if name else None
            if edge is not None and edge.role == current_user.role:
                found[kind] = name
        return found

    def loop_context(self, application) -> dict:
        list_url = self.list_url()
        found = self.loop_neighbours(application.id, list_url)
        actions = self.loop_actions(application)
        kept = kept_typed(application.id)
        decided = decisions_of([application.id])
        return {
            "loop": found, "list_url": list_url if found is NOT_LISTED else self.list_url_at(list_url, found),
            "loop_prev_url": self.details_url(found.previous, list_url) if found.previous else None,
            "loop_next_url": self.details_url(found.next, list_url) if found.next else None,
            "loop_actions": actions, "loop_labels": {kind: action_label(name) for kind, name in actions.items()},
            "loop_reason": kept.get("reason", ""), "kept": kept,
            "claim_decisions": decided, "claim_level": decision_level(current_user, application),
            "claim_levels": LEVELS, "level_labels": {level: ReviewLevel.label(level) for level in LEVELS},
            "claim_outcomes": outcomes(application, decided), "loop_presets": [str(p) for p in PRESET_REASONS],
            "loop_fields": [str(f) for f in FIELDS_TO_FIX],
        }

    # --- the action ------------------------------------------------------------------------------
    @expose("/loop/", methods=("POST",))
    def loop_view(self):
        """Approve, return or reject the application, then open the next one of the same list (or
        the list itself, on the same page, when none is left)."""
        list_url = self.list_url()
        application = self.get_one(request.form.get("id", ""))
        if application is None:
            flash(_("This application does not exist or is outside your scope."), "error")
            return redirect(list_url)
        here = self.details_url(application.id, list_url)
        reason = (request.form.get("reason") or "").replace("\x00", "").strip()[:MAX_REASON]
        allowed = [str(f) for f in FIELDS_TO_FIX]
        fields = [f for f in request.form.getlist("fields_to_fix") if f in allowed]
        name = self.loop_actions(application).get(request.form.get("kind", ""))
        refusal = self.loop_refusal(application, name, reason)
        if refusal is None:
            before = self.loop_neighbours(application.id, list_url)
            try:
                transition(application, name, current_user._get_current_object(), reason=reason or None,
                           fields_to_fix=fields if name.endswith("_return") and fields else None)
                db.session.commit()
            except TransitionError as error:
                db.session.rollback()
                refusal = str(error)
        if refusal is not None:
            flash(refusal, "error")
            keep_typed(application.id, reason=reason)
            return redirect(here)
        flash(_("%(name)s: %(action)s.", name=application.trainee.name, action=action_label(name)), "success")
        target = before.next or before.previous
        at = self.list_url_at(list_url, self.loop_neighbours(target, list_url) if target else NOT_LISTED)
        return redirect(self.details_url(before.next, at) if before.next else at)

    def loop_refusal(self, application, name: str | None, reason: str) -> str | None:
        """Why the posted action cannot be applied as it is, in Chinese; None when it can."""
        if name is None:
            return _("This action is not possible for this application now.")
        seen = request.form.get("seen", "")
        if seen != str(application.version):
            return _("Someone else has just changed this application. Please reload the page.")
        if (name.endswith("_return") or name.endswith("_reject")) and not reason:
            return _("Please give a reason.")
        if name.endswith("_approve"):
            return approval_refusal(application, current_user)
        return None

    @expose("/claim/", methods=("POST",))
    def claim_view(self):
        """同意 or 不同意 one exemption claim of the application, then back to its details page."""
        list_url = self.list_url()
        application = self.get_one(request.form.get("id", ""))
        if application is None:
            flash(_("This application does not exist or is outside your scope."), "error")
            return redirect(list_url)
        claim_id = parse_id(request.form.get("claim", ""))
        agreed = request.form.get("agreed") == "1"
        reason = (request.form.get("claim_reason") or "")[:MAX_REASON]
        try:
            decide_claim(application, claim_id, agreed, reason, current_user._get_current_object())
            db.session.commit()
        except ClaimError as error:
            db.session.rollback()
            flash(str(error), "error")
            keep_typed(application.id, **{f"claim_{claim_id}": reason})
        else:
            flash(_("Decision recorded: %(decision)s.", decision=_("Agreed") if agreed else _("Not agreed")), "success")
        return redirect(self.details_url(application.id, list_url) + f"#claim-{claim_id or ''}")
