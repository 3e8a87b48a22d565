"""Applications (报名) with their choices and exemption requests, and the application states."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.batch import Batch
from models.clock import now
from models.enums import AdmissionResult, Choices, Identity, Program
from models.institution import TrainingBase
from models.region import Region
from models.specialty import Specialty
from models.trainee import Trainee


class Status(Choices):
    """Application states of both programs; labels read by program (see ``label_for``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    COUNTY_APPROVED = "county_approved"
    CITY_APPROVED = "city_approved"
    ASSIGNED = "assigned"
    RETURNED = "returned"
    REJECTED = "rejected"
    BASE_APPROVED = "base_approved"
    CONFIRMED = "confirmed"
    ADMITTED = "admitted"
    NOT_ADMITTED = "not_admitted"
    REPORTED = "reported"
    items = (
        (DRAFT, _l("Draft")),
        (SUBMITTED, _l("Awaiting county review")),
        (COUNTY_APPROVED, _l("Awaiting city review")),
        (CITY_APPROVED, _l("Awaiting base assignment")),
        (ASSIGNED, _l("Assigned to base")),
        (RETURNED, _l("Returned for changes")),
        (REJECTED, _l("Not approved")),
        (BASE_APPROVED, _l("Awaiting on-site confirmation")),
        (CONFIRMED, _l("Confirmed on site")),
        (ADMITTED, _l("Admitted")),
        (NOT_ADMITTED, _l("Not admitted")),
        (REPORTED, _l("Reported")),
    )
    RESIDENCY_LABELS = {SUBMITTED: _l("Awaiting base review")}

    @classmethod
    def label_for(cls, value: str, program: str | None) -> str:
        """The label as the program's users know it (住培 waits for the base, not the county)."""
        if program == Program.RESIDENCY and value in cls.RESIDENCY_LABELS:
            return str(cls.RESIDENCY_LABELS[value])
        return cls.label(value)


class Application(db.Model):
    """A trainee's application to a batch; one per trainee and batch."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("trainee_id", "batch_id"),
        Status.check("status"),
        Identity.check("identity", nullable=True),
        AdmissionResult.check("admission_result"),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        Index("ix_application_batch_id_status_submitted_at", "batch_id", "status", "submitted_at"),
        # scoped review lists in their default order, longest waiting first (id breaks ties): one county,
        # city or base, or the whole province; a page's ids from the index, walked in order (on PostgreSQL
        # the scope's batch and the status ride along: a deep page or a queue is read from the index alone)
        Index("ix_application_county_id_status_changed_at_id", "county_id", "status_changed_at", "id",
              postgresql_include=["batch_id", "status"]),
        Index("ix_application_city_id_status_changed_at_id", "city_id", "status_changed_at", "id",
              postgresql_include=["batch_id", "status"]),
        Index("ix_application_base_id_status_changed_at_id", "base_id", "status_changed_at", "id",
              postgresql_include=["batch_id", "status"]),
        Index("ix_application_status_changed_at_id", "status_changed_at", "id"),
        # the whole list in its total order (id breaks ties): a deep page's ids from the index alone
        Index("ix_application_submitted_at_id", "submitted_at", "id"),
        # commissions count only GP applications (batch_id IN the GP batches): covered by these; the unit
        # name rides along on PostgreSQL, so a region's unit-name search counts from its own entries alone
        Index("ix_application_county_id_batch_id", "county_id", "batch_id", postgresql_include=["unit_name"]),
        Index("ix_application_city_id_batch_id", "city_id", "batch_id", postgresql_include=["unit_name"]),
        # the dashboard's counts by batch, status and city, read from the index alone
        Index("ix_application_batch_id_status_city_id", "batch_id", "status", "city_id"),
        # the review queues: longest waiting first, by the time the application entered its state
        Index("ix_application_status_status_changed_at", "status", "status_changed_at", "id"),
        # the dashboard's waiting times per queue and its score histogram, read from indexes alone
        Index("ix_application_status_batch_id_status_changed_at", "status", "batch_id", "status_changed_at"),
        Index("ix_application_batch_id_combined_score", "batch_id", "combined_score"),
        Index("ix_application_batch_id_exam_absent", "batch_id", "exam_absent"),
        # a county's and a base's queues timed from submission: their waiting times from the index alone
        Index("ix_application_county_id_status_batch_id_submitted_at", "county_id", "status", "batch_id",
              "submitted_at"),
        Index("ix_application_base_id_status_batch_id_submitted_at", "base_id", "status", "batch_id", "submitted_at"),
        # the residency season's scored applicants per base and specialty, from the index alone
        Index("ix_application_scored_place", "batch_id", "base_id", "first_specialty_id", "status",
              postgresql_include=["combined_score", "exam_absent"],
              postgresql_where=text("combined_score IS NOT NULL AND exam_absent IS FALSE"),
              sqlite_where=text("combined_score IS NOT NULL AND exam_absent IS FALSE")),
        # the list's "contains" search of the unit name: a trigram index on PostgreSQL (pg_trgm)
        Index("ix_application_unit_name_trgm", "unit_name", postgresql_using="gin",
              postgresql_ops={"unit_name": "gin_trgm_ops"}),
        # …and its count's first try: the units whose name starts with the term (a b-tree of the collation's
        # own order answers no prefix on PostgreSQL outside the C locale; this one compares bytes)
        Index("ix_application_unit_name_prefix", "unit_name", postgresql_ops={"unit_name": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id", ondelete="RESTRICT"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id", ondelete="RESTRICT"), index=True)
    identity: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=Status.DRAFT, index=True)
    # where it is reviewed: the county and city of the trainee's unit, fixed at submission
    county_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    unit_name: Mapped[str | None] = mapped_column(String(100), index=True)
    # GP: the assigned base; residency: the chosen base
    base_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    commissioning_unit: Mapped[str | None] = mapped_column(String(100))
    claims_exemption: Mapped[bool | None]
    no_postgrad_pledge: Mapped[bool] = mapped_column(default=False)
    # JSON columns write Python's None as SQL NULL (not the JSON text null): "no snapshot yet" is then
    # ``IS NULL`` whether the row came from a form or from a bulk insert (``flask demo``)
    snapshot: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # the snapshot of the submission before the latest resubmission, to show what changed
    previous_snapshot: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    eligibility: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    # when the application entered its current status (written with every status change, by
    # ``transition`` and ``transition_many``): the queues' "waiting since"
    status_changed_at: Mapped[datetime] = mapped_column(default=now)
    # residency: confirmation, scores, admission and reporting
    onsite_confirmed_at: Mapped[datetime | None]
    onsite_materials: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    theory_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    skills_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # skills-exam score per item of the batch ({item name: score}); skills_score is their total
    skill_scores: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    combined_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), index=True)
    # 缺考: recorded explicitly by the score import (no scores then); an empty score is only "not yet imported"
    exam_absent: Mapped[bool] = mapped_column(default=False, server_default=false())
    admission_result: Mapped[str] = mapped_column(String(20), default=AdmissionResult.PENDING)
    admitted_specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"))
    admitted_choice_rank: Mapped[int | None]
    # the first-choice specialty, kept by a database trigger on application_choice for the maintained
    # dashboard counts (models.application_count); never set it from Python
    # (no foreign key: a specialty is never deleted while chosen, the choice's own key ensures that)
    first_specialty_id: Mapped[int | None]
    admission_note: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    trainee: Mapped[Trainee] = relationship()
    batch: Mapped[Batch] = relationship()
    county: Mapped[Region | None] = relationship(foreign_keys=[county_id])
    city: Mapped[Region | None] = relationship(foreign_keys=[city_id])
    base: Mapped[TrainingBase | None] = relationship()
    admitted_specialty: Mapped[Specialty | None] = relationship()
    choices: Mapped[list[ApplicationChoice]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationChoice.rank")
    exemptions: Mapped[list[ExemptionRequest]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ExemptionRequest.type")

    @property
    def status_label(self) -> str:
        return Status.label_for(self.status, self.batch.program if self.batch else None)

    def __str__(self) -> str:
        return f"{self.trainee} · {self.batch}"


class ApplicationChoice(db.Model):
    """An ordered specialty choice (志愿): GP has 全科; residency one or two."""

    __tablename__ = "application_choice"
    __table_args__ = (
        UniqueConstraint("application_id", "rank"),
        UniqueConstraint("application_id", "specialty_id"),
        CheckConstraint("rank IN (1, 2)", name="rank_first_or_second"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"), index=True)

    application: Mapped[Application] = relationship(back_populates="choices")
    specialty: Mapped[Specialty] = relationship()

    def __str__(self) -> str:
        return f"{self.rank}. {self.specialty}"


class ExemptionRequest(db.Model):
    """One claimed exemption type (申请减免内容, 1–8) with its content, reason and rule results."""

    __tablename__ = "exemption_request"
    __table_args__ = (
        UniqueConstraint("application_id", "type"),
        CheckConstraint("type BETWEEN 1 AND 8", name="type_one_to_eight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    type: Mapped[int] = mapped_column(index=True)
    content: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # facts of the claim the rules need: a certificate's date (types 2, 7, 8) and months (type 8)
    certificate_date: Mapped[date | None]
    training_months: Mapped[int | None]
    rule_results: Mapped[list | None] = mapped_column(JSON)
    rules_passed: Mapped[bool | None] = mapped_column(index=True)

    application: Mapped[Application] = relationship(back_populates="exemptions")

    def __str__(self) -> str:
        return str(self.type)
