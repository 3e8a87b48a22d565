"""Readiness checks (``/readyz``) and the gauges only the database knows (``/metrics``).

Each check answers ``(ok, detail)``; the detail names the failure's kind, never a secret (no URL,
no password, no path).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from app.extensions import db, limiter
from app.infra import counts, queue
from app.infra.filestore import store
from app.infra.jobs import failures_last_day
from app.infra.notify import outbox_depth
from models import SmsLog, SmsState
from models.clock import now

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        return False, type(error).__name__


def check_migrations() -> tuple[bool, str]:
    """The database is at the migrations' head (an upgrade was not forgotten after a deploy)."""
    try:
        heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # noqa: BLE001
        return False, type(error).__name__
    return (True, "ok") if current == heads else (False, "not at head: run flask db upgrade")


def check_file_storage() -> tuple[bool, str]:
    """The file store answers: the upload folder takes a file (a shared mount that went away does
    not), or the bucket answers HeadBucket."""
    try:
        return store().check()
    except Exception as error:  # noqa: BLE001 - a misconfigured store is not ready either
        return False, type(error).__name__


def check_rate_limit_storage() -> tuple[bool, str]:
    """The shared storage of login and SMS limits (Redis in production) answers."""
    try:
        return (True, "ok") if limiter.storage is None or limiter.storage.check() else (False, "unreachable")
    except Exception as error:  # noqa: BLE001
        return False, type(error).__name__


def check_queue_storage() -> tuple[bool, str]:
    """The task queue's storage (Redis in production, a SQLite file in ``make run``) answers."""
    return queue.check_storage()


CHECKS = {"database": check_database, "migrations": check_migrations, "file_storage": check_file_storage,
          "rate_limit_storage": check_rate_limit_storage, "queue_storage": check_queue_storage}


def readiness() -> tuple[bool, dict[str, dict]]:
    results = {name: check() for name, check in CHECKS.items()}
    return all(ok for ok, _detail in results.values()), {
        name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}


def database_gauges() -> list[GaugeMetricFamily]:
    """SMS of the last day by state, the notifications waiting in the outbox, the jobs that failed
    in the last day and the rows of the counts ledgers (grouped queries)."""
    try:
        since = now() - timedelta(days=1)
        by_state = dict(db.session.execute(select(SmsLog.state, func.count()).where(
            SmsLog.created_at >= since).group_by(SmsLog.state)).all())
        waiting = outbox_depth()
        failed_jobs = failures_last_day()
        ledger = counts.ledger_rows()
    except Exception:  # noqa: BLE001 - a scrape never fails because the database is down
        db.session.rollback()
        return [GaugeMetricFamily("platform_database_up", "Whether the database answered the scrape", value=0)]
    sms = GaugeMetricFamily("platform_sms_last_day", "Text messages of the last 24 hours by outcome",
                            labels=["outcome"])
    for outcome, state in (("failed", SmsState.FAILED), ("sent", SmsState.SENT), ("pending", SmsState.PENDING)):
        sms.add_metric([outcome], by_state.get(state, 0))
    outbox = GaugeMetricFamily("platform_sms_outbox", "Notifications waiting to be sent, by state", labels=["state"])
    for state, count in waiting.items():
        outbox.add_metric([state], count)
    jobs = GaugeMetricFamily("platform_job_failures_last_day", "Jobs (exports, bulk actions, publications, "
                             "imports) that failed in the last 24 hours, by kind", labels=["kind"])
    for kind, count in sorted(failed_jobs.items()):
        jobs.add_metric([kind], count)
    ledger_rows = GaugeMetricFamily("platform_count_ledger_rows", "Rows in the dashboard's counts ledgers (growing "
                                    "without bound: the worker is not folding them)", value=ledger)
    return [GaugeMetricFamily("platform_database_up", "Whether the database answered the scrape", value=1), sms, outbox,
            jobs, ledger_rows]


def queue_gauges() -> list[GaugeMetricFamily]:
    """Tasks waiting in the queue (pending) and scheduled for later; -1 when the storage is down."""
    try:
        huey = queue.get_huey()
        pending, scheduled, up = huey.pending_count(), huey.scheduled_count(), 1
    except Exception:  # noqa: BLE001 - a scrape never fails because the queue storage is down
        pending, scheduled, up = -1, -1, 0
    depth = GaugeMetricFamily("platform_queue_depth", "Tasks in the task queue", labels=["kind"])
    depth.add_metric(["pending"], pending)
    depth.add_metric(["scheduled"], scheduled)
    return [GaugeMetricFamily("platform_queue_up", "Whether the queue storage answered the scrape", value=up), depth]


def platform_gauges() -> list[GaugeMetricFamily]:
    return database_gauges() + queue_gauges()
