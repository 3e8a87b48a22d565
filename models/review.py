"""Review records (审核记录): every status change of an application, with its reason."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.application import Status
from models.base import db
from models.clock import now
from models.enums import ReviewLevel


class ReviewRecord(db.Model):
    """One step in an application's history; the trainee sees the reasons."""

    __tablename__ = "review_record"
    __table_args__ = (
        ReviewLevel.check("level"),
        Status.check("status_before", name="status_before"),
        Status.check("status_after", name="status_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    fields_to_fix: Mapped[list | None] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    status_before: Mapped[str] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))

    application = relationship("Application")
    actor = relationship("Account")

    def __str__(self) -> str:
        return f"{self.action} {self.created_at:%Y-%m-%d %H:%M}"
