"""The access log: reads of personal information (detail pages, downloads, exports, searches, reveals).

Writes are in ``AuditLog``; this records who *looked at* what, from which address, and how many rows.
Rows older than ``ACCESS_LOG_RETENTION_DAYS`` are removed by ``flask purge-access-log``.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import now
from models.enums import Choices


class AccessAction(Choices):
    VIEW, REVIEW, REVEAL, DOWNLOAD, THUMBNAIL, PDF = "view", "review", "reveal", "download", "thumbnail", "pdf"
    EXPORT, EXPORT_FULL, SEARCH = "export", "export_full", "search"
    items = (
        (VIEW, _l("Opened the detail page")),
        (REVIEW, _l("Opened the review page")),
        (REVEAL, _l("Revealed a full value")),
        (DOWNLOAD, _l("Downloaded a file")),
        (THUMBNAIL, _l("Viewed a thumbnail")),
        (PDF, _l("Downloaded the registration form PDF")),
        (EXPORT, _l("Exported (masked)")),
        (EXPORT_FULL, _l("Exported full values")),
        (SEARCH, _l("Searched")),
    )


class AccessLog(db.Model):
    """Who read which personal record (or ran which query), when, how many rows, from where."""

    __tablename__ = "access_log"
    __table_args__ = (
        AccessAction.check("action"),
        Index("ix_access_log_record_type_record_id", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str] = mapped_column(String(50), default="")
    record_id: Mapped[str | None] = mapped_column(String(200))
    field_name: Mapped[str | None] = mapped_column(String(50))
    query: Mapped[str | None] = mapped_column(String(200))
    row_count: Mapped[int | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(45), default="")

    actor = relationship("Account")
