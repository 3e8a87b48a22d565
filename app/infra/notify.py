"""Notifications sent after commit: SMS queued on the session, sent once its transaction commits and
dropped when it rolls back (a savepoint's rollback drops only what was queued inside it)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from app.infra.sms import attempt
from models import SmsLog
from models.sms import SmsPurpose

PENDING_SMS = "pending_sms"


def queue_sms(session: Session, phone: str, text: str) -> None:
    """Send ``text`` to ``phone`` once ``session``'s transaction commits; drop it on rollback.

    Each entry remembers the innermost transaction it was queued in, so rolling back a savepoint
    drops only the messages queued inside it."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_SMS, []).append((transaction, phone, text))


def _inside(transaction, ended) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(PENDING_SMS)
    if not pending:
        return
    if previous_transaction.nested:
        pending[:] = [entry for entry in pending if not _inside(entry[0], previous_transaction)]
    else:
        pending.clear()


def _drop_on_end(session: Session, transaction) -> None:
    # the root transaction is over: whatever was not sent by ``after_commit`` was rolled back
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING_SMS, None)


def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_SMS, None)
    if not pending:
        return
    try:
        deliver_sms([(phone, text) for _transaction, phone, text in pending], session.get_bind(mapper=SmsLog))
    except Exception:  # the change is committed already: a failed notification must not undo the request
        current_app.logger.exception("notification SMS after commit failed")


def deliver_sms(messages: list[tuple[str, str]], bind) -> None:
    """Send each ``(phone, text)`` with the configured sender and log it in a transaction of its own.

    Runs after the caller's commit, when that session can no longer emit SQL; like ``send_sms`` a
    provider failure is logged in the row, not raised."""
    rows = [attempt(phone, text, SmsPurpose.NOTIFY) for phone, text in messages]
    engine = getattr(bind, "engine", bind)  # the session may be bound to a Connection
    with engine.connect() as connection:  # a connection of its own, outside the finished session
        connection.execute(insert(SmsLog.__table__), rows)
        connection.commit()


def init_app(app) -> None:
    """Send queued notifications after commit and drop them on rollback (once per process)."""
    for name, listener in (("after_commit", _send_after_commit), ("after_soft_rollback", _drop_rolled_back),
                           ("after_transaction_end", _drop_on_end)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
