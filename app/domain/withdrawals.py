"""Withdrawals from 住培 (退培) and the bar list (黑名单).

The base records a withdrawal of one of its admitted trainees (date, reason, whether the funds must
be refunded, a document); the province approves it or returns it with a reason. An approved record
is final: nobody edits or deletes it. Records are bound to the ID number, so the rule "退培 3 年内不得
再次参加住培" (seeds/residency-recruitment-plan-2024.txt) reads them for any later application of the
same person, whatever account they use (``recorded_withdrawal_dates``).

The province keeps a bar list: a person on it may not apply during the period. The trainee is told
only to contact the province, not the reason (``bar_refusal``).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.domain.rules import parse_date
from app.domain.workflow import states
from app.extensions import db
from app.infra import storage
from models import Account, Application, Batch, BarEntry, Role, Trainee, Withdrawal
from models.clock import now
from models.enums import AttachmentKind, Program, WithdrawalReason, WithdrawalStatus

DECIDERS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
ACTIVE = (WithdrawalStatus.PENDING, WithdrawalStatus.APPROVED)
MAX_REASON = 200
MAX_RETURN_REASON = 500


class WithdrawalError(ValueError):
    """A refused withdrawal step; ``field`` names the form field, ``str`` is the Chinese message."""

    def __init__(self, message: str, field: str = "form"):
        super().__init__(message)
        self.field = field


def withdrawable_condition(user: Account):
    """The applications ``user`` (base staff) may record a withdrawal for: residency applications
    admitted to or reported at their base, without a pending or approved withdrawal."""
    return (Application.base_id == user.base_id) & Application.status.in_(states.ADMITTED) & (
        Application.batch_id.in_(select(Batch.id).where(Batch.program == Program.RESIDENCY))) & (
        Application.id.not_in(select(Withdrawal.application_id).where(Withdrawal.status.in_(ACTIVE))))


def withdrawable(user: Account) -> list[Application]:
    if user.role != Role.BASE_STAFF or user.base_id is None:
        return []
    return list(db.session.scalars(
        select(Application).where(withdrawable_condition(user))
        .options(db.joinedload(Application.trainee), db.joinedload(Application.batch))
        .order_by(Application.id.desc())))


def _check_fields(withdrawn_on: date | None, reason: str | None, reason_other: str | None,
                  admitted_on: date | None) -> str | None:
    if withdrawn_on is None:
        raise WithdrawalError(_("Enter the date of withdrawal."), "withdrawn_on")
    if withdrawn_on > now().date():
        raise WithdrawalError(_("The date of withdrawal cannot be in the future."), "withdrawn_on")
    if admitted_on is not None and withdrawn_on < admitted_on:
        raise WithdrawalError(_("The date of withdrawal cannot be before the batch's year."), "withdrawn_on")
    if reason not in WithdrawalReason.values():
        raise WithdrawalError(_("Choose a reason for the withdrawal."), "reason")
    other = (reason_other or "").strip()
    if reason == WithdrawalReason.OTHER and not other:
        raise WithdrawalError(_("The reason is “Other”: describe it."), "reason_other")
    if len(other) > MAX_REASON:
        raise WithdrawalError(_("The reason may be at most %(count)s characters.", count=MAX_REASON), "reason_other")
    return other if reason == WithdrawalReason.OTHER else None


def record_withdrawal(application_id: int | None, actor: Account, withdrawn_on: date | None, reason: str | None,
                      reason_other: str | None, refund_required: bool, file) -> Withdrawal:
    """Record a withdrawal (pending the province's approval), flushed, not committed.

    Raises ``WithdrawalError`` (nothing saved) for another base's or a not-admitted application, one
    already withdrawn, a bad date or reason, or a document that is not an acceptable PDF or image."""
    application = db.session.scalar(select(Application).where(Application.id == application_id,
                                                               withdrawable_condition(actor))) \
        if actor.role == Role.BASE_STAFF and application_id is not None else None
    if application is None:
        raise WithdrawalError(_("Choose an admitted trainee of your base who has not withdrawn."), "application_id")
    other = _check_fields(withdrawn_on, reason, reason_other, date(application.batch.year, 1, 1))
    try:
        document = storage.save(file, AttachmentKind.OTHER, application.trainee, uploaded_by=actor)
    except storage.UploadError as error:
        raise WithdrawalError(str(error), "document") from None
    trainee = application.trainee
    withdrawal = Withdrawal(application_id=application.id, trainee_id=trainee.id, base_id=application.base_id,
                            name=trainee.name, id_number=trainee.id_number, withdrawn_on=withdrawn_on,
                            reason=reason, reason_other=other, refund_required=bool(refund_required),
                            document_id=document.id, status=WithdrawalStatus.PENDING, recorded_by_id=actor.id)
    db.session.add(withdrawal)
    db.session.flush()
    return withdrawal


def _decidable(withdrawal: Withdrawal, actor: Account) -> None:
    if actor.role not in DECIDERS:
        raise WithdrawalError(_("Only the provincial health commission approves or returns withdrawals."))
    if withdrawal.status != WithdrawalStatus.PENDING:
        raise WithdrawalError(_("This withdrawal is %(status)s and can no longer be decided.",
                                status=WithdrawalStatus.label(withdrawal.status)))


def approve(withdrawal: Withdrawal, actor: Account) -> None:
    """The province approves: the record becomes final."""
    _decidable(withdrawal, actor)
    withdrawal.status = WithdrawalStatus.APPROVED
    withdrawal.decided_by_id, withdrawal.decided_at = actor.id, now()
    withdrawal.return_reason = None
    db.session.flush()


def return_withdrawal(withdrawal: Withdrawal, actor: Account, reason: str | None) -> None:
    """The province returns the record to the base, with a reason."""
    _decidable(withdrawal, actor)
    text = (reason or "").strip()
    if not text:
        raise WithdrawalError(_("Give the reason for returning it."), "return_reason")
    if len(text) > MAX_RETURN_REASON:
        raise WithdrawalError(_("The reason may be at most %(count)s characters.", count=MAX_RETURN_REASON),
                              "return_reason")
    withdrawal.status = WithdrawalStatus.RETURNED
    withdrawal.return_reason = text
    withdrawal.decided_by_id, withdrawal.decided_at = actor.id, now()
    db.session.flush()


def may_delete(withdrawal: Withdrawal, actor: Account) -> bool:
    """The base may withdraw its own record while it is not approved; an approved record is final."""
    return (withdrawal.status != WithdrawalStatus.APPROVED and actor.role == Role.BASE_STAFF
            and withdrawal.base_id == actor.base_id)


def delete_withdrawal(withdrawal: Withdrawal, actor: Account) -> None:
    if withdrawal.status == WithdrawalStatus.APPROVED:
        raise WithdrawalError(_("An approved withdrawal is final: it cannot be changed or deleted."))
    if not may_delete(withdrawal, actor):
        raise WithdrawalError(_("Only the base that recorded it may delete this withdrawal."))
    document = withdrawal.document
    db.session.delete(withdrawal)
    db.session.flush()
    if document is not None:
        storage.delete(document)


def recorded_withdrawal_dates(id_number: str | None) -> list[date]:
    """The dates of the approved withdrawals of the person with ``id_number`` (any account)."""
    if not id_number:
        return []
    return list(db.session.scalars(select(Withdrawal.withdrawn_on).where(
        Withdrawal.id_number == id_number.strip().upper(), Withdrawal.status == WithdrawalStatus.APPROVED)
        .order_by(Withdrawal.withdrawn_on)))


def declaration_conflict(application: Application) -> str | None:
    """A Chinese note when the trainee's declared withdrawal date (in the submitted snapshot, else the
    profile) contradicts the approved records of their ID number: none declared, or another date."""
    if application.trainee is None:
        return None
    recorded = recorded_withdrawal_dates(application.trainee.id_number)
    if not recorded:
        return None
    snapshot = application.snapshot or {}
    declared = parse_date(snapshot.get("residency_withdrawn_on")) if snapshot else \
        application.trainee.residency_withdrawn_on
    dates = "、".join(d.isoformat() for d in recorded)
    if declared is None:
        return _("The trainee declared no withdrawal from residency training, but an approved withdrawal is "
                 "recorded for this ID number on %(dates)s.", dates=dates)
    if declared not in recorded:
        return _("The trainee declared a withdrawal on %(declared)s, but the approved withdrawal recorded for this "
                 "ID number is on %(dates)s.", declared=declared.isoformat(), dates=dates)
    return None


def active_bar(id_number: str | None, on: date) -> BarEntry | None:
    """The bar-list entry of ``id_number`` in force on ``on`` (its period includes both ends)."""
    if not id_number:
        return None
    return db.session.scalar(select(BarEntry).where(
        BarEntry.id_number == id_number.strip().upper(), BarEntry.starts_on <= on, BarEntry.ends_on >= on)
        .order_by(BarEntry.ends_on.desc()).limit(1))


def bar_refusal(trainee: Trainee, on: date | None = None) -> str | None:
    """Why ``trainee`` may not apply because of the bar list (Chinese), or None.

    The reason is not shown: it may concern a third party or an inquiry, and the trainee reads it
    on any screen; the province explains it to the person who calls."""
    if active_bar(trainee.id_number, on or now().date()) is None:
        return None
    return _("You cannot apply at present. Please contact the provincial health commission (科技教育处) for "
             "details.")
