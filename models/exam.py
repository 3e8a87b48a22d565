"""The residency exam arrangements of one base in one batch: the 准考证 window, the theory-exam rooms
(考场), the skills items (技能考核项目) per specialty, and each confirmed applicant's seat (准考证号)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.application import Application
from models.base import db
from models.batch import Batch
from models.clock import now
from models.institution import TrainingBase
from models.specialty import Specialty

MAX_ROOM_CAPACITY = 500  # a theory-exam room; more than this is a typing mistake


class ExamPlan(db.Model):
    """What a base decides for its exam in a batch: the days its trainees may download the 准考证."""

    __tablename__ = "exam_plan"
    __table_args__ = (
        UniqueConstraint("batch_id", "base_id"),
        CheckConstraint("card_closes_on >= card_opens_on", name="card_window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    card_opens_on: Mapped[date]  # first day the 准考证 can be downloaded (inclusive)
    card_closes_on: Mapped[date]  # last day (inclusive)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    batch: Mapped[Batch] = relationship()
    base: Mapped[TrainingBase] = relationship()


class ExamRoom(db.Model):
    """A theory-exam room (考场) of a base in a batch, with its capacity and invigilators."""

    __tablename__ = "exam_room"
    __table_args__ = (
        UniqueConstraint("batch_id", "base_id", "name"),
        CheckConstraint(f"capacity > 0 AND capacity <= {MAX_ROOM_CAPACITY}", name="capacity_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    invigilators: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)

    batch: Mapped[Batch] = relationship()
    base: Mapped[TrainingBase] = relationship()

    def __str__(self) -> str:
        return self.name


class SpecialtySkillItem(db.Model):
    """A skills-exam item that a base's specialty (专业基地) examines in a batch."""

    __tablename__ = "specialty_skill_item"
    __table_args__ = (UniqueConstraint("batch_id", "base_id", "specialty_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(default=0)

    specialty: Mapped[Specialty] = relationship()

    def __str__(self) -> str:
        return self.name


class ExamSeat(db.Model):
    """A confirmed applicant's exam number (准考证号) and seat; issued once and kept on every re-run."""

    __tablename__ = "exam_seat"
    __table_args__ = (
        UniqueConstraint("room_id", "seat_no"),
        UniqueConstraint("batch_id", "base_id", "sequence"),
        CheckConstraint("seat_no > 0", name="seat_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("exam_room.id", ondelete="RESTRICT"), index=True)
    seat_no: Mapped[int]
    sequence: Mapped[int]  # the n-th number issued at this base in this batch
    exam_number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=now)

    application: Mapped[Application] = relationship()
    room: Mapped[ExamRoom] = relationship()
