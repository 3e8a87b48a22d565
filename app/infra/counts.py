"""Upkeep of the maintained application counts (``models.application_count``): fold the ledger,
rebuild it from the applications, and compare it with a full recount.

The database's triggers add a +1/−1 row for every change; ``compact`` folds them into one row per key
(the worker does it every few minutes, ``flask counts compact`` on demand), so the dashboard's grouped
read stays small. ``recount`` rebuilds both ledgers from the applications and ``differences`` lists any
key whose ledger sum is not the applications' count (``flask counts check``; a test asserts it is empty
after every kind of change).

On PostgreSQL a compaction takes a transaction-level advisory lock, so two never fold the same rows;
the rows they fold are those with ids up to the largest they saw, and rows a concurrent transaction
adds meanwhile stay for the next one. A recount also locks ``application`` against writes (SHARE mode)
for its few seconds, so no change can fall between the delete and the rebuild.

A fold deletes the ledger rows it sums, but PostgreSQL keeps the table's pages: after a large import,
a publication or the demo load (hundreds of thousands of ledger rows), a few thousand live rows lay
scattered over thousands of pages, and every read of the counts (each back-office page's menu, the
list's count and filter options, the dashboard) scanned them all (34 ms instead of 0.3 for the places
ledger at 200,000 applications). ``shrink`` rewrites such a table (``VACUUM FULL``, milliseconds for a
few thousand rows) after a compaction; it waits at most ``SHRINK_LOCK_TIMEOUT`` for its lock, so writers
are never held up longer than that, and a busy table is left for the next round.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from huey import crontab
from sqlalchemy import Column, delete, func, insert, select, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.infra import queue
from models import Application, ApplicationCount, ApplicationPlaceCount

log = logging.getLogger("app.counts")
COMPACT = "counts.compact"
ADVISORY_KEY = 1_304_013  # any constant of the platform's own
# PostgreSQL: delete and re-insert in one statement, so the sum is of exactly the rows deleted
FOLD_SQL = """
WITH moved AS (DELETE FROM {table} WHERE id <= :last RETURNING {keys}, n),
     folded AS (INSERT INTO {table} ({keys}, n)
                SELECT {keys}, sum(n) FROM moved GROUP BY {keys} HAVING sum(n) <> 0 RETURNING 1)
SELECT count(*) FROM moved"""
SHRINK_MIN_PAGES = 64  # a ledger this small is read in no time, whatever its dead space
ROWS_PER_PAGE = 100  # a ledger row takes about 70 bytes: some 110 fit in a page of 8 kB
SHRINK_LOCK_TIMEOUT = "200ms"


@dataclass(frozen=True)
class Ledger:
    model: type
    keys: tuple[str, ...]  # the ledger's key columns
    sources: tuple[Column, ...]  # the application's columns they count, in the same order

    def key_columns(self) -> list:
        return [getattr(self.model, k) for k in self.keys]


LEDGERS = (
    Ledger(ApplicationCount, ("batch_id", "status", "city_id", "county_id", "base_id"),
           (Application.batch_id, Application.status, Application.city_id, Application.county_id,
            Application.base_id)),
    Ledger(ApplicationPlaceCount, ("batch_id", "status", "base_id", "specialty_id", "admitted_specialty_id"),
           (Application.batch_id, Application.status, Application.base_id, Application.first_specialty_id,
            Application.admitted_specialty_id)),
)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock() -> None:
    if _postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})


def compact() -> int:
    """Fold each ledger into one row per key with a non-zero count; returns the rows removed. Commits.

    On PostgreSQL the fold is one statement (``WITH moved AS (DELETE … RETURNING …) INSERT … SELECT sum``),
    so it sums exactly the rows it deletes: a row that a concurrent transaction commits meanwhile is
    neither summed nor deleted, whatever its id. (Two statements would each see the database as it is
    when they start, and a row committed between them would be deleted without being summed.) SQLite
    has one writer at a time, so its two statements see the same rows."""
    _lock()
    removed = 0
    for ledger in LEDGERS:
        model, keys = ledger.model, ledger.key_columns()
        last = db.session.scalar(select(func.max(model.id)))
        if last is None:
            continue
        if _postgres():
            removed += db.session.scalar(text(FOLD_SQL.format(table=model.__tablename__,
                                                               keys=", ".join(ledger.keys))), {"last": last})
            continue
        total = func.sum(model.n)
        folded = select(*keys, total).where(model.id <= last).group_by(*keys).having(total != 0)
        db.session.execute(insert(model).from_select([*ledger.keys, "n"], folded))
        removed += db.session.execute(delete(model).where(model.id <= last)).rowcount
    db.session.commit()
    return removed


def shrink() -> list[str]:
    """Rewrite each ledger table whose pages outnumber four times what its rows need (PostgreSQL's
    ``VACUUM FULL``); returns the tables rewritten. Nothing on SQLite (its reads are not the issue's)."""
    if not _postgres():
        return []
    shrunk = []
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM runs outside a transaction
        connection.execute(text(f"SET lock_timeout = '{SHRINK_LOCK_TIMEOUT}'"))
        try:
            for ledger in LEDGERS:
                table = ledger.model.__tablename__
                pages, rows = connection.execute(text(
                    f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int, "
                    f"(SELECT count(*) FROM {table})")).one()
                if pages <= max(SHRINK_MIN_PAGES, 4 * (rows // ROWS_PER_PAGE + 1)):
                    continue
                try:
                    connection.execute(text(f"VACUUM (FULL, ANALYZE) {table}"))
                except OperationalError as error:  # the lock was not granted in time: the next round
                    log.info("counts: %s not rewritten (%s)", table, str(error.orig).strip())
                    continue
                shrunk.append(table)
        finally:
            connection.execute(text("RESET lock_timeout"))
    return shrunk


def recount() -> None:
    """Rebuild both ledgers from the applications, in one transaction. Commits."""
    _lock()
    if _postgres():
        db.session.execute(text("LOCK TABLE application IN SHARE MODE"))
    for ledger in LEDGERS:
        db.session.execute(delete(ledger.model))
        counted = select(*ledger.sources, func.count()).group_by(*ledger.sources)
        db.session.execute(insert(ledger.model).from_select([*ledger.keys, "n"], counted))
    db.session.commit()


def differences() -> list[tuple[str, tuple, int, int]]:
    """Every key whose ledger sum differs from the applications' count: (table, key, ledger, actual)."""
    found = []
    for ledger in LEDGERS:
        keys = ledger.key_columns()
        total = func.sum(ledger.model.n)
        kept = {tuple(row[:-1]): row[-1] for row in db.session.execute(
            select(*keys, total).group_by(*keys).having(total != 0))}
        actual = {tuple(row[:-1]): row[-1] for row in db.session.execute(
            select(*ledger.sources, func.count()).group_by(*ledger.sources))}
        for key in sorted(set(kept) | set(actual), key=repr):
            if kept.get(key, 0) != actual.get(key, 0):
                found.append((ledger.model.__tablename__, key, kept.get(key, 0), actual.get(key, 0)))
    return found


def ledger_rows() -> int:
    """Rows in both ledgers (``/metrics``: a number that keeps growing means the worker is not compacting)."""
    return sum(db.session.scalar(select(func.count()).select_from(ledger.model)) or 0 for ledger in LEDGERS)


@queue.periodic(COMPACT, cron=crontab(minute="*/5"))
def compact_task() -> None:
    removed = compact()
    if removed:
        log.debug("counts: %s ledger row(s) folded", removed)
    shrink()  # also when nothing was folded: a rewrite refused its lock last round is tried again

