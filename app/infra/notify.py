"""Notifications that are never lost: the SMS outbox.

``queue_sms`` / ``queue_many`` write each notification as a ``pending`` row of ``sms_log`` in the
caller's transaction: committed with the change that causes it, gone with a rollback (a savepoint's
too). After the commit a hint is queued (``notify.deliver``); the worker's periodic sweep (every
``HUEY_TICK_SECONDS``) finds the rows anyway, so a web process that dies after its commit, or a queue
storage that is down, loses nothing.

``deliver_outbox`` claims due rows atomically (one conditional UPDATE … RETURNING; on PostgreSQL the
candidates are picked with FOR UPDATE SKIP LOCKED), so two workers never send the same row; it hands
each to the sender with the row's idempotency key, then marks it ``sent`` with the provider's answer,
or back to ``pending`` with an exponential backoff, or ``failed`` after ``OUTBOX_MAX_ATTEMPTS``.
A row left ``sending`` by a worker killed mid-send goes back to ``pending`` after
``OUTBOX_CLAIM_TIMEOUT_SECONDS``; its key keeps the provider from delivering it twice.

Verification codes and reset links do not go through the outbox: the person waits for them, and
``app.infra.sms.send_sms`` sends them at once (a failure is shown, and they may ask again).

Rows are written with statements rather than ``session.add``: the audit hook would otherwise copy
every message into the audit log.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, event, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.infra import queue
from app.infra.sms import check_message, get_sender, new_key, try_send
from models import SmsLog
from models.clock import now
from models.sms import SmsPurpose, SmsState

OUTBOX_WRITTEN = "outbox_written"
DELIVER = "notify.deliver"
SWEEP = "notify.sweep"
CHUNK = 1000


def outbox_row(phone: str, text: str, moment: datetime, purpose: str = SmsPurpose.NOTIFY) -> dict:
    check_message(phone, purpose)
    return {"phone": phone, "purpose": purpose, "content": text, "backend": "", "succeeded": False,
            "error": None, "created_at": moment, "state": SmsState.PENDING, "attempts": 0,
            "next_attempt_at": moment, "idempotency_key": new_key()}


def queue_sms(session: Session, phone: str, text: str) -> None:
    """Write ``text`` to ``phone`` into the outbox, in ``session``'s transaction (the caller commits)."""
    queue_many(session, [(phone, text)])


def queue_many(session: Session, messages: list[tuple[str, str]]) -> None:
    """Write each ``(phone, text)`` into the outbox, one statement per thousand rows."""
    moment = now()
    rows = [outbox_row(phone, text, moment) for phone, text in messages]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(SmsLog.__table__), rows[start:start + CHUNK])
    if rows:
        session.info[OUTBOX_WRITTEN] = True


def _hint_after_commit(session: Session) -> None:
    if session.info.pop(OUTBOX_WRITTEN, None):
        queue.hint(DELIVER)


def _forget_on_end(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(OUTBOX_WRITTEN, None)


# --- the worker's side ------------------------------------------------------------------------

def _setting(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2×base, 4×base, … at most an hour."""
    base = _setting("OUTBOX_RETRY_SECONDS", 30)
    return timedelta(seconds=min(3600, base * 2 ** max(0, attempts - 1)))


def release_stale(moment: datetime) -> int:
    """Rows a killed worker left ``sending`` go back to ``pending`` (their key prevents a double delivery)."""
    stale = moment - timedelta(seconds=_setting("OUTBOX_CLAIM_TIMEOUT_SECONDS", 300))
    result = db.session.execute(
        update(SmsLog).where(SmsLog.state == SmsState.SENDING, SmsLog.claimed_at < stale)
        .values(state=SmsState.PENDING, next_attempt_at=moment).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


def claim(moment: datetime, limit: int) -> list:
    """Take up to ``limit`` due rows for this worker, atomically; ``(id, phone, content, key, attempts)``."""
    due = and_(SmsLog.state == SmsState.PENDING,
               or_(SmsLog.next_attempt_at.is_(None), SmsLog.next_attempt_at <= moment))
    candidates = select(SmsLog.id).where(due).order_by(SmsLog.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    rows = db.session.execute(
        update(SmsLog).where(SmsLog.id.in_(candidates.scalar_subquery()), SmsLog.state == SmsState.PENDING)
        .values(state=SmsState.SENDING, claimed_at=moment, attempts=SmsLog.attempts + 1)
        .returning(SmsLog.id, SmsLog.phone, SmsLog.content, SmsLog.idempotency_key, SmsLog.attempts)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()  # claimed before anything is sent
    return sorted(rows)


def send_claimed(row, moment: datetime | None = None) -> str:
    """Send one claimed row and record the outcome: ``sent``, ``pending`` (retried later) or ``failed``."""
    row_id, phone, content, key, attempts = row
    answer, error = try_send(phone, content, key or "")
    moment = moment or now()
    values = {"backend": str(get_sender().name)[:50], "claimed_at": None}
    if error is None:
        values |= {"state": SmsState.SENT, "succeeded": True, "error": None, "sent_at": moment,
                   "provider_answer": answer, "next_attempt_at": None}
    elif attempts >= _setting("OUTBOX_MAX_ATTEMPTS", 5):
        values |= {"state": SmsState.FAILED, "succeeded": False, "error": error, "provider_answer": error,
                   "next_attempt_at": None}
    else:
        values |= {"state": SmsState.PENDING, "succeeded": False, "error": error, "provider_answer": error,
                   "next_attempt_at": moment + backoff(attempts)}
    db.session.execute(update(SmsLog).where(SmsLog.id == row_id, SmsLog.state == SmsState.SENDING)
                       .values(values).execution_options(synchronize_session=False))
    db.session.commit()
    current_app.logger.info("outbox SMS %s attempt %s: %s", row_id, attempts, values["state"])
    return values["state"]


def deliver_outbox(moment: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Send every due notification; how many ended ``sent``, ``pending`` (to retry) and ``failed``."""
    moment = moment or now()
    batch = batch or _setting("OUTBOX_BATCH", 100)
    release_stale(moment)
    outcomes = {SmsState.SENT: 0, SmsState.PENDING: 0, SmsState.FAILED: 0}
    while True:
        rows = claim(moment, batch)
        for row in rows:
            outcomes[send_claimed(row, moment)] += 1
        if len(rows) < batch:
            return outcomes


def resend(log_id: int, moment: datetime | None = None) -> bool:
    """Put a failed notification back in the outbox (same key, a fresh count of attempts); the
    caller commits. ``False`` if the row is not a failed notification."""
    moment = moment or now()
    result = db.session.execute(
        update(SmsLog).where(SmsLog.id == log_id, SmsLog.state == SmsState.FAILED,
                             SmsLog.purpose == SmsPurpose.NOTIFY)
        .values(state=SmsState.PENDING, attempts=0, next_attempt_at=moment, claimed_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        db.session.info[OUTBOX_WRITTEN] = True
        return True
    return False


def outbox_depth() -> dict[str, int]:
    """Notifications waiting (``pending`` and ``sending``), for ``/metrics``."""
    rows = db.session.execute(select(SmsLog.state, func.count()).where(
        SmsLog.state.in_((SmsState.PENDING, SmsState.SENDING))).group_by(SmsLog.state)).all()
    return {SmsState.PENDING: 0, SmsState.SENDING: 0} | dict(rows)


@queue.task(DELIVER)
def deliver_task() -> dict[str, int]:
    return deliver_outbox()


@queue.periodic(SWEEP)
def sweep_task() -> dict[str, int]:
    outcomes = deliver_outbox()
    if any(outcomes.values()):  # an empty sweep (most of them) leaves no line at INFO
        current_app.logger.info("outbox sweep: %s sent, %s to retry, %s failed", outcomes[SmsState.SENT],
                                outcomes[SmsState.PENDING], outcomes[SmsState.FAILED])
    return outcomes


def init_app(app) -> None:
    """Queue a delivery hint after each commit that wrote to the outbox (the listeners once per process)."""
    for name, listener in (("after_commit", _hint_after_commit), ("after_transaction_end", _forget_on_end)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
