"""Assigning GP-transfer (全科转岗) applications to training bases without overbooking a quota.

``assign_base`` locks the batch's 全科 quota row of the base before counting the places taken, so
two reviewers assigning at once cannot both take the last place:

* PostgreSQL: ``SELECT … FOR UPDATE`` on the quota row; a second caller waits until the first
  commits, then counts again and sees the first one's assignment.
* SQLite ignores ``FOR UPDATE``; there a no-op ``UPDATE`` of the quota row takes the database's
  single write lock before the count, which serializes the callers the same way (a waiting caller
  blocks for up to the driver's busy timeout, 5 s by default).

The lock is held until the caller commits (or rolls back). The caller commits, as with
``app.domain.workflow.transition``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.domain.workflow import TransitionError, transition
from app.extensions import db
from models import Application, Batch, Quota, Specialty, Status, TrainingBase
from models.enums import Program


class AssignmentError(TransitionError):
    """A refused assignment; ``str(error)`` is the Chinese message for the user."""


@dataclass(frozen=True)
class BasePlaces:
    base: TrainingBase
    quota: Quota
    taken: int

    @property
    def remaining(self) -> int:
        return max(self.quota.capacity - self.taken, 0)


def gp_specialty_id():
    return select(Specialty.id).where(Specialty.code == Specialty.GP_CODE).scalar_subquery()


def taken_places(batch_id: int, base_id: int) -> int:
    """Applications of ``batch_id`` already assigned to ``base_id``."""
    return db.session.scalar(
        select(func.count(Application.id)).where(Application.batch_id == batch_id, Application.base_id == base_id,
                                                 Application.status == Status.ASSIGNED)) or 0


def gp_bases(batch: Batch) -> list[BasePlaces]:
    """GP-transfer bases with a 全科 quota in ``batch``, with the places taken, by name."""
    rows = db.session.execute(
        select(TrainingBase, Quota)
        .join(Quota, Quota.base_id == TrainingBase.id)
        .where(Quota.batch_id == batch.id, Quota.specialty_id == gp_specialty_id(),
               TrainingBase.trains_gp_transfer.is_(True))
        .order_by(TrainingBase.name)).all()
    if not rows:
        return []
    counts = dict(db.session.execute(
        select(Application.base_id, func.count(Application.id))
        .where(Application.batch_id == batch.id, Application.status == Status.ASSIGNED,
               Application.base_id.in_([base.id for base, _quota in rows]))
        .group_by(Application.base_id)).all())
    return [BasePlaces(base, quota, counts.get(base.id, 0)) for base, quota in rows]


def _lock_quota(batch_id: int, base_id: int) -> Quota | None:
    """The 全科 quota of (batch, base), locked until the transaction ends (see the module notes)."""
    condition = (Quota.batch_id == batch_id, Quota.base_id == base_id, Quota.specialty_id == gp_specialty_id())
    if db.session.get_bind().dialect.name == "sqlite":
        # takes SQLite's write lock now, before the count below
        db.session.execute(update(Quota).where(*condition).values(capacity=Quota.capacity)
                           .execution_options(synchronize_session=False))
        return db.session.scalar(select(Quota).where(*condition))
    return db.session.scalar(select(Quota).where(*condition).with_for_update())


def assign_base(application: Application, base: TrainingBase | None, actor):
    """Assign ``application`` to ``base`` as ``actor``; raise ``AssignmentError`` / ``TransitionError``.

    Returns the ``ReviewRecord``. The caller commits (which releases the quota lock) or rolls back.
    """
    if base is None:
        raise AssignmentError(_("Please choose a training base."))
    if application.batch.program != Program.GP_TRANSFER or not base.trains_gp_transfer:
        raise AssignmentError(_("%(base)s does not train GP-transfer trainees; choose another base.",
                                base=base.name))
    quota = _lock_quota(application.batch_id, base.id)
    if quota is None:
        raise AssignmentError(_("%(base)s has no GP places in this batch; choose another base.", base=base.name))
    if taken_places(application.batch_id, base.id) >= quota.capacity:
        raise AssignmentError(_("%(base)s is full: all %(capacity)s GP places of this batch are taken.",
                                base=base.name, capacity=quota.capacity))
    record = transition(application, "assign_base", actor)
    application.base_id = base.id
    db.session.flush()
    return record
