"""What follows admission (培训信息): training length, planned start and completion, the agreement by
identity and its signed copy, the diploma and degree of a fresh graduate by a deadline, and a
withdrawal (退培) for not graduating in time."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.application import Application
from models.attachment import Attachment
from models.base import db
from models.clock import now
from models.enums import Choices, WithdrawalReason


class AgreementKind(Choices):
    """委托培养 trainees sign a 培训协议 (with the commissioning unit); 社会人 a 劳动合同 with the base."""

    TRAINING, LABOUR = "training_agreement", "labour_contract"
    items = ((TRAINING, _l("Training agreement")), (LABOUR, _l("Labour contract")))


class TrainingRecord(db.Model):
    """One admitted trainee's training facts, made when the admission is accepted."""

    __tablename__ = "training_record"
    __table_args__ = (AgreementKind.check("agreement_kind", nullable=True),
                      WithdrawalReason.check("withdrawal_reason", nullable=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    training_years: Mapped[int | None]  # None: the seed sets no length for the trainee's education
    planned_start: Mapped[date | None]
    planned_completion: Mapped[date | None]
    agreement_kind: Mapped[str | None] = mapped_column(String(30))
    agreement_party: Mapped[str | None] = mapped_column(String(100))  # the commissioning unit, or the base
    agreement_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    # a fresh graduate admitted without a diploma brings it and the degree by this day (the batch's setting)
    diploma_due: Mapped[date | None]
    diploma_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    degree_file_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(30), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)

    application: Mapped[Application] = relationship()
    agreement_file: Mapped[Attachment | None] = relationship(foreign_keys=[agreement_file_id])
    diploma_file: Mapped[Attachment | None] = relationship(foreign_keys=[diploma_file_id])
    degree_file: Mapped[Attachment | None] = relationship(foreign_keys=[degree_file_id])

    @property
    def missing_graduation_documents(self) -> bool:
        return self.diploma_due is not None and (self.diploma_file_id is None or self.degree_file_id is None)
