"""Uploaded files (附件): metadata here, contents under UPLOAD_FOLDER."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import now
from models.enums import AttachmentKind


class Attachment(db.Model):
    """One uploaded file of a trainee, optionally tied to an application or exemption request; or of a notice."""

    __tablename__ = "attachment"
    __table_args__ = (
        AttachmentKind.check("kind"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    # a trainee's file, or (trainee_id empty) a notice's attachment
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    exemption_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("exemption_request.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=now)

    trainee = relationship("Trainee", foreign_keys=[trainee_id])
    uploaded_by = relationship("Account")

    @property
    def kind_label(self) -> str:
        return AttachmentKind.label(self.kind)

    def __str__(self) -> str:
        return self.original_name
