"""Decisions on exemption claims (减免申请的审核意见): 同意 or 不同意 per claim, at county and city level."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.application import ExemptionRequest
from models.base import db
from models.clock import now
from models.enums import ReviewLevel


class ClaimDecision(db.Model):
    """One level's decision on one claim; a refusal carries its reason (the trainee reads it)."""

    __tablename__ = "claim_decision"
    __table_args__ = (
        UniqueConstraint("exemption_request_id", "level"),
        CheckConstraint("level IN ('county', 'city')", name="county_or_city"),
        CheckConstraint("agreed OR reason <> ''", name="refusal_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exemption_request_id: Mapped[int] = mapped_column(
        ForeignKey("exemption_request.id", ondelete="CASCADE"), index=True)
    # the claim's application, kept for reading all decisions of a page of applications at once
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    agreed: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    decided_at: Mapped[datetime] = mapped_column(default=now)

    request: Mapped[ExemptionRequest] = relationship()
    actor = relationship("Account")

    @property
    def level_label(self) -> str:
        return ReviewLevel.label(self.level)

    def __str__(self) -> str:
        return f"{self.level} {'+' if self.agreed else '-'}"
