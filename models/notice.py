"""Notices (通知公告) published by the province, a city, a county or a base to its own scope, and the
read receipts of notices marked 须阅读."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import now
from models.enums import NoticeLevel


class Notice(db.Model):
    """One notice. ``level`` with ``region_id`` (a city or county) or ``base_id`` is its scope; the body
    is Markdown, rendered and sanitised when shown (never stored as HTML)."""

    __tablename__ = "notice"
    __table_args__ = (
        NoticeLevel.check("level"),
        Index("ix_notice_level_publish_at", "level", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    base_id: Mapped[int | None] = mapped_column(ForeignKey("training_base.id", ondelete="CASCADE"), index=True)
    program: Mapped[str | None] = mapped_column(String(30))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id", ondelete="SET NULL"))
    publish_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    pinned: Mapped[bool] = mapped_column(default=False)
    must_read: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    region = relationship("Region")
    base = relationship("TrainingBase")
    batch = relationship("Batch")
    author = relationship("Account")
    files = relationship("Attachment", order_by="Attachment.id", viewonly=True)

    def __str__(self) -> str:
        return self.title


class NoticeRead(db.Model):
    """An account opened a notice (the first time)."""

    __tablename__ = "notice_read"
    __table_args__ = (UniqueConstraint("notice_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(default=now)
