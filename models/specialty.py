"""Reference lists: 住培 specialties and 医师执业范围 (practice scopes)."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.enums import PracticeCategory


class Specialty(db.Model):
    """A national 住培 specialty (专业基地); ``shortage`` is the default 紧缺专业 flag."""

    __tablename__ = "specialty"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    shortage: Mapped[bool] = mapped_column(default=False)

    GP_CODE = "0700"
    DENTAL_GENERAL_CODE = "2800"

    def __str__(self) -> str:
        return self.name


class PracticeScope(db.Model):
    """A 执业范围 code of a practice category (临床 / 口腔 / 公共卫生 / 中医)."""

    __tablename__ = "practice_scope"
    __table_args__ = (PracticeCategory.check("category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(50))

    def __str__(self) -> str:
        return self.name
