"""Universities (高校): reference data for the professional master's filing (专硕备案)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.region import Region


class University(db.Model):
    """A university that trains 临床医学 or 口腔医学 professional master's students.

    ``city_id`` is the Henan city it lies in (NULL outside Henan); ``province`` and ``city`` are the
    names shown for every university, inside the province or not."""

    __tablename__ = "university"
    __table_args__ = (
        CheckConstraint("in_henan = (city_id IS NOT NULL)", name="henan_city_matches"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    in_henan: Mapped[bool] = mapped_column(default=False)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)

    henan_city: Mapped[Region | None] = relationship()

    def __str__(self) -> str:
        return self.name
