"""The trainee profile (学员信息) with its education, employment and licence rows."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.account import Account
from models.base import db
from models.clock import now
from models.enums import (
    Degree,
    EducationLevel,
    Gender,
    IdType,
    InstitutionKind,
    InstitutionLevel,
    JobTitle,
    PoliticalStatus,
    PracticeCategory,
    TitleGrade,
)
from models.institution import Institution
from models.region import Region
from models.specialty import PracticeScope


class Trainee(db.Model):
    """One trainee's profile: 基本信息 and 联系信息, owning the repeated rows below."""

    __tablename__ = "trainee"
    __table_args__ = (
        Gender.check("gender", nullable=True),
        IdType.check("id_type"),
        PoliticalStatus.check("political_status", nullable=True),
        # prefix searches (LIKE 'abc%') under any collation on PostgreSQL: the start of an ID number
        # or a mobile, a name's first characters; with the id, so that a search reads the index alone
        Index("ix_trainee_id_number_prefix", "id_number", postgresql_ops={"id_number": "varchar_pattern_ops"},
              postgresql_include=["id"]),
        Index("ix_trainee_mobile_prefix", "mobile", postgresql_ops={"mobile": "varchar_pattern_ops"},
              postgresql_include=["id"]),
        Index("ix_trainee_name_prefix", "name", postgresql_ops={"name": "varchar_pattern_ops"},
              postgresql_include=["id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), unique=True)
    # 基本信息
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[str | None] = mapped_column(String(10))
    id_type: Mapped[str] = mapped_column(String(20), default=IdType.RESIDENT)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    political_status: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date | None]
    photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachment.id", ondelete="SET NULL", use_alter=True))
    # 联系信息
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    email: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(6))
    emergency_contact: Mapped[str | None] = mapped_column(String(50))
    emergency_phone: Mapped[str | None] = mapped_column(String(20))
    # 执业信息: None until the trainee answers 有 / 无
    has_licence: Mapped[bool | None]
    # facts the residency eligibility rules need
    is_graduate_student: Mapped[bool] = mapped_column(default=False)
    residency_withdrawn_on: Mapped[date | None]
    # an earlier residency training (已参加住院医师规范化培训): where, when it ended, the completion exam
    prior_residency_base: Mapped[str | None] = mapped_column(String(100))
    prior_residency_ended_on: Mapped[date | None]
    prior_residency_passed: Mapped[bool | None]  # passed the completion exam (结业考核)
    prior_residency_passed_on: Mapped[date | None]

    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    account: Mapped[Account | None] = relationship()
    photo = relationship("Attachment", foreign_keys=[photo_id], post_update=True)
    educations: Mapped[list[Education]] = relationship(
        back_populates="trainee", cascade="all, delete-orphan", order_by="Education.start_date")
    employments: Mapped[list[Employment]] = relationship(
        back_populates="trainee", cascade="all, delete-orphan", order_by="Employment.start_date")
    licences: Mapped[list[Licence]] = relationship(
        back_populates="trainee", cascade="all, delete-orphan", order_by="Licence.id")

    @property
    def current_employment(self) -> Employment | None:
        current = [e for e in self.employments if e.is_current]
        return current[-1] if current else None

    def __str__(self) -> str:
        return self.name


class Education(db.Model):
    """One education record (教育信息)."""

    __tablename__ = "education"
    __table_args__ = (
        EducationLevel.check("level"),
        Degree.check("degree"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id", ondelete="CASCADE"), index=True)
    school: Mapped[str] = mapped_column(String(100))
    major: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    degree: Mapped[str] = mapped_column(String(20), default=Degree.NONE)
    full_time: Mapped[bool] = mapped_column(default=True)
    upgraded_from_junior: Mapped[bool] = mapped_column(default=False)  # 专升本
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    graduation_date: Mapped[date | None]
    diploma_number: Mapped[str | None] = mapped_column(String(50))
    degree_number: Mapped[str | None] = mapped_column(String(50))

    trainee: Mapped[Trainee] = relationship(back_populates="educations")

    def __str__(self) -> str:
        return f"{self.school} {self.major}"


class Employment(db.Model):
    """One employment record (工作信息); the unit is from the directory or typed in full."""

    __tablename__ = "employment"
    __table_args__ = (
        JobTitle.check("title", nullable=True),
        InstitutionLevel.check("unit_level", nullable=True),
        InstitutionKind.check("unit_kind", nullable=True),
        TitleGrade.check("title_grade", nullable=True),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="SET NULL"), index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    # the level and kind of a unit typed in by hand (自填); a unit from the directory has its own
    unit_level: Mapped[str | None] = mapped_column(String(20))
    unit_kind: Mapped[str | None] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    department: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(20))
    title_grade: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    is_current: Mapped[bool] = mapped_column(default=True)
    unit_has_independent_gp_dept: Mapped[bool] = mapped_column(default=False)
    in_independent_gp_dept: Mapped[bool] = mapped_column(default=False)

    trainee: Mapped[Trainee] = relationship(back_populates="employments")
    institution: Mapped[Institution | None] = relationship()
    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return self.unit_name


class Licence(db.Model):
    """One licence record (执业信息)."""

    __tablename__ = "licence"
    __table_args__ = (PracticeCategory.check("category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id", ondelete="CASCADE"), index=True)
    qualification_number: Mapped[str | None] = mapped_column(String(50))  # 医师资格证书
    practice_number: Mapped[str | None] = mapped_column(String(50))  # 医师执业证书
    category: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("practice_scope.id", ondelete="RESTRICT"))
    registered_on: Mapped[date | None]

    trainee: Mapped[Trainee] = relationship(back_populates="licences")
    scope: Mapped[PracticeScope | None] = relationship()

    def __str__(self) -> str:
        return self.practice_number or self.qualification_number or ""
