"""The one function that changes an application's status (and its bulk form), over the table in
``table.py``; state groups are in ``states.py``, deadlines in ``deadlines.py``.

Nothing else writes ``Application.status``. ``transition`` checks the actor's role and scope,
the current state and the reason, changes the status, records a ``ReviewRecord`` (and, through
the session hook, an audit row) and writes the trainee's notification into the SMS outbox in the
same transaction; the worker sends it once the caller commits (``app.infra.notify``).
"""
from __future__ import annotations

from typing import Iterable, Mapping

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from app.domain.access import can_see, scope_condition
from app.domain.workflow.deadlines import deadline_refusal
from app.domain.workflow.table import (
    ACTION_LABELS,
    FROZEN_AFTER_ADMISSION,
    TIMESTAMPS,
    TRANSITIONS,
    Edge,
    action_label,
    actions_of,
    edges,
    find_edge,
    needs_reason,
)
from app.extensions import db
from app.i18n import cn_date
from app.infra.audit import _text
from app.infra.notify import queue_many, queue_sms
from models import (Acceptance, AdmissionNotice, Application, AuditLog, Batch, ReviewRecord, Role, Status, Trainee,
                    TrainingBase)
from models.clock import now
from models.enums import AuditAction, ReviewLevel

__all__ = ["ACTION_LABELS", "TRANSITIONS", "Edge", "TransitionError", "action_label", "actions_of", "checked_edge",
           "deadline_refusal", "edges", "find_edge", "needs_reason", "notification_text", "resubmission_reviewer",
           "transition", "transition_many"]
S, R, L = Status, Role, ReviewLevel


class TransitionError(Exception):
    """A refused transition; ``str(error)`` is the Chinese message for the user."""


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
    if action in NEEDS_ACCEPTANCE:
        _check_accepted([application.id])
    moment = now()
    values = {"status": edge.target, "status_changed_at": moment, "updated_at": moment,
              "version": Application.version + 1}
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
    review_row, audit_row = history_rows(application.id, edge, actor, moment, reason)
    record = ReviewRecord(**review_row, fields_to_fix=fields_to_fix or None)
    db.session.add(record)
    db.session.add(AuditLog(**audit_row, field_name="status", old_value=edge.source, new_value=edge.target))
    db.session.flush()
    db.session.refresh(application)
    if notify and edge.role != Role.TRAINEE:
        notify_trainee(application, edge, reason)
    return record


def history_rows(application_id: int, edge: Edge, actor, moment, reason: str | None) -> tuple[dict, dict]:
    """The review record of one transition and the shared part of its audit rows (the caller adds the
    field, old and new value): the one builder that ``transition`` and ``transition_many`` use."""
    review = {"application_id": application_id, "level": edge.level, "action": edge.action, "reason": reason,
              "actor_id": actor.id, "created_at": moment, "status_before": edge.source, "status_after": edge.target}
    audit = {"actor_id": actor.id, "actor_name": actor.username, "created_at": moment, "table_name": "application",
             "record_id": str(application_id), "action": AuditAction.UPDATE, "reason": reason}
    return review, audit


def notify_trainee(application: Application, edge: Edge, reason: str | None) -> None:
    """Tell the trainee by SMS what happened; a reason is on the application page.

    The message is written into the outbox in the caller's transaction and sent by the worker once
    it commits: a transition that is rolled back tells nobody anything."""
    trainee = application.trainee
    if trainee is None or not trainee.mobile:
        return
    batch = application.batch
    queue_sms(db.session(), trainee.mobile, notification_text(
        batch.name, application.status_label, bool(reason),
        resubmit_by=batch.resubmission_deadline if edge.target == S.RETURNED else None,
        confirm_at=confirmation_place(edge, application.base, batch)))


def notification_text(batch_name: str, result: str, has_reason: bool, resubmit_by=None,
                      confirm_at: tuple[str, str | None, object] | None = None) -> str:
    """The trainee's SMS after a reviewer's action (``transition`` and ``transition_many`` alike);
    a return says by when to resubmit (退回修改截止); a base's approval says where and by when to
    confirm on site (``confirm_at``: the base's name, its address, the confirmation deadline)."""
    text = _("[Henan Health Training Enrollment Platform] Your application for %(batch)s: %(result)s.",
             batch=batch_name, result=result)
    if has_reason:
        text += _(" The reason is on your application page.")
    if resubmit_by is not None:
        text += _(" Please correct it and submit it again by %(date)s.", date=cn_date(resubmit_by))
    if confirm_at is not None:
        base_name, address, deadline = confirm_at
        place = f"{base_name}（{address}）" if address else base_name
        if deadline is not None:
            text += _(" Please bring the printed registration form to %(place)s for on-site confirmation by "
                      "%(date)s.", place=place, date=cn_date(deadline))
        else:
            text += _(" Please bring the printed registration form to %(place)s for on-site confirmation.",
                      place=place)
    return str(text)


def confirmation_place(edge: Edge, base, batch) -> tuple[str, str | None, object] | None:
    """Where and by when a trainee approved by the base confirms on site (None for other actions)."""
    if edge.target != S.BASE_APPROVED or base is None:
        return None
    return base.name, base.address, batch.confirmation_deadline


def resubmission_reviewer(program: str) -> str:
    """Who reviews a resubmitted application: the edge out of 已提交 in the transition table ("" for a
    program without one, such as 助理全科 until its workflow exists)."""
    edge = next((edge for edge in TRANSITIONS if edge.program == program and edge.source == S.SUBMITTED
                 and edge.target not in (S.RETURNED, S.REJECTED, S.DRAFT)), None)
    if edge is None:
        return ""
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
    and ``AuditLog`` rows, and the same SMS written into the outbox. ``reasons`` gives the
    reason per application id; ``values`` extra column values per application id, written with the
    status change and audited. Raises ``TransitionError`` (the caller rolls back) if any
    application is refused or was changed meanwhile; returns the changed ids by action. The
    caller commits. Trainee actions are not supported (they act on their own application).
    """
    reasons = {key: (text or "").strip() for key, text in (reasons or {}).items()}
    values = values or {}
    plan = _bulk_plan(applications_by_action, actor, reasons)
    unknown = {column for row in values.values() for column in row} - BULK_VALUE_COLUMNS
    if unknown:
        raise ValueError(f"transition_many may not write {sorted(unknown)}")
    ids = sorted(a.id for _edge, group in plan for a in group)
    _check_bulk_scope(ids, actor)
    _check_accepted([a.id for edge, group in plan if edge.action in NEEDS_ACCEPTANCE for a in group])
    moment = now()
    done: dict[str, list[int]] = {}
    records, audits, messages = [], [], []
    for edge, group in plan:
        _bulk_update_status(edge, group, moment)
        done.setdefault(edge.action, []).extend(application.id for application in group)
        for application in group:
            reason = reasons.get(application.id) or None
            review_row, audit = history_rows(application.id, edge, actor, moment, reason)
            records.append(review_row)
            audits.append({**audit, "field_name": "status", "old_value": edge.source, "new_value": edge.target})
            for column, new in values.get(application.id, {}).items():
                old = getattr(application, column)
                if old != new:
                    audits.append({**audit, "field_name": column, "old_value": _audit_text(old),
                                   "new_value": _audit_text(new)})
            if notify:
                messages.append((application.id, edge, reason))
    _bulk_write_values(values, set(ids))
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


def _bulk_plan(applications_by_action, actor, reasons) -> list[tuple[Edge, list[Application]]]:
    """The edge of every application, checked as ``transition`` checks it; each application once."""
    plan: list[tuple[Edge, list[Application]]] = []
    seen: set[int] = set()
    for action, applications in applications_by_action.items():
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
    return plan


# 报到 requires an accepted admission (the trainee's 接受 on the current 录取通知)
NEEDS_ACCEPTANCE = ("report",)


def _check_accepted(ids: list[int]) -> None:
    """Refuse unless every application of ``ids`` has its current admission notice accepted."""
    accepted: set[int] = set()
    for chunk in _chunks(ids):
        accepted.update(db.session.scalars(
            select(AdmissionNotice.application_id).where(
                AdmissionNotice.application_id.in_(chunk), AdmissionNotice.current.is_(True),
                AdmissionNotice.acceptance == Acceptance.ACCEPTED)))
    if set(ids) - accepted:
        raise TransitionError(_("Reporting requires an accepted admission: the trainee has not yet accepted the "
                                "admission notice."))


def _check_bulk_scope(ids: list[int], actor) -> None:
    in_scope: set[int] = set()
    for chunk in _chunks(ids):
        in_scope.update(db.session.scalars(
            select(Application.id).where(Application.id.in_(chunk), scope_condition(Application, actor))))
    if len(in_scope) != len(ids):
        raise TransitionError(_("This application is outside your scope."))


def _bulk_update_status(edge: Edge, group: list[Application], moment) -> None:
    """One conditional UPDATE per chunk (``status = source``); each row must have changed exactly once
    since it was read (its version moved by one: a score import committed meanwhile shows up here)."""
    group_ids = [application.id for application in group]
    changed: set[int] = set()
    for chunk in _chunks(group_ids):
        changed.update(db.session.scalars(
            update(Application)
            .where(Application.id.in_(chunk), Application.status == edge.source)
            .values(status=edge.target, status_changed_at=moment, updated_at=moment,
                    version=Application.version + 1,
                    **({TIMESTAMPS[edge.action]: moment} if edge.action in TIMESTAMPS else {}))
            .returning(Application.id)
            .execution_options(synchronize_session=False)))
    versions = {}
    for chunk in _chunks(group_ids):
        versions.update(db.session.execute(select(Application.id, Application.version)
                                           .where(Application.id.in_(chunk))).all())
    if len(changed) != len(group_ids) or any(versions.get(a.id) != a.version + 1 for a in group):
        raise TransitionError(_("Someone else has just changed this application. Please reload the page."))


def _bulk_write_values(values: Mapping[int, dict], ids: set[int]) -> None:
    """The extra column values (admission results) of the changed applications, one statement per chunk."""
    extra_columns = sorted({column for row in values.values() for column in row})
    if not extra_columns:
        return
    table = Application.__table__
    statement = (update(table).where(table.c.id == bindparam("b_id"))
                 .values({column: bindparam(f"b_{column}") for column in extra_columns}))
    rows = [{"b_id": application_id, **{f"b_{column}": row.get(column) for column in extra_columns}}
            for application_id, row in values.items() if application_id in ids]
    for chunk in _chunks(rows):
        db.session.execute(statement, chunk)


def _audit_text(value) -> str | None:
    return _text(value)


def _queue_many(messages: list[tuple[int, Edge, str | None]]) -> None:
    """Queue each trainee's SMS (one query per chunk for the mobiles and batch names)."""
    ids = [application_id for application_id, _edge, _reason in messages]
    found: dict[int, tuple] = {}
    for chunk in _chunks(ids):
        for row in db.session.execute(
                select(Application.id, Trainee.mobile, Batch.name, Batch.program, Batch.resubmission_deadline,
                       Batch.confirmation_deadline, TrainingBase.name.label("base_name"), TrainingBase.address)
                .join(Trainee, Trainee.id == Application.trainee_id)
                .join(Batch, Batch.id == Application.batch_id)
                .outerjoin(TrainingBase, TrainingBase.id == Application.base_id)
                .where(Application.id.in_(chunk))):
            found[row.id] = row
    outbox = []
    for application_id, edge, reason in messages:
        row = found.get(application_id)
        if row is not None and row.mobile:
            confirm_at = (row.base_name, row.address, row.confirmation_deadline) \
                if edge.target == S.BASE_APPROVED and row.base_name else None
            outbox.append((row.mobile, notification_text(
                row.name, Status.label_for(edge.target, row.program), bool(reason),
                resubmit_by=row.resubmission_deadline if edge.target == S.RETURNED else None,
                confirm_at=confirm_at)))
    queue_many(db.session(), outbox)


