"""The access log: one row per read of personal information, written at once on a connection of its own.

Views call ``record_access`` after the record has been found in the user's scope (a forged or
out-of-scope id writes nothing). The row is committed on its own connection, so it is kept whatever
the request's own transaction does, and the page pays for a single insert. The address is
``request.remote_addr``: behind a reverse proxy the app's ``ProxyFix`` (``PROXY_COUNT``) makes it the
client's.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import delete, insert

from app.extensions import db
from models import AccessLog
from models.clock import now

MIN_RETENTION_DAYS = 180


class RetentionError(ValueError):
    """A retention period shorter than the floor."""


def retention_days(value=None) -> int:
    """The retention period in days: ``value`` or the setting; refuses fewer than 180 days."""
    days = current_app.config.get("ACCESS_LOG_RETENTION_DAYS") if value is None else value
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise RetentionError(f"ACCESS_LOG_RETENTION_DAYS must be a whole number of days, not {days!r}")
    if days < MIN_RETENTION_DAYS:
        raise RetentionError(f"ACCESS_LOG_RETENTION_DAYS={days} is below the minimum of {MIN_RETENTION_DAYS} days "
                             "(MLPS level 3 keeps logs at least 6 months)")
    return days


def _cut(value, size: int):
    return None if value is None else str(value).replace("\x00", "")[:size]


def record_access(action: str, record_type: str = "", record_id=None, *, query: str | None = None,
                  rows: int | None = None, field: str | None = None, reason: str | None = None,
                  actor=None) -> None:
    """Write one access-log row: ``actor`` (default: the logged-in user) did ``action`` on
    ``record_type`` ``record_id`` (or ran ``query``), covering ``rows`` rows."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if isinstance(record_id, (list, tuple, set)):
        record_id = ",".join(str(i) for i in record_id)
    values = {
        "at": now(),
        "actor_id": getattr(actor, "id", None),
        "actor_name": _cut(getattr(actor, "username", ""), 50) or "",
        "actor_role": _cut(getattr(actor, "role", ""), 20) or "",
        "action": action,
        "record_type": _cut(record_type, 50) or "",
        "record_id": _cut(record_id, 200),
        "field_name": _cut(field, 50),
        "query": _cut(query, 200),
        "row_count": rows,
        "reason": _cut(reason, 1000),
        "address": (_cut(request.remote_addr, 45) or "") if has_request_context() else "",
    }
    with db.engine.begin() as connection:
        connection.execute(insert(AccessLog.__table__).values(**values))


def purge(days: int | None = None) -> int:
    """Delete the rows older than the retention period; returns how many were deleted."""
    cutoff = now() - timedelta(days=retention_days(days))
    with db.engine.begin() as connection:
        result = connection.execute(delete(AccessLog.__table__).where(AccessLog.__table__.c.at < cutoff))
    return result.rowcount or 0


def init_app(app) -> None:
    """Refuse to start with a retention period below the floor, saying why in the log."""
    with app.app_context():
        try:
            retention_days()
        except RetentionError as error:
            app.logger.error("refusing to start: %s", error)
            raise
