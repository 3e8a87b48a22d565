"""The database connections' liveness check, made only where it can matter.

SQLAlchemy's ``pool_pre_ping`` asks the server before every use of a pooled connection: one round trip
on every request. ``ping_when_idle`` asks only before using a connection that has lain unused in the
pool for ``DATABASE_PING_IDLE_SECONDS`` (a connection used a moment ago is alive; a server restarted in
that moment fails the one request that was about to use it, as it fails the requests running then). A
connection that does not answer is replaced by a new one, as with ``pool_pre_ping``.
"""
from __future__ import annotations

import time
import weakref

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

RETURNED_AT = "returned_at"  # the connection record's info: when it went back to the pool (monotonic)
_configured: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {"idle_seconds": …}


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection of ``engine`` before use when it has been idle ``idle_seconds`` or more."""
    if engine in _configured:
        _configured[engine]["idle_seconds"] = idle_seconds
        return
    settings = _configured[engine] = {"idle_seconds": idle_seconds}
    dialect = engine.dialect

    def returned(dbapi_connection, record) -> None:
        if record is not None:
            record.info[RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection, record, proxy) -> None:
        at = record.info.get(RETURNED_AT)
        if at is None or time.monotonic() - at < settings["idle_seconds"]:
            return  # a new connection, or one used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # the pool closes this connection and checks out a fresh one
            raise exc.DisconnectionError(f"the database connection did not answer: {error}") from error

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)
