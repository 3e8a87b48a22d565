"""Work units (工作单位目录) and training bases (培训基地)."""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.enums import InstitutionKind, InstitutionLevel
from models.region import Region
from models.specialty import Specialty


class Institution(db.Model):
    """A medical institution a trainee may work at, in a county-level region."""

    __tablename__ = "institution"
    __table_args__ = (InstitutionLevel.check("level"), InstitutionKind.check("kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))

    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return self.name


base_specialty = Table(
    "base_specialty",
    db.metadata,
    Column("base_id", ForeignKey("training_base.id", ondelete="CASCADE"), primary_key=True),
    Column("specialty_id", ForeignKey("specialty.id", ondelete="RESTRICT"), primary_key=True),
)


class TrainingBase(db.Model):
    """A training base in a city, with the programs and specialties it trains for.

    Its places are quotas per batch and specialty (see ``Quota``).
    """

    __tablename__ = "training_base"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    trains_gp_transfer: Mapped[bool] = mapped_column(default=False)
    trains_residency: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))

    city: Mapped[Region] = relationship()
    specialties: Mapped[list[Specialty]] = relationship(secondary=base_specialty)

    def __str__(self) -> str:
        return self.name
