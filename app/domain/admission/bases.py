"""Admission by the bases (各住培基地…依据理论和技能综合成绩择优录取), under the province's rules.

The province sets the rules (combined score, tie-break, dates) on the batch and opens admission by the
bases with ``Batch.base_admission_enabled`` until ``Batch.phase_one_deadline`` (5 月 31 日前完成第一阶段
招收工作; the deadline day included: ``app.domain.workflow.deadlines``). Each base's staff then runs the
dry run (audited) and publishes for its own quotas only: the engine gets that base's candidates and
seats (``Bases(only=base)``; an applicant applies at one base, so bases never compete), and the results
go through ``transition_many`` with the base's own edges (``base_admit`` / ``base_not_admit``), whose
SMS are the province's. ``BaseAdmission`` keeps each base's state (未开始 / 已试算 / 已发布, who and when).

The province may still publish for all: its run skips the bases that published their own
(``publication.province_bases``), and once it has published, no base may publish any more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.admission.publication import (
    BASE_ACTIONS,
    AdmissionError,
    Bases,
    Plan,
    apply_plan,
    dry_run,
    plan_refusal,
    publishing,
    reason_problem,
)
from app.domain.batches import calendar_errors
from app.domain.workflow import deadline_refusal
from app.extensions import db
from app.i18n import cn_date
from models import Account, AuditLog, BaseAdmission, Batch, Quota, Role, TrainingBase
from models.clock import now
from models.enums import AuditAction, Program

NOT_STARTED, DRY_RUN, PUBLISHED = "not_started", "dry_run", "published"
STATE_LABELS = {NOT_STARTED: _l("Not started"), DRY_RUN: _l("Dry run done"), PUBLISHED: _l("Published")}


@dataclass
class BaseState:
    """One base's own admission in a batch, as the province sees it."""

    base_id: int
    base_name: str
    capacity: int  # the base's places in the batch (all its specialties)
    state: str
    dry_run_by: str = ""
    dry_run_at: datetime | None = None
    published_by: str = ""
    published_at: datetime | None = None
    admitted: int | None = None
    by_province: bool = False  # published by the province's publication for all

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])


def set_base_admission(batch: Batch, enabled: bool, deadline: date | None, actor) -> str | None:
    """The province opens (or closes) admission by the bases for ``batch`` until ``deadline`` (the first
    phase); a Chinese refusal, or None once changed (the caller commits; the session hook audits it)."""
    if actor is None or actor.role != Role.PROVINCE_ADMIN:
        return _("Only the province administrator may open admission by the training bases.")
    if batch is None or batch.program != Program.RESIDENCY:
        return _("Admission runs only for resident standardized training batches.")
    if enabled and deadline is None:
        return _("Please give the date by which the bases complete their admission (the first phase).")
    if batch.admission_published_at is not None:
        return _("The admission results of this batch have already been published.")
    if deadline is not None:  # the season's dates stay in order (app.domain.batches)
        fields = ("phase_two_deadline", "report_deadline")
        errors = calendar_errors({"phase_one_deadline": deadline, **{f: getattr(batch, f) for f in fields}})
        if errors:
            return errors[0][1]
    batch.base_admission_enabled = enabled
    if deadline is not None:
        batch.phase_one_deadline = deadline
    return None


def base_refusal(batch: Batch, actor, base_id: int | None, moment: datetime | None = None) -> str | None:
    """Why ``actor`` may not run or publish the admission of base ``base_id`` in ``batch`` now, or None.

    Only the base's own staff, only while the province has it open (deadline day included), never after
    the province published the batch, and only for a base with places in the batch."""
    if batch is None or batch.program != Program.RESIDENCY:
        return _("Admission runs only for resident standardized training batches.")
    if actor is None or actor.role != Role.BASE_STAFF:
        return _("Only the training base's staff may run the base's own admission.")
    if base_id is None or actor.base_id != base_id:
        return _("You may run admission only for your own training base.")
    if batch.admission_published_at is not None:
        return _("The province has already published the admission results of this batch.")
    refusal = deadline_refusal(batch, "base_admit", moment or now())
    if refusal:
        return refusal
    if not db.session.scalar(select(func.count(Quota.id)).where(Quota.batch_id == batch.id,
                                                                 Quota.base_id == base_id)):
        return _("Your training base has no places in this batch.")
    return None


def _row(batch_id: int, base_id: int) -> BaseAdmission | None:
    return db.session.scalar(select(BaseAdmission).where(BaseAdmission.batch_id == batch_id,
                                                         BaseAdmission.base_id == base_id))


def _ensure_row(batch_id: int, base_id: int) -> None:
    """Create the base's row if missing; two at once make one (INSERT … ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(BaseAdmission).values(batch_id=batch_id, base_id=base_id)
                       .on_conflict_do_nothing(index_elements=["batch_id", "base_id"]))


def _audit(actor, row_id: int, field: str, summary: str, reason: str, moment: datetime) -> None:
    db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username[:50], created_at=moment,
                            table_name="base_admission", record_id=str(row_id), action=AuditAction.UPDATE,
                            field_name=field, old_value=None, new_value=summary, reason=reason or None))


def _summary(result: Plan) -> str:
    return _("%(admitted)s of %(candidates)s candidates admitted", admitted=result.admitted,
             candidates=result.candidates)


def record_dry_run(batch: Batch, actor, base_id: int | None, reason: str = "") -> Plan:
    """The base's dry run, recorded (state 已试算, who, when) and audited with its reason; commits.
    ``AdmissionError`` (Chinese) when refused, with nothing written."""
    reason = (reason or "").strip()
    refusal = base_refusal(batch, actor, base_id) or reason_problem(reason)
    if refusal:
        raise AdmissionError(refusal)
    row = _row(batch.id, base_id)
    if row is not None and row.published_at is not None:
        raise AdmissionError(_("Your training base has already published its admission results."))
    result = dry_run(batch, Bases(only=base_id))
    moment = now()
    _ensure_row(batch.id, base_id)
    db.session.execute(update(BaseAdmission).where(
        BaseAdmission.batch_id == batch.id, BaseAdmission.base_id == base_id, BaseAdmission.published_at.is_(None))
        .values(dry_run_at=moment, dry_run_by_id=actor.id).execution_options(synchronize_session=False))
    _audit(actor, _row(batch.id, base_id).id, "base_dry_run", _summary(result), reason, moment)
    db.session.commit()
    return result


def _lock_batch(batch: Batch) -> None:
    """Hold the batch row shared (PostgreSQL ``FOR SHARE``): bases publish side by side, the province's
    claim (``FOR UPDATE``) waits for them, and a base waits for the province's; then re-read the batch."""
    statement = select(Batch.admission_published_at).where(Batch.id == batch.id)
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(read=True)
    if db.session.execute(statement).scalar_one_or_none() is not None:
        raise AdmissionError(_("The province has already published the admission results of this batch."))


def _claim_base(batch: Batch, base_id: int, actor, moment: datetime) -> int:
    """Mark the base published (a conditional UPDATE: of two publications one wins); its row id."""
    row = _row(batch.id, base_id)
    if row is None or row.dry_run_at is None:
        raise AdmissionError(_("Please run the dry run first and check it before publishing."))
    claimed = db.session.execute(update(BaseAdmission).where(
        BaseAdmission.id == row.id, BaseAdmission.published_at.is_(None))
        .values(published_at=moment, published_by_id=actor.id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise AdmissionError(_("Your training base has already published its admission results."))
    return row.id


def publish_base(batch: Batch, actor, base_id: int | None, expected: str | None, reason: str = "") -> Plan:
    """Publish base ``base_id``'s own admission in ``batch`` as ``actor`` in one transaction; commit.

    The checks of ``base_refusal``; the batch row held shared, the base claimed once; the dry run of the
    base's own candidates and seats must match ``expected`` (the fingerprint the staff saw); then
    ``base_admit`` / ``base_not_admit`` through ``transition_many`` (SMS in the outbox) and the audit
    row. ``AdmissionError`` (Chinese) with nothing changed when refused."""
    reason = (reason or "").strip()
    refusal = base_refusal(batch, actor, base_id) or reason_problem(reason)
    if refusal:
        raise AdmissionError(refusal)
    moment = now()
    with publishing():
        row_id = _claim_base(batch, base_id, actor, moment)
        _lock_batch(batch)  # after the claim: on SQLite the claim's write lock keeps the province out
        result = dry_run(batch, Bases(only=base_id))
        refusal = plan_refusal(result, expected)
        if refusal:
            raise AdmissionError(refusal)
        apply_plan(result, actor, actions=BASE_ACTIONS)
        db.session.execute(update(BaseAdmission).where(BaseAdmission.id == row_id).values(
            admitted=result.admitted, candidates=result.candidates).execution_options(synchronize_session=False))
        _audit(actor, row_id, "base_publication", _summary(result), reason, moment)
    return result


def base_state(batch: Batch, base_id: int) -> BaseState:
    """The state of one base's own admission (for its page)."""
    states = base_states(batch, only=base_id)
    return states[0] if states else BaseState(base_id, "", 0, NOT_STARTED)


def base_states(batch: Batch, only: int | None = None) -> list[BaseState]:
    """Every base with places in ``batch`` and the state of its own admission: four queries in all."""
    where = [Quota.batch_id == batch.id] + ([Quota.base_id == only] if only is not None else [])
    places = db.session.execute(
        select(TrainingBase.id, TrainingBase.name, func.sum(Quota.capacity))
        .join(Quota, Quota.base_id == TrainingBase.id).where(*where)
        .group_by(TrainingBase.id, TrainingBase.name).order_by(TrainingBase.name, TrainingBase.id)).all()
    rows = {row.base_id: row for row in db.session.scalars(
        select(BaseAdmission).where(BaseAdmission.batch_id == batch.id))}
    account_ids = {i for row in rows.values() for i in (row.dry_run_by_id, row.published_by_id) if i} | (
        {batch.admission_published_by_id} if batch.admission_published_by_id else set())
    names = {a.id: a.display_name or a.username for a in db.session.scalars(
        select(Account).where(Account.id.in_(sorted(account_ids))))} if account_ids else {}
    return [_state(batch, base_id, name, int(capacity or 0), rows.get(base_id), names)
            for base_id, name, capacity in places]


def _state(batch: Batch, base_id: int, name: str, capacity: int, row, names: dict) -> BaseState:
    found = BaseState(base_id, name, capacity, NOT_STARTED)
    if row is not None and row.dry_run_at is not None:
        found.state, found.dry_run_at, found.dry_run_by = DRY_RUN, row.dry_run_at, names.get(row.dry_run_by_id, "")
    if row is not None and row.published_at is not None:
        found.state, found.published_at = PUBLISHED, row.published_at
        found.published_by, found.admitted = names.get(row.published_by_id, ""), row.admitted
    elif batch.admission_published_at is not None:
        found.state, found.published_at, found.by_province = PUBLISHED, batch.admission_published_at, True
        found.published_by = names.get(batch.admission_published_by_id, "")
    return found


def deadline_text(batch: Batch) -> str:
    return cn_date(batch.phase_one_deadline) if batch.phase_one_deadline else ""


__all__ = ["BaseState", "DRY_RUN", "NOT_STARTED", "PUBLISHED", "STATE_LABELS", "base_refusal", "base_state",
           "base_states", "deadline_text", "publish_base", "record_dry_run", "set_base_admission"]
