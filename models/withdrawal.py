"""Withdrawals from 住培 (退培), recorded by the base and approved by the province, and the province's
bar list (黑名单) of people who may not apply. Both are bound to the ID number: they outlive the
trainee's account and feed the eligibility check at application."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.clock import now
from models.enums import WithdrawalReason, WithdrawalStatus


class Withdrawal(db.Model):
    """One withdrawal (退培) of an admitted trainee from the base's training. Final once approved."""

    __tablename__ = "withdrawal"
    __table_args__ = (
        WithdrawalReason.check("reason"),
        WithdrawalStatus.check("status"),
        Index("ix_withdrawal_id_number_status", "id_number", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="RESTRICT"), index=True)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id", ondelete="SET NULL"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(30))  # bound to the person, not to the account
    withdrawn_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(20))
    reason_other: Mapped[str | None] = mapped_column(String(200))
    refund_required: Mapped[bool] = mapped_column(default=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=WithdrawalStatus.PENDING)
    return_reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    application = relationship("Application")
    trainee = relationship("Trainee")
    base = relationship("TrainingBase")
    document = relationship("Attachment")
    recorded_by = relationship("Account", foreign_keys=[recorded_by_id])
    decided_by = relationship("Account", foreign_keys=[decided_by_id])

    @property
    def reason_text(self) -> str:
        if self.reason == WithdrawalReason.OTHER and self.reason_other:
            return f"{WithdrawalReason.label(self.reason)}：{self.reason_other}"
        return WithdrawalReason.label(self.reason)

    @property
    def is_final(self) -> bool:
        return self.status == WithdrawalStatus.APPROVED

    def __str__(self) -> str:
        return f"{self.name} {self.withdrawn_on.isoformat()}"


class BarEntry(db.Model):
    """One person barred from applying (黑名单) for a period, with the reason and who approved it."""

    __tablename__ = "bar_entry"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(30), index=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    approved_by: Mapped[str] = mapped_column(String(100))  # who approved it (person, office or document number)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    created_by = relationship("Account")

    def __str__(self) -> str:
        return f"{self.name} {self.starts_on.isoformat()}–{self.ends_on.isoformat()}"
