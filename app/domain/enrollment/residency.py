"""The trainee's side of a residency (住培) application: identity, one base, one or two specialties,
the eligibility pre-check, the round-2 (调剂补录) guard and the seats left.

Eligibility itself is the pure ``app.domain.rules.eligibility.evaluate_residency``; this module feeds it
the application's data and keeps the choices inside the batch's quotas.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.domain.enrollment.snapshot import profile_snapshot
from app.domain.filing import filed_master
from app.domain.rules import RuleResult
from app.domain.rules.eligibility import evaluate_residency
from app.domain.withdrawals import recorded_withdrawal_dates
from app.domain.workflow import states
from app.extensions import db
from models import Application, ApplicationChoice, Batch, Quota, Specialty, Trainee, TrainingBase
from models.enums import AdmissionResult, BatchRound, Identity

IDENTITIES = (Identity.COMMISSIONED, Identity.OPEN_ENTRY, Identity.GRADUATE)
MAX_CHOICES = 2


class ChoiceError(ValueError):
    """Choices that cannot be saved; ``field`` names the form field, the message is for the trainee."""

    def __init__(self, message: str, field: str = "base_id"):
        super().__init__(message)
        self.field = field


def round_one_admission(trainee: Trainee, batch: Batch) -> Application | None:
    """For a round-2 batch: the trainee's admission in the batch before it, if any."""
    if batch.round != BatchRound.SUPPLEMENTARY or batch.previous_batch_id is None:
        return None
    return db.session.scalar(select(Application).where(
        Application.trainee_id == trainee.id, Application.batch_id == batch.previous_batch_id,
        (Application.status.in_(states.ADMITTED)) | (Application.admission_result == AdmissionResult.ADMITTED)))


def refusal(trainee: Trainee, batch: Batch) -> str | None:
    """Why ``trainee`` may not apply to ``batch`` (a residency batch), or None."""
    if round_one_admission(trainee, batch) is not None:
        return _("You were admitted in the first round; only applicants not admitted may apply for the "
                 "second round (调剂补录).")
    return None


def seats(batch: Batch) -> dict[int, list[tuple[Specialty, int]]]:
    """Base id → [(specialty, places)] of the batch's quotas with places, in specialty order.

    A round-2 batch's quotas are the seats left after round 1 (see ``create_round_two_quotas``)."""
    rows = db.session.execute(
        select(Quota.base_id, Specialty, Quota.capacity).join(Specialty, Quota.specialty_id == Specialty.id)
        .join(TrainingBase, Quota.base_id == TrainingBase.id)
        .where(Quota.batch_id == batch.id, Quota.capacity > 0, TrainingBase.trains_residency.is_(True))
        .order_by(Quota.base_id, Specialty.code)).all()
    result: dict[int, list[tuple[Specialty, int]]] = {}
    for base_id, specialty, capacity in rows:
        result.setdefault(base_id, []).append((specialty, capacity))
    return result


def bases(batch: Batch) -> list[TrainingBase]:
    ids = list(seats(batch))
    if not ids:
        return []
    return list(db.session.scalars(select(TrainingBase).where(TrainingBase.id.in_(ids)).order_by(TrainingBase.name)))


def set_choices(application: Application, base_ids: list[int], specialty_ids: list[int | None]) -> None:
    """Choose exactly one base and one or two ordered specialties among the batch's seats.

    Raises ``ChoiceError`` (nothing changed) for no base or more than one, an unknown base, a third
    specialty, a repeated one, or one without places at that base. An ineligible 专升本 choice is
    left to the eligibility rules (they show the reason; a failing rule blocks submission)."""
    if len(base_ids) > 1:
        raise ChoiceError(_("Choose exactly one training base."), "base_id")
    base_id = base_ids[0] if base_ids else None
    available = seats(application.batch)
    if base_id is None or base_id not in available:
        raise ChoiceError(_("Please choose a training base of this batch."), "base_id")
    chosen = [s for s in specialty_ids if s is not None]
    if len(specialty_ids) > MAX_CHOICES or len(chosen) > MAX_CHOICES:
        raise ChoiceError(_("Choose at most two specialties."), "second")
    if not chosen or specialty_ids[0] is None:
        raise ChoiceError(_("Please choose your first specialty."), "first")
    if len(set(chosen)) != len(chosen):
        raise ChoiceError(_("The second specialty must differ from the first."), "second")
    offered = {specialty.id for specialty, _places in available[base_id]}
    for rank, specialty_id in enumerate(chosen, start=1):
        if specialty_id not in offered:
            raise ChoiceError(_("This specialty has no places at the chosen base."),
                              "first" if rank == 1 else "second")
    application.base_id = base_id
    application.choices.clear()
    db.session.flush()  # the (application, rank) unique key: old choices go before new ones come
    for rank, specialty_id in enumerate(chosen, start=1):
        application.choices.append(ApplicationChoice(rank=rank, specialty_id=specialty_id))


def batch_facts(batch: Batch) -> dict:
    return {"year": batch.year, "licence_required_graduation_year": batch.licence_required_graduation_year,
            "shortage_codes": [s.code for s in batch.shortage_specialties], "dental_general_code": "2800"}


def application_facts(application: Application) -> dict:
    codes = db.session.scalars(select(Specialty.code).join(ApplicationChoice)
                               .where(ApplicationChoice.application_id == application.id)
                               .order_by(ApplicationChoice.rank)).all() if application.id else []
    trainee = application.trainee
    recorded = recorded_withdrawal_dates(trainee.id_number) if trainee is not None else []
    return {"identity": application.identity, "specialty_codes": list(codes),
            "no_postgrad_pledge": bool(application.no_postgrad_pledge), "unit_kind": None,
            "recorded_withdrawals": [d.isoformat() for d in recorded]}


def check(application: Application, on: date, snapshot: dict | None = None) -> list[RuleResult]:
    """The eligibility rules on the trainee's current profile (or a given snapshot)."""
    profile = snapshot if snapshot is not None else profile_snapshot(application.trainee)
    profile = {**profile, "filed_master": filed_master(application.trainee.id_number, application.batch.year)}
    return evaluate_residency(profile, application_facts(application), batch_facts(application.batch), on)


def problems(application: Application, on: date) -> list[str]:
    """What stops a residency application from being submitted, in Chinese."""
    from flask_babel import gettext
    found = []
    if application.identity not in IDENTITIES:
        found.append(_("Choose your identity (commissioned by a unit, open entry or fresh graduate)."))
    elif application.identity == Identity.COMMISSIONED and not (application.commissioning_unit or "").strip():
        found.append(_("Name the commissioning unit."))
    if application.base_id is None or not application.choices:
        found.append(_("Choose a training base and your specialties."))
    refused = refusal(application.trainee, application.batch)
    if refused:
        found.append(refused)
    for result in check(application, on):
        if result.hard and not result.passed:
            found.append(_("Eligibility: %(reason)s", reason=result.render(gettext)))
    return found


def create_round_two_quotas(batch: Batch) -> int:
    """Give a round-2 batch the seats left after its previous batch's admission: for each
    (base, specialty) quota, capacity minus those admitted there. Existing round-2 quotas are
    set to the same numbers. Returns the number of quotas with places."""
    previous = batch.previous_batch
    if (batch.round != BatchRound.SUPPLEMENTARY or previous is None or previous.id == batch.id
            or previous.program != batch.program or previous.round != BatchRound.FIRST):
        raise ValueError(_("Only a supplementary-round batch following a first-round batch of the same program "
                           "takes the seats left."))
    admitted = {(base_id, specialty_id): count for base_id, specialty_id, count in db.session.execute(
        select(Application.base_id, Application.admitted_specialty_id, func.count())
        .where(Application.batch_id == previous.id, Application.status.in_(states.ADMITTED))
        .group_by(Application.base_id, Application.admitted_specialty_id))}
    existing = {(q.base_id, q.specialty_id): q for q in batch.quotas}
    with_places = 0
    for quota in previous.quotas:
        left = max(quota.capacity - admitted.get((quota.base_id, quota.specialty_id), 0), 0)
        target = existing.get((quota.base_id, quota.specialty_id))
        if target is None:
            batch.quotas.append(Quota(base_id=quota.base_id, specialty_id=quota.specialty_id, capacity=left))
        else:
            target.capacity = left
        with_places += left > 0
    db.session.flush()
    return with_places
