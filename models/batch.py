"""Enrollment batches (招收批次), their settings and quotas per base and specialty."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Numeric, String, Table, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import now
from models.enums import BatchRound, BatchStatus, Program
from models.institution import TrainingBase
from models.specialty import Specialty

batch_shortage_specialty = Table(
    "batch_shortage_specialty",
    db.metadata,
    Column("batch_id", ForeignKey("batch.id", ondelete="CASCADE"), primary_key=True),
    Column("specialty_id", ForeignKey("specialty.id", ondelete="RESTRICT"), primary_key=True),
)


class Batch(db.Model):
    """One enrollment batch of a program, with its registration window and exam settings."""

    __tablename__ = "batch"
    __table_args__ = (
        Program.check("program"),
        BatchRound.check("round"),
        BatchStatus.check("status"),
        CheckConstraint("closes_at > opens_at", name="window_ordered"),
        CheckConstraint("plan_total IS NULL OR plan_total >= 0", name="plan_not_negative"),
        CheckConstraint("expected_base_count IS NULL OR expected_base_count >= 0", name="expected_bases_not_negative"),
        CheckConstraint("theory_weight >= 0 AND skills_weight >= 0", name="weights_not_negative"),
        CheckConstraint("card_closes_on IS NULL OR card_opens_on IS NULL OR card_closes_on >= card_opens_on",
                        name="card_window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    year: Mapped[int] = mapped_column(index=True)
    program: Mapped[str] = mapped_column(String(20), index=True)
    round: Mapped[str] = mapped_column(String(20), default=BatchRound.FIRST)
    previous_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.DRAFT, index=True)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    plan_total: Mapped[int | None]  # 招收计划: the province's plan figure (e.g. 2100)
    expected_base_count: Mapped[int | None]  # how many training bases are expected to recruit
    # the season's calendar after the registration window (dates are inclusive: the whole day counts)
    resubmission_deadline: Mapped[date | None]  # 退回修改截止: returned applications are resubmitted by then
    phase_one_deadline: Mapped[date | None]  # 第一阶段招收 completed by (the plan: 5-31)
    phase_two_deadline: Mapped[date | None]  # 第二阶段 (调剂补录) completed by (the plan: 6-15)
    # residency settings (住培)
    theory_exam_starts_at: Mapped[datetime | None]
    theory_exam_ends_at: Mapped[datetime | None]
    confirmation_deadline: Mapped[date | None]
    # the province's default 准考证 download window (inclusive); a base's own window (ExamPlan) wins
    card_opens_on: Mapped[date | None]
    card_closes_on: Mapped[date | None]
    report_deadline: Mapped[date | None]
    # 录取确认: admitted trainees accept or decline their admission between these days (inclusive)
    acceptance_opens_on: Mapped[date | None]
    acceptance_closes_on: Mapped[date | None]
    # 应届毕业生 admitted without a diploma upload the diploma and degree by this day (暂不能提供…可于毕业后再提供)
    diploma_deadline: Mapped[date | None]
    licence_required_graduation_year: Mapped[int | None]  # graduates of this year or earlier need a licence
    theory_weight: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("0.5"))
    skills_weight: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("0.5"))
    tie_break: Mapped[str] = mapped_column(String(100), default="theory,skills,submitted_at")
    notes: Mapped[str | None] = mapped_column(String(500))
    # residency admission: set once, when the province admin publishes the results
    admission_published_at: Mapped[datetime | None]
    admission_published_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # 各住培基地…择优录取: the province lets each base run and publish its own admission (its own quotas),
    # until phase_one_deadline (5 月 31 日前完成第一阶段招收工作); the province may still publish for all
    base_admission_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=now)

    previous_batch: Mapped[Batch | None] = relationship(remote_side=[id])
    shortage_specialties: Mapped[list[Specialty]] = relationship(secondary=batch_shortage_specialty)
    skill_items: Mapped[list[SkillItem]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="SkillItem.id")
    quotas: Mapped[list[Quota]] = relationship(back_populates="batch", cascade="all, delete-orphan")

    def is_open(self, at: datetime | None = None) -> bool:
        """Open for registration now: published and inside the window."""
        at = at or now()
        return self.status == BatchStatus.OPEN and self.opens_at <= at < self.closes_at

    def __str__(self) -> str:
        return self.name


class SkillItem(db.Model):
    """A skills-exam item of a residency batch; CPR (单人徒手心肺复苏) is mandatory."""

    __tablename__ = "skill_item"
    __table_args__ = (UniqueConstraint("batch_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    mandatory: Mapped[bool] = mapped_column(default=False)

    batch: Mapped[Batch] = relationship(back_populates="skill_items")

    def __str__(self) -> str:
        return self.name


class Quota(db.Model):
    """Places (容量) of one specialty at one base in one batch."""

    __tablename__ = "quota"
    __table_args__ = (
        UniqueConstraint("batch_id", "base_id", "specialty_id"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"), index=True)
    capacity: Mapped[int] = mapped_column(default=0)

    batch: Mapped[Batch] = relationship(back_populates="quotas")
    base: Mapped[TrainingBase] = relationship()
    specialty: Mapped[Specialty] = relationship()

    def __str__(self) -> str:
        return f"{self.base} · {self.specialty}"


class BaseAdmission(db.Model):
    """One base's own admission in a batch (基地录取): its last dry run and its publication, with who and when.

    No row: 未开始 (not started); ``dry_run_at``: 已试算; ``published_at``: 已发布 (set once)."""

    __tablename__ = "base_admission"
    __table_args__ = (UniqueConstraint("batch_id", "base_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    dry_run_at: Mapped[datetime | None]
    dry_run_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    admitted: Mapped[int | None]  # admitted by the publication
    candidates: Mapped[int | None]  # decided by the publication
