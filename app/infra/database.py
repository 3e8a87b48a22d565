"""The database connections: their liveness check, made only where it can matter, and the end of a
request that only read.

SQLAlchemy's ``pool_pre_ping`` asks the server before every use of a pooled connection: one round trip
on every request. ``ping_when_idle`` asks only before using a connection that has lain unused in the
pool for ``DATABASE_PING_IDLE_SECONDS`` (a connection used a moment ago is alive; a server restarted in
that moment fails the one request that was about to use it, as it fails the requests running then). A
connection that does not answer is replaced by a new one, as with ``pool_pre_ping``.

``end_read_only_transactions``: a request's transaction that ran nothing but SELECTs is committed at the
end of the request instead of rolled back (the same for the database: nothing to keep or undo). psycopg
forgets a connection's prepared statements on every rollback (a rollback could undo a PREPARE), so with
the rollback no statement was ever prepared and PostgreSQL planned every statement of every page again
(1.2 ms of the trainee's 4-table application row, against 0.3 ms prepared). Anything else ends as
before: a transaction that wrote, or holds unflushed changes or files saved in it, or failed, or a
request that raised, is rolled back by Flask-SQLAlchemy's ``session.remove()``.
"""
from __future__ import annotations

import re
import time
import weakref

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

WROTE = "platform_wrote"  # the connection's info: its transaction ran a statement other than a SELECT
READ = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)
RETURNED_AT = "returned_at"  # the connection record's info: when it went back to the pool (monotonic)
_configured: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {"idle_seconds": …}
_parallel_set: weakref.WeakSet = weakref.WeakSet()  # engines whose connections set their parallel workers


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


def parallel_workers(engine: Engine, workers) -> None:
    """On PostgreSQL, set ``max_parallel_workers_per_gather`` on each new connection of ``engine``
    (``DATABASE_PARALLEL_WORKERS``; blank: the server's setting). A page's queries read a few hundred
    index entries: a parallel worker costs more to start than it saves there (an ID-prefix count of 734
    rows: 4.8 ms serial, 7.7–10.5 ms with one worker), and under load it takes a core from another request."""
    if engine.dialect.name != "postgresql" or str(workers).strip() == "" or engine in _parallel_set:
        return
    number = int(workers)
    if number < 0:
        raise ValueError("DATABASE_PARALLEL_WORKERS must be 0 or more, or blank")
    _parallel_set.add(engine)

    def connected(dbapi_connection, record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET max_parallel_workers_per_gather = {number}")
        dbapi_connection.commit()

    event.listen(engine, "connect", connected)


def end_read_only_transactions(app, db, keep_open=()) -> None:
    """Commit, at the end of each request (app context), a transaction of ``db.session`` that only read.

    ``keep_open``: keys of ``session.info`` whose presence means the session holds work outside the
    database that only a rollback undoes (files saved in it): such a session is left to the rollback."""
    with app.app_context():
        engine = db.engine
    if not event.contains(engine, "begin", _began):
        event.listen(engine, "begin", _began)
        event.listen(engine, "before_cursor_execute", _executing)

    def commit_if_read_only(error: BaseException | None) -> None:
        if error is not None or not db.session.registry.has():
            return
        session = db.session()
        transaction = session.get_transaction()
        if (transaction is None or session.new or session.dirty or session.deleted
                or any(key in session.info for key in keep_open)):
            return
        connections = [connection for connection, *_ in transaction._connections.values()]
        if not connections:
            return  # nothing was asked of the database
        for connection in connections:
            if connection.info.get(WROTE, True) or connection.invalidated or not _in_good_transaction(connection):
                return
        session.commit()

    # Flask runs teardowns in the reverse order of registration: this one before Flask-SQLAlchemy's
    # ``session.remove()`` (registered by ``db.init_app``, earlier)
    app.teardown_appcontext(commit_if_read_only)


def _began(connection) -> None:
    connection.info[WROTE] = False


def _executing(connection, cursor, statement, parameters, context, executemany) -> None:
    if executemany or not READ.match(statement):
        connection.info[WROTE] = True


def _in_good_transaction(connection) -> bool:
    """False when the DBAPI connection's transaction failed (PostgreSQL refuses everything in it)."""
    info = getattr(connection.connection.dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is None or status.name in ("INTRANS", "IDLE")
