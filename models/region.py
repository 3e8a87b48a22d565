"""Administrative regions of Henan: province → city → county (GB/T 2260)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.enums import RegionLevel


class Region(db.Model):
    """A province, city or county-level unit; 济源 is a city that acts as its own county."""

    __tablename__ = "region"
    __table_args__ = (RegionLevel.check("level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent")

    @property
    def full_name(self) -> str:
        """The name with its city, e.g. 郑州市中原区."""
        if self.level == RegionLevel.COUNTY and self.parent is not None:
            return f"{self.parent.name}{self.name}"
        return self.name

    def __str__(self) -> str:
        return self.name
