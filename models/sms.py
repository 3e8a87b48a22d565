"""Text messages: every message sent (SmsLog) and the verification codes (SmsCode)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db
from models.clock import now
from models.enums import Choices


class SmsPurpose(Choices):
    """What a message is for. ``PASSWORD_SENT`` is historical (support once texted new passwords;
    those rows are masked); support now sends a ``RESET_LINK``."""

    REGISTER, RESET_PASSWORD, NOTIFY, PASSWORD_SENT, RESET_LINK = (
        "register", "reset_password", "notify", "password_sent", "reset_link")
    UNLOCK, LOGIN = "unlock", "login"
    items = (
        (REGISTER, _l("Registration code")),
        (RESET_PASSWORD, _l("Password reset code")),
        (NOTIFY, _l("Notification")),
        (PASSWORD_SENT, _l("New password")),
        (RESET_LINK, _l("Password reset link")),
        (UNLOCK, _l("Account unlock code")),
        (LOGIN, _l("Login verification code")),
    )


class SmsState(Choices):
    """Where a message is. Notifications start ``pending`` (the outbox: written in the transaction of
    the change that causes them) and a worker claims (``sending``) and sends them; verification codes
    and reset links are sent at once and start ``sent`` or ``failed``."""

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    items = (
        (PENDING, _l("Waiting to be sent")),
        (SENDING, _l("Sending")),
        (SENT, _l("Sent")),
        (FAILED, _l("Failed")),
    )


class SmsLog(db.Model):
    """One message for the SMS sender, and the outbox of notifications. Codes and reset links are
    masked (``****``): the sender gets the clear text, the log never does. A notification holds no
    secret and keeps its text, which the worker sends.

    ``idempotency_key`` is handed to the provider with every attempt, so a retry after an answer
    that was lost (a timeout, a worker killed mid-send) is not delivered twice."""

    __tablename__ = "sms_log"
    __table_args__ = (
        SmsPurpose.check("purpose"),
        SmsState.check("state"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_sms_log_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(50))
    succeeded: Mapped[bool] = mapped_column(default=True)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    state: Mapped[str] = mapped_column(String(10), default=SmsState.SENT)
    attempts: Mapped[int] = mapped_column(default=1)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # what the provider answered to the last attempt (its message id, or its refusal)
    provider_answer: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(36), unique=True)


class SmsCode(db.Model):
    """A verification code, stored hashed; valid for a few minutes and usable once."""

    __tablename__ = "sms_code"
    __table_args__ = (
        SmsPurpose.check("purpose"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_sms_code_phone_purpose_created_at", "phone", "purpose", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(45), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
