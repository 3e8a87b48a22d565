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
from app.infra.filestore import store
from models import SmsLog
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


CHECKS = {"database": check_database, "migrations": check_migrations, "file_storage": check_file_storage,
          "rate_limit_storage": check_rate_limit_storage}


def readiness() -> tuple[bool, dict[str, dict]]:
    results = {name: check() for name, check in CHECKS.items()}
    return all(ok for ok, _detail in results.values()), {
        name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}


def database_gauges() -> list[GaugeMetricFamily]:
    """SMS failures in the last day (one grouped query at each scrape)."""
    try:
        since = now() - timedelta(days=1)
        failed = db.session.scalar(select(func.count()).select_from(SmsLog).where(
            SmsLog.succeeded.is_(False), SmsLog.created_at >= since)) or 0
        sent = db.session.scalar(select(func.count()).select_from(SmsLog).where(
            SmsLog.succeeded.is_(True), SmsLog.created_at >= since)) or 0
    except Exception:  # noqa: BLE001 - a scrape never fails because the database is down
        db.session.rollback()
        return [GaugeMetricFamily("platform_database_up", "Whether the database answered the scrape", value=0)]
    sms = GaugeMetricFamily("platform_sms_last_day", "Text messages of the last 24 hours by outcome",
                            labels=["outcome"])
    sms.add_metric(["failed"], failed)
    sms.add_metric(["sent"], sent)
    return [GaugeMetricFamily("platform_database_up", "Whether the database answered the scrape", value=1), sms]
