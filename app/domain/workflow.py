"""Application states: the table of allowed transitions and the one function that changes a status.

Nothing else writes ``Application.status``. ``transition`` checks the actor's role and scope,
the current state and the reason, changes the status, records a ``ReviewRecord`` (and, through
the session hook, an audit row) and queues the trainee's notification, which is sent once the caller commits (``init_app``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from app.domain.access import can_see, scope_condition
from app.extensions import db
from app.i18n import cn_date
from models import Application, AuditLog, Batch, ReviewRecord, Role, SmsLog, Status, Trainee
from models.clock import now
from models.enums import AuditAction, BatchStatus, Program, ReviewLevel
from models.sms import SmsPurpose


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


# the moment of some actions is kept on the application itself
TIMESTAMPS = {"report": "reported_at", "confirm_onsite": "onsite_confirmed_at"}


# once a residency batch's admission is published, nothing may re-enter its competition
FROZEN_AFTER_ADMISSION = ("submit", "resubmit", "base_approve", "base_return", "base_reject", "confirm_onsite",
                          "support_reopen")


def checked_edge(application: Application, action: str, actor, reason: str | None) -> Edge:
    """The edge ``action`` takes from the application's state, after every check but scope (which
    ``transition`` does per record and ``transition_many`` in bulk); raises ``TransitionError``."""
    edge = find_edge(application.batch.program, application.status, action)
    if edge is None:
        raise TransitionError(_("This application is %(status)s; \u201c%(action)s\u201d is not possible now.",
                                status=application.status_label, action=action_label(action)))
    if actor is None or actor.role != edge.role:
        raise TransitionError(_("Your role may not do \u201c%(action)s\u201d.", action=action_label(action)))
    if edge.needs_reason and not reason:
        raise TransitionError(_("Please give a reason."))
    if action == "support_reopen" and db.session.scalar(
            select(ReviewRecord.id).where(ReviewRecord.application_id == application.id,
                                          ReviewRecord.level.notin_((L.TRAINEE, L.SUPPORT))).limit(1)):
        raise TransitionError(_("A reviewer has already acted on this application; it cannot be reopened."))
    if action in FROZEN_AFTER_ADMISSION and application.batch.admission_published_at is not None:
        raise TransitionError(_("The admission results of this batch have been published; \u201c%(action)s\u201d "
                                "is no longer possible.", action=action_label(action)))
    refusal = deadline_refusal(application.batch, action, now())
    if refusal:
        raise TransitionError(refusal)
    return edge


def deadline_refusal(batch: Batch, action: str, moment) -> str | None:
    """Why ``action`` is too early or too late in ``batch``'s calendar at ``moment``, in Chinese, or None.

    Every deadline of the season is here; the province moves a deadline in the batch. Deadlines are
    dates and include their whole day: the day after is refused.

    * 提交 (submit): inside the registration window (报名阶段);
    * 再次上报 (resubmit, 退回修改需依据原因重新维护信息进行再次上报): until the batch's resubmission
      deadline, also after the window has closed; a batch without one follows the window;
    * 现场确认 (务必于5月22日前…进行现场确认): until the confirmation deadline, with no grace;
    * 报到 (7月31日前完成新招收住院医师报到工作): until the report deadline.
    """
    today = moment.date()
    if action == "submit" and not batch.is_open(moment):
        return _("Registration for this batch is closed.")
    if action == "resubmit":
        deadline = batch.resubmission_deadline
        if batch.status not in (BatchStatus.OPEN, BatchStatus.CLOSED):
            return _("Registration for this batch is closed.")
        if deadline is None and not batch.is_open(moment):
            return _("Registration for this batch is closed, and no resubmission deadline was set.")
        if deadline is not None and today > deadline:
            return _("Returned applications could be resubmitted until %(date)s; that deadline has passed.",
                     date=cn_date(deadline))
    deadlines = {"confirm_onsite": (batch.confirmation_deadline, _("On-site confirmation closed on %(date)s.")),
                 "report": (batch.report_deadline, _("Reporting is closed: the deadline was %(date)s."))}
    if action in deadlines:
        deadline, message = deadlines[action]
        if deadline is not None and today > deadline:
            return message % {"date": cn_date(deadline)}
    return None


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
    reason = (reason or "").strip() or None
    edge = checked_edge(application, action, actor, reason)
    if edge.role == Role.TRAINEE:
        if application.trainee is None or application.trainee.account_id != actor.id:
            raise TransitionError(_("This is not your application."))
    elif not can_see(actor, application):
        raise TransitionError(_("This application is outside your scope."))
    moment = now()
    values = {"status": edge.target, "updated_at": moment, "version": Application.version + 1}
    if edge.target == S.SUBMITTED:
        values["submitted_at"] = moment
    if action in TIMESTAMPS:
        values[TIMESTAMPS[action]] = moment
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
    """Tell the trainee by SMS what happened; a reason is on the application page.

    The message is queued on the session and sent only once the transaction commits (see
    ``init_app``): a transition that is rolled back tells nobody anything."""
    trainee = application.trainee
    if trainee is None or not trainee.mobile:
        return
    batch = application.batch
    queue_sms(db.session(), trainee.mobile, notification_text(
        batch.name, application.status_label, bool(reason),
        resubmit_by=batch.resubmission_deadline if edge.target == S.RETURNED else None))


def notification_text(batch_name: str, result: str, has_reason: bool, resubmit_by=None) -> str:
    """The trainee's SMS after a reviewer's action (``transition`` and ``transition_many`` alike);
    a return says by when to resubmit (退回修改截止)."""
    text = _("[Henan Health Training Enrollment Platform] Your application for %(batch)s: %(result)s.",
             batch=batch_name, result=result)
    if has_reason:
        text += _(" The reason is on your application page.")
    if resubmit_by is not None:
        text += _(" Please correct it and submit it again by %(date)s.", date=cn_date(resubmit_by))
    return str(text)


def resubmission_reviewer(program: str) -> str:
    """Who reviews a resubmitted application: the edge out of 已提交 in the transition table."""
    edge = next(edge for edge in TRANSITIONS if edge.program == program and edge.source == S.SUBMITTED
                and edge.target not in (S.RETURNED, S.REJECTED, S.DRAFT))
    return {L.COUNTY: _("the county health commission"), L.BASE: _("the training base")}.get(edge.level, "")


BULK_CHUNK = 500
# what ``transition_many`` may write besides the status (the admission results)
BULK_VALUE_COLUMNS = {"admission_result", "admitted_specialty_id", "admitted_choice_rank", "admission_note"}


def _chunks(items: list, size: int = BULK_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def transition_many(applications_by_action: Mapping[str, Iterable[Application]], actor,
                    reasons: Mapping[int, str] | None = None, values: Mapping[int, dict] | None = None,
                    notify: bool = True) -> dict[str, list[int]]:
    """Apply many transitions at once as ``actor``: ``{action: applications}``; all or nothing.

    The bulk form of ``transition`` for thousands of rows (e.g. publishing admission results):
    the same edges, role, scope and reason checks, then per action one conditional UPDATE per
    chunk (``status = source``, so nothing is applied twice), bulk inserts of the ``ReviewRecord``
    and ``AuditLog`` rows, and the same SMS queued for after the commit. ``reasons`` gives the
    reason per application id; ``values`` extra column values per application id, written with the
    status change and audited. Raises ``TransitionError`` (the caller rolls back) if any
    application is refused or was changed meanwhile; returns the changed ids by action. The
    caller commits. Trainee actions are not supported (they act on their own application).
    """
    reasons = {key: (text or "").strip() for key, text in (reasons or {}).items()}
    values = values or {}
    plan: list[tuple[Edge, list[Application]]] = []
    seen: set[int] = set()
    for action, applications in applications_by_action.items():
        applications = list(applications)
        by_edge: dict[Edge, list[Application]] = {}
        for application in applications:
            if application.id in seen:
                raise TransitionError(_("Application No. %(number)s is listed twice.", number=application.id))
            seen.add(application.id)
            edge = checked_edge(application, action, actor, reasons.get(application.id) or None)
            if edge.role == Role.TRAINEE:
                raise TransitionError(_("Your role may not do \u201c%(action)s\u201d.", action=action_label(action)))
            by_edge.setdefault(edge, []).append(application)
        plan.extend(by_edge.items())
    unknown = {column for row in values.values() for column in row} - BULK_VALUE_COLUMNS
    if unknown:
        raise ValueError(f"transition_many may not write {sorted(unknown)}")
    ids = sorted(seen)
    in_scope: set[int] = set()
    for chunk in _chunks(ids):
        in_scope.update(db.session.scalars(
            select(Application.id).where(Application.id.in_(chunk), scope_condition(Application, actor))))
    if len(in_scope) != len(ids):
        raise TransitionError(_("This application is outside your scope."))
    moment = now()
    done: dict[str, list[int]] = {}
    records, audits, messages = [], [], []
    table = Application.__table__
    extra_columns = sorted({column for row in values.values() for column in row})
    for edge, group in plan:
        group_ids = [application.id for application in group]
        changed: set[int] = set()
        for chunk in _chunks(group_ids):
            changed.update(db.session.scalars(
                update(Application)
                .where(Application.id.in_(chunk), Application.status == edge.source)
                .values(status=edge.target, updated_at=moment, version=Application.version + 1,
                        **({TIMESTAMPS[edge.action]: moment} if edge.action in TIMESTAMPS else {}))
                .returning(Application.id)
                .execution_options(synchronize_session=False)))
        # each row was changed exactly once since it was read: its version moved by one, no more
        # (a score import committed after the caller read the applications would show up here)
        versions = {}
        for chunk in _chunks(group_ids):
            versions.update(db.session.execute(select(Application.id, Application.version)
                                               .where(Application.id.in_(chunk))).all())
        if len(changed) != len(group_ids) or any(versions.get(a.id) != a.version + 1 for a in group):
            raise TransitionError(_("Someone else has just changed this application. Please reload the page."))
        done.setdefault(edge.action, []).extend(group_ids)
        for application in group:
            reason = reasons.get(application.id) or None
            records.append({"application_id": application.id, "level": edge.level, "action": edge.action,
                            "reason": reason, "actor_id": actor.id, "created_at": moment,
                            "status_before": edge.source, "status_after": edge.target})
            audit = {"actor_id": actor.id, "actor_name": actor.username, "created_at": moment,
                     "table_name": "application", "record_id": str(application.id), "action": AuditAction.UPDATE,
                     "reason": reason}
            audits.append({**audit, "field_name": "status", "old_value": edge.source, "new_value": edge.target})
            for column, new in values.get(application.id, {}).items():
                old = getattr(application, column)
                if old != new:
                    audits.append({**audit, "field_name": column, "old_value": _audit_text(old),
                                   "new_value": _audit_text(new)})
            if notify:
                messages.append((application.id, edge, reason))
    if extra_columns:
        statement = (update(table).where(table.c.id == bindparam("b_id"))
                     .values({column: bindparam(f"b_{column}") for column in extra_columns}))
        rows = [{"b_id": application_id, **{f"b_{column}": row.get(column) for column in extra_columns}}
                for application_id, row in values.items() if application_id in seen]
        for chunk in _chunks(rows):
            db.session.execute(statement, chunk)
    # plain executemany of the tables (one statement per chunk; the ORM's bulk insert batches small)
    for chunk in _chunks(records, 1000):
        db.session.execute(ReviewRecord.__table__.insert(), chunk)
    for chunk in _chunks(audits, 1000):
        db.session.execute(AuditLog.__table__.insert(), chunk)
    if messages:
        _queue_many(messages)
    for application in (a for _edge, group in plan for a in group):
        db.session.expire(application)  # their status, version and the extra values changed in SQL
    return done


def _audit_text(value) -> str | None:
    from app.infra.audit import _text
    return _text(value)


def _queue_many(messages: list[tuple[int, Edge, str | None]]) -> None:
    """Queue each trainee's SMS (one query per chunk for the mobiles and batch names)."""
    ids = [application_id for application_id, _edge, _reason in messages]
    found: dict[int, tuple[str | None, str, str]] = {}
    for chunk in _chunks(ids):
        for application_id, mobile, batch_name, program, resubmit_by in db.session.execute(
                select(Application.id, Trainee.mobile, Batch.name, Batch.program, Batch.resubmission_deadline)
                .join(Trainee, Trainee.id == Application.trainee_id)
                .join(Batch, Batch.id == Application.batch_id)
                .where(Application.id.in_(chunk))):
            found[application_id] = (mobile, batch_name, program, resubmit_by)
    session = db.session()
    for application_id, edge, reason in messages:
        mobile, batch_name, program, resubmit_by = found.get(application_id, (None, "", "", None))
        if mobile:
            queue_sms(session, mobile, notification_text(
                batch_name, Status.label_for(edge.target, program), bool(reason),
                resubmit_by=resubmit_by if edge.target == S.RETURNED else None))


# --- notifications after commit ---------------------------------------------------------------

PENDING_SMS = "pending_sms"


def queue_sms(session: Session, phone: str, text: str) -> None:
    """Send ``text`` to ``phone`` once ``session``'s transaction commits; drop it on rollback.

    Each entry remembers the innermost transaction it was queued in, so rolling back a savepoint
    drops only the messages queued inside it."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_SMS, []).append((transaction, phone, text))


def _inside(transaction, ended) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(PENDING_SMS)
    if not pending:
        return
    if previous_transaction.nested:
        pending[:] = [entry for entry in pending if not _inside(entry[0], previous_transaction)]
    else:
        pending.clear()


def _drop_on_end(session: Session, transaction) -> None:
    # the root transaction is over: whatever was not sent by ``after_commit`` was rolled back
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING_SMS, None)


def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_SMS, None)
    if not pending:
        return
    try:
        deliver_sms([(phone, text) for _transaction, phone, text in pending], session.get_bind(mapper=SmsLog))
    except Exception:  # the change is committed already: a failed notification must not undo the request
        current_app.logger.exception("notification SMS after commit failed")


def deliver_sms(messages: list[tuple[str, str]], bind) -> None:
    """Send each ``(phone, text)`` with the configured sender and log it in a transaction of its own.

    Runs after the caller's commit, when that session can no longer emit SQL; like ``send_sms`` a
    provider failure is logged in the row, not raised."""
    from app.infra.sms import attempt
    rows = [attempt(phone, text, SmsPurpose.NOTIFY) for phone, text in messages]
    engine = getattr(bind, "engine", bind)  # the session may be bound to a Connection
    with engine.connect() as connection:  # a connection of its own, outside the finished session
        connection.execute(insert(SmsLog.__table__), rows)
        connection.commit()


def init_app(app) -> None:
    """Send queued notifications after commit and drop them on rollback (once per process)."""
    for name, listener in (("after_commit", _send_after_commit), ("after_soft_rollback", _drop_rolled_back),
                           ("after_transaction_end", _drop_on_end)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
