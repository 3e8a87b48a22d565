"""The audit log: one row per changed field of every back-office or support change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import now
from models.enums import AuditAction


class AuditLog(db.Model):
    """Who changed which field of which record, when, from what to what, and why."""

    __tablename__ = "audit_log"
    __table_args__ = (
        AuditAction.check("action"),
        Index("ix_audit_log_table_name_record_id", "table_name", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    table_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(10))
    field_name: Mapped[str | None] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)

    actor = relationship("Account")
