"""Application states: the table of allowed transitions and the one function that changes a status.

Nothing else writes ``Application.status``. ``transition`` checks the actor's role and scope,
the current state and the reason, changes the status, records a ``ReviewRecord`` (and, through
the session hook, an audit row) and hands the trainee's notification to the SMS sender.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.access import can_see
from app.extensions import db
from app.timeutil import now
from models import Application, AuditLog, ReviewRecord, Role, Status
from models.enums import AuditAction, Program, ReviewLevel


@dataclass(frozen=True)
class Edge:
    """One allowed transition: ``source --action--> target``, by ``role``, for ``program``."""

    program: str
    source: str
    action: str
    target: str
    role: str
    level: str
    needs_reason: bool = False


S, R, P, L = Status, Role, Program, ReviewLevel
GP, RES = P.GP_TRANSFER, P.RESIDENCY
TRANSITIONS: tuple[Edge, ...] = (
    # GP transfer (全科转岗)
    Edge(GP, S.DRAFT, "submit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(GP, S.RETURNED, "resubmit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(GP, S.SUBMITTED, "county_approve", S.COUNTY_APPROVED, R.COUNTY_REVIEWER, L.COUNTY),
    Edge(GP, S.SUBMITTED, "county_return", S.RETURNED, R.COUNTY_REVIEWER, L.COUNTY, True),
    Edge(GP, S.SUBMITTED, "county_reject", S.REJECTED, R.COUNTY_REVIEWER, L.COUNTY, True),
    Edge(GP, S.COUNTY_APPROVED, "city_approve", S.CITY_APPROVED, R.CITY_REVIEWER, L.CITY),
    Edge(GP, S.COUNTY_APPROVED, "city_return", S.RETURNED, R.CITY_REVIEWER, L.CITY, True),
    Edge(GP, S.COUNTY_APPROVED, "city_reject", S.REJECTED, R.CITY_REVIEWER, L.CITY, True),
    Edge(GP, S.CITY_APPROVED, "assign_base", S.ASSIGNED, R.CITY_REVIEWER, L.CITY),
    Edge(GP, S.SUBMITTED, "support_reopen", S.DRAFT, R.SUPPORT, L.SUPPORT, True),
    # resident standardized training (住培)
    Edge(RES, S.DRAFT, "submit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(RES, S.RETURNED, "resubmit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(RES, S.SUBMITTED, "base_approve", S.BASE_APPROVED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.SUBMITTED, "base_return", S.RETURNED, R.BASE_STAFF, L.BASE, True),
    Edge(RES, S.SUBMITTED, "base_reject", S.REJECTED, R.BASE_STAFF, L.BASE, True),
    Edge(RES, S.BASE_APPROVED, "confirm_onsite", S.CONFIRMED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.CONFIRMED, "admit", S.ADMITTED, R.PROVINCE_ADMIN, L.PROVINCE),
    Edge(RES, S.CONFIRMED, "not_admit", S.NOT_ADMITTED, R.PROVINCE_ADMIN, L.PROVINCE),
    Edge(RES, S.ADMITTED, "report", S.REPORTED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.SUBMITTED, "support_reopen", S.DRAFT, R.SUPPORT, L.SUPPORT, True),
)
ACTION_LABELS = {
    "submit": _l("Submit"), "resubmit": _l("Resubmit"),
    "county_approve": _l("Approve (county)"), "county_return": _l("Return for changes (county)"),
    "county_reject": _l("Reject (county)"), "city_approve": _l("Approve (city)"),
    "city_return": _l("Return for changes (city)"), "city_reject": _l("Reject (city)"),
    "assign_base": _l("Assign to a training base"), "support_reopen": _l("Reopen as draft (support)"),
    "base_approve": _l("Approve (base)"), "base_return": _l("Return for changes (base)"),
    "base_reject": _l("Reject (base)"), "confirm_onsite": _l("Confirm on site"), "admit": _l("Admit"),
    "not_admit": _l("Not admitted"), "report": _l("Reported at the base"),
}


class TransitionError(Exception):
    """A refused transition; ``str(error)`` is the Chinese message for the user."""


def find_edge(program: str, source: str, action: str) -> Edge | None:
    for edge in TRANSITIONS:
        if (edge.program, edge.source, edge.action) == (program, source, action):
            return edge
    return None


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def transition(application: Application, action: str, actor, reason: str | None = None,
               fields_to_fix: list[str] | None = None, notify: bool = True) -> ReviewRecord:
    """Apply ``action`` to ``application`` as ``actor``; raise ``TransitionError`` if not allowed.

    The status is changed with a conditional UPDATE on the state the caller saw, so of two
    reviewers acting at once, one wins and the other is told. The caller commits.
    """
    program = application.batch.program
    edge = find_edge(program, application.status, action)
    if edge is None:
        raise TransitionError(_("This application is %(status)s; \u201c%(action)s\u201d is not possible now.",
                                status=application.status_label, action=action_label(action)))
    if actor is None or actor.role != edge.role:
        raise TransitionError(_("Your role may not do \u201c%(action)s\u201d.", action=action_label(action)))
    if edge.role == Role.TRAINEE:
        if application.trainee is None or application.trainee.account_id != actor.id:
            raise TransitionError(_("This is not your application."))
    elif not can_see(actor, application):
        raise TransitionError(_("This application is outside your scope."))
    reason = (reason or "").strip() or None
    if edge.needs_reason and not reason:
        raise TransitionError(_("Please give a reason."))
    if action == "support_reopen" and db.session.scalar(
            select(ReviewRecord.id).where(ReviewRecord.application_id == application.id,
                                          ReviewRecord.level.notin_((L.TRAINEE, L.SUPPORT))).limit(1)):
        raise TransitionError(_("A reviewer has already acted on this application; it cannot be reopened."))
    moment = now()
    values = {"status": edge.target, "updated_at": moment, "version": Application.version + 1}
    if edge.target == S.SUBMITTED:
        values["submitted_at"] = moment
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == edge.source,
               Application.version == application.version)
        .values(values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise TransitionError(_("Someone else has just changed this application. Please reload the page."))
    record = ReviewRecord(application_id=application.id, level=edge.level, action=action, reason=reason,
                          fields_to_fix=fields_to_fix or None, actor_id=actor.id, created_at=moment,
                          status_before=edge.source, status_after=edge.target)
    db.session.add(record)
    db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username, created_at=moment,
                            table_name="application", record_id=str(application.id), action=AuditAction.UPDATE,
                            field_name="status", old_value=edge.source, new_value=edge.target, reason=reason))
    db.session.flush()
    db.session.refresh(application)
    if notify and edge.role != Role.TRAINEE:
        notify_trainee(application, edge, reason)
    return record


def notify_trainee(application: Application, edge: Edge, reason: str | None) -> None:
    """Tell the trainee by SMS what happened; a reason is on the application page."""
    from app.sms import send_sms
    from models.sms import SmsPurpose
    trainee = application.trainee
    if trainee is None or not trainee.mobile:
        return
    text = _("[Henan Health Training Enrollment Platform] Your application for %(batch)s: %(result)s.",
             batch=application.batch.name, result=application.status_label)
    if reason:
        text += _(" The reason is on your application page.")
    send_sms(trainee.mobile, text, SmsPurpose.NOTIFY)
