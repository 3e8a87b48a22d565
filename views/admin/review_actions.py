"""Review and base assignment from the application list: the buttons of a row, the bulk actions, and
the confirmation pages that take a reason. What may be done is read from the transition table
(``app.domain.workflow.table``); the change itself is ``app.domain.workflow.transition``."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.domain.review.assignment import assign_base, gp_bases
from app.domain.review.claims import approval_refusal
from app.domain.workflow import TransitionError, action_label, find_edge, transition
from app.domain.workflow.table import needs_reason, review_actions, role_may
from app.errors import unsent_text
from app.extensions import db
from app.infra.access_log import record_access
from models import AccessAction, Application, Status, TrainingBase
from views.admin.urls import SAFE
from views.helpers import parse_id

# common reasons a reviewer can click to insert, then edit
PRESET_REASONS = (
    _l("The proof of leave for training lacks the unit's official seal"),
    _l("The photo of the title certificate is not clear"),
    _l("The years of work do not meet the exemption condition"),
    _l("The information entered does not match the supporting documents"),
)
# what a returned application may need fixing; the trainee sees these labels
FIELDS_TO_FIX = (
    _l("Basic information"), _l("Contact information"), _l("Education"), _l("Employment"), _l("Licence"),
    _l("Exemption requests"), _l("One-inch photo"), _l("Identity card"), _l("Diploma"),
    _l("Degree certificate"), _l("Title certificate"), _l("Practising licence page"),
    _l("Proof of leave for training"), _l("Proof of GP work"),
)
MAX_REASON = 500


def return_query(return_url: str) -> str:
    """``url=<the list>`` as ``url_for`` writes it: a link's way back to the list."""
    return urlencode({"url": return_url}, safe=SAFE)


class ReviewActionsMixin:
    """For the application list: review and assign one row or many, each against the version seen."""

    def review_actions(self) -> dict[str, str]:
        """The user's review actions by kind (approve / return / reject); empty for other roles."""
        return review_actions(current_user.role) if current_user.is_authenticated else {}

    def row_review_actions(self, application) -> list[tuple[str, str, bool]]:
        """(action, label, needs a form) for the buttons of one list row: only what is possible now."""
        buttons = []
        program = application.batch.program
        for kind, name in self.review_actions().items():
            edge = find_edge(program, application.status, name)
            if edge is not None and edge.role == current_user.role:
                buttons.append((name, action_label(name), edge.needs_reason))
        if (current_user.is_authenticated and role_may(current_user.role, "assign_base")
                and find_edge(program, application.status, "assign_base") is not None):
            buttons.append(("assign_base", _("Assign base"), True))
        return buttons

    def list_row_buttons(self, rows, return_url: str) -> dict[int, dict]:
        """Each list row's buttons with their links and confirmation texts, built in one pass with the
        links' fixed parts made once (a ``url_for`` per button cost more than the rest of the row)."""
        details = self.get_url(".details_view")
        assign = self.get_url(".assign_view")
        back = return_query(return_url)
        labels: dict[str, str] = {}
        possible: dict[tuple[str, str], list] = {}  # a row's actions depend on its program and status only
        result = {}
        for row in rows:
            actions = []
            key = (row.batch.program, row.status)
            if key not in possible:
                possible[key] = self.row_review_actions(row)
            for name, label, needs_form in possible[key]:
                if name == "assign_base":
                    actions.append((name, label, f"{assign}?ids={row.id}&seen_{row.id}={row.version}", "", ""))
                elif not needs_form:
                    button = "✓ " + (labels.setdefault("?approve", _("Approve")) if name.endswith("_approve")
                                     else label)
                    actions.append((name, label, "", self.action_confirmation(row, name, label), button))
            result[row.id] = {"details": f"{details}?id={row.id}&{back}", "actions": actions}
        return result

    def action_confirmation(self, application, name: str, label: str) -> str:
        """What the browser asks before one action is posted from a row or the details page."""
        if name == "report":
            return _("Record that this trainee has reported to the base? This cannot be undone here.")
        return _("Confirm “%(action)s” for %(name)s?", action=label, name=application.trainee.name)

    def is_action_allowed(self, name):
        if name in ("approve", "return", "reject", "report"):
            return name in self.review_actions()
        if name == "assign_base":
            return current_user.is_authenticated and role_may(current_user.role, "assign_base")
        return super().is_action_allowed(name)

    def _to_review(self, kind, ids):
        name = self.review_actions().get(kind)
        if name is None:
            abort(403)
        return redirect(self.get_url(".review_view", action=name, ids=list(ids)))

    @action("approve", _l("Approve"))
    def action_approve(self, ids):
        return self._to_review("approve", ids)

    @action("return", _l("Return for changes"))
    def action_return(self, ids):
        return self._to_review("return", ids)

    @action("reject", _l("Reject"))
    def action_reject(self, ids):
        return self._to_review("reject", ids)

    @action("report", _l("Record reporting"),
            _l("Record that the selected trainees have reported to the base? This cannot be undone here."))
    def action_report(self, ids):
        return self._to_review("report", ids)

    @action("assign_base", _l("Assign base"))
    def action_assign_base(self, ids):
        if not self.is_action_allowed("assign_base"):
            abort(403)
        return redirect(self.get_url(".assign_view", ids=list(ids)))

    def _posted_ids(self) -> list[str]:
        source = request.form if request.method == "POST" else request.args
        ids = [i for i in source.getlist("ids") if i is not None][:500]
        if not ids:
            abort(400)
        return ids

    def _scoped_applications(self, raw_ids):
        """(in-scope applications by id, refused rows) for the posted ids, in the posted order."""
        scoped = set(self.get_scoped_ids(raw_ids))
        applications = {a.id: a for a in db.session.scalars(
            select(Application).where(Application.id.in_(scoped))
            .options(db.joinedload(Application.trainee), db.joinedload(Application.batch)))} if scoped else {}
        refused, seen, order = [], set(), []
        for raw in raw_ids:
            number = parse_id(raw)
            if number is None:
                refused.append((str(raw)[:20], None, _("Invalid record number.")))
            elif number not in applications:
                refused.append((str(number), None, _("This application does not exist or is outside your scope.")))
            elif number not in seen:
                seen.add(number)
                order.append(number)
        return [applications[n] for n in order], refused

    @staticmethod
    def seen_version(application) -> int:
        """The version of ``application`` the reviewer saw: posted with the form (or carried in the
        link from the list), else the current one."""
        seen = parse_id(request.values.get(f"seen_{application.id}", ""))
        return seen if seen is not None else application.version

    def _apply_each(self, applications, operate):
        """Run ``operate`` on each application, committing each success on its own.

        An application changed since the reviewer saw it is refused: the reviewer decided on what
        was on the screen, not on what is in the database now."""
        done, refused = [], []
        for application in applications:
            label = (application.id, application.trainee.name, application.trainee.id_number)
            if self.seen_version(application) != application.version:
                refused.append((*label, _("Someone else has just changed this application. Please reload the page.")))
                continue
            try:
                operate(application)
                db.session.commit()
            except TransitionError as error:
                db.session.rollback()
                refused.append((*label, str(error)))
            else:
                done.append((*label, application.status_label))
        return done, refused

    def _refused_rows(self, refused):
        return [(number, "", "", message) for number, _none, message in refused]

    @expose("/review/", methods=("GET", "POST"))
    def review_view(self):
        actions = self.review_actions()
        name = request.values.get("action", "")
        if not actions or name not in actions.values():
            abort(403)
        reason_needed = needs_reason(name)
        is_return = name.endswith("_return")
        raw_ids = self._posted_ids()
        applications, refused = self._scoped_applications(raw_ids)
        if request.method == "POST":
            reason = (request.form.get("reason") or "").strip()[:MAX_REASON]
        else:  # after an expired page, what the reviewer typed comes back
            reason = unsent_text("reason")[:MAX_REASON]
        allowed_fields = [str(f) for f in FIELDS_TO_FIX]
        chosen = [f for f in request.form.getlist("fields_to_fix") if f in allowed_fields] if is_return else []
        errors = {}
        if request.method == "POST":
            if reason_needed and not reason:
                errors["reason"] = _("Please give a reason.")
            if not errors:
                actor = current_user._get_current_object()
                done, failed = self._apply_each(
                    applications, lambda a: transition_with(a, name, actor, reason or None, chosen or None))
                back = get_redirect_target()
                if back and len(raw_ids) == 1:  # a list row's one-click action: back to the same list page
                    return self.back_to_list(back, name, done, failed + self._refused_rows(refused))
                return self.render("admin/review_result.html", title=action_label(name), done=done,
                                   refused=failed + self._refused_rows(refused),
                                   return_url=self.get_url(".index_view"))
        record_access(AccessAction.REVIEW, "application", [a.id for a in applications], rows=len(applications))
        return self.render("admin/review.html", title=action_label(name), action_name=name,
                           applications=applications, refused=refused, raw_ids=raw_ids,
                           needs_reason=reason_needed, is_return=is_return, reason=reason, errors=errors,
                           seen_version=self.seen_version,
                           presets=[str(p) for p in PRESET_REASONS], fields=allowed_fields, chosen=chosen,
                           status_label=lambda a: Status.label_for(a.status, a.batch.program),
                           return_url=self.get_url(".index_view"))

    @staticmethod
    def back_to_list(back: str, name: str, done, refused):
        for _number, trainee_name, _id_number, _status in done:
            flash(_("%(name)s: %(action)s.", name=trainee_name, action=action_label(name)), "success")
        for _number, _name, _id_number, message in refused:
            flash(message, "error")
        return redirect(back)

    @expose("/assign/", methods=("GET", "POST"))
    def assign_view(self):
        if not (current_user.is_authenticated and role_may(current_user.role, "assign_base")):
            abort(403)
        raw_ids = self._posted_ids()
        applications, refused = self._scoped_applications(raw_ids)
        errors = {}
        if request.method == "POST":
            number = parse_id(request.form.get("base_id", ""))
            base = db.session.get(TrainingBase, number) if number else None
            if base is None:
                errors["base_id"] = _("Please choose a training base.")
            else:
                actor = current_user._get_current_object()
                done, failed = self._apply_each(applications, lambda a: assign_base(a, base, actor))
                return self.render("admin/review_result.html", title=_("Assign base"), done=done,
                                   refused=failed + self._refused_rows(refused),
                                   return_url=self.get_url(".index_view"))
        record_access(AccessAction.REVIEW, "application", [a.id for a in applications], rows=len(applications))
        batches = {a.batch_id: a.batch for a in applications}
        places = [(batch, gp_bases(batch)) for batch in batches.values()]
        return self.render("admin/assign.html", title=_("Assign base"), applications=applications,
                           refused=refused, raw_ids=raw_ids, places=places, errors=errors,
                           seen_version=self.seen_version,
                           status_label=lambda a: Status.label_for(a.status, a.batch.program),
                           return_url=self.get_url(".index_view"))


def transition_with(application, name, actor, reason, fields_to_fix):
    """The review change; an approval first needs a decision on each exemption claim."""
    refusal = approval_refusal(application, actor) if name.endswith("_approve") else None
    if refusal:
        raise TransitionError(refusal)
    return transition(application, name, actor, reason=reason, fields_to_fix=fields_to_fix)
