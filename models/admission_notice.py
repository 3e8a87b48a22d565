"""Admission notices (录取通知) with the trainee's answer, and the bases' 报到 arrangements."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.application import Application
from models.base import db
from models.clock import now
from models.enums import Choices
from models.institution import TrainingBase
from models.specialty import Specialty


class Acceptance(Choices):
    """The trainee's answer to an admission notice."""

    PENDING, ACCEPTED, DECLINED, EXPIRED = "pending", "accepted", "declined", "expired"
    items = ((PENDING, _l("Awaiting the trainee's answer")), (ACCEPTED, _l("Accepted")),
             (DECLINED, _l("Declined")), (EXPIRED, _l("Expired without an answer")))


class ReportArrangement(db.Model):
    """Where and when a base's admitted trainees report (报到), for the whole base (no specialty) or
    for one of its specialties; a specialty's own arrangement wins over the base's."""

    __tablename__ = "report_arrangement"
    __table_args__ = (UniqueConstraint("batch_id", "base_id", "specialty_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="CASCADE"), index=True)
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id", ondelete="CASCADE"))
    # 0 for the whole base: a unique key that NULL would not give on PostgreSQL
    specialty_key: Mapped[int] = mapped_column(default=0)
    report_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    base: Mapped[TrainingBase] = relationship()
    specialty: Mapped[Specialty | None] = relationship()


class AdmissionNotice(db.Model):
    """The 录取通知 of one admitted application, issued by its base, and the trainee's answer
    (接受 / 放弃, or expired when the window closed without one)."""

    __tablename__ = "admission_notice"
    __table_args__ = (
        Acceptance.check("acceptance"),
        CheckConstraint("acceptance = 'pending' OR answered_at IS NOT NULL", name="answer_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"))
    report_at: Mapped[datetime]
    report_place: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(default=now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # a seat offered after a decline has its own reply-by date; otherwise the batch's window applies
    reply_by: Mapped[date | None]
    acceptance: Mapped[str] = mapped_column(String(20), default=Acceptance.PENDING, index=True)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    answer_reason: Mapped[str | None] = mapped_column(String(200))
    # the notice in force for its application (a seat declined, then offered again, gets a new one)
    current: Mapped[bool] = mapped_column(default=True)

    application: Mapped[Application] = relationship()
    base: Mapped[TrainingBase] = relationship()
    specialty: Mapped[Specialty] = relationship()

    @property
    def acceptance_label(self) -> str:
        return Acceptance.label(self.acceptance)
