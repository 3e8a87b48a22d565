"""The professional master's filing (专硕备案): each university's students of a year, the year's
deadline, the province's reopenings after it and its approvals of cross-city training."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.account import Account
from models.base import db
from models.clock import now
from models.enums import ApprovalState, MasterMajor
from models.institution import TrainingBase
from models.specialty import Specialty
from models.university import University


class MasterFiling(db.Model):
    """One filed professional master's student: who, which university, major, base and specialty.

    An ID number is filed once a year (by whichever university). ``flag_reason`` is set when the
    base says it cannot take the student."""

    __tablename__ = "master_filing"
    __table_args__ = (
        UniqueConstraint("year", "id_number"),
        MasterMajor.check("major"),
        Index("ix_master_filing_base_id_year_specialty_id", "base_id", "year", "specialty_id"),
        Index("ix_master_filing_university_id_year", "university_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    university_id: Mapped[int] = mapped_column(ForeignKey("university.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    major: Mapped[str] = mapped_column(String(20))
    enrolment_year: Mapped[int]
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"))
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id", ondelete="RESTRICT"))
    late: Mapped[bool] = mapped_column(default=False)  # filed after the deadline, in a reopening
    filed_at: Mapped[datetime] = mapped_column(default=now)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    flagged_at: Mapped[datetime | None]

    university: Mapped[University] = relationship()
    base: Mapped[TrainingBase] = relationship()
    specialty: Mapped[Specialty] = relationship()
    filed_by: Mapped[Account | None] = relationship()

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class FilingDeadline(db.Model):
    """The filing deadline of a year (a setting; 8-10 when the year has none)."""

    __tablename__ = "filing_deadline"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deadline: Mapped[date]

    def __str__(self) -> str:
        return f"{self.year}: {self.deadline.isoformat()}"


class FilingReopening(db.Model):
    """The province reopens a year's filing for one university after the deadline, until a day, with a reason."""

    __tablename__ = "filing_reopening"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(ForeignKey("university.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int]
    until: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    university: Mapped[University] = relationship()

    def __str__(self) -> str:
        return f"{self.university} {self.year} → {self.until.isoformat()}"


class CrossCityApproval(db.Model):
    """A university's request to train its students at bases in other Henan cities in a year
    (跨市培养), and the province's decision with its reason."""

    __tablename__ = "cross_city_approval"
    __table_args__ = (UniqueConstraint("university_id", "year"), ApprovalState.check("state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(ForeignKey("university.id", ondelete="RESTRICT"))
    year: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default=ApprovalState.PENDING)
    request_reason: Mapped[str] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    university: Mapped[University] = relationship()

    def __str__(self) -> str:
        return f"{self.university} {self.year}"
