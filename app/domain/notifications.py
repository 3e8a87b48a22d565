"""What staff may do with the notifications' outbox: resend a failed message (audited)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.infra import notify
from models import AuditLog, Role, SmsLog, SmsState
from models.clock import now
from models.enums import AuditAction

RESEND_ROLES = (Role.SUPERUSER,)


class ResendError(Exception):
    """A refused resend; ``str(error)`` is the Chinese message for the user."""


def resend_failed(ids: list[int], actor) -> int:
    """Put the failed notifications among ``ids`` back in the outbox (the worker sends them again, with
    their own idempotency key); one audit row each. Commits; the number put back.

    Raises ``ResendError`` when the actor may not, or when none of ``ids`` is a failed notification."""
    if actor is None or actor.role not in RESEND_ROLES:
        raise ResendError(_("Your role may not resend text messages."))
    moment = now()
    candidates = db.session.scalars(select(SmsLog.id).where(SmsLog.id.in_(ids[:1000])).order_by(SmsLog.id)).all()
    resent = [log_id for log_id in candidates if notify.resend(log_id, moment)]
    if not resent:
        db.session.rollback()
        raise ResendError(_("Only a notification that failed can be sent again."))
    for log_id in resent:
        db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username, created_at=moment,
                                table_name="sms_log", record_id=str(log_id), action=AuditAction.UPDATE,
                                field_name="state", old_value=SmsState.FAILED, new_value=SmsState.PENDING,
                                reason=_("Resent by staff")))
    db.session.commit()
    return len(resent)
