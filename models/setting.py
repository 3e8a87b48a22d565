"""Platform settings kept in the database, edited in the back office: the technical-support contacts."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class SupportContact(db.Model):
    """One technical-support line (技术支持联系方式) shown on every trainee page and on the error pages:
    a hotline (label 技术支持电话, no name) or a named staff member with a mobile number."""

    __tablename__ = "support_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))  # 赵佳庆, or 技术支持电话 for a hotline
    phone: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(default=0)  # shown in this order
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"
