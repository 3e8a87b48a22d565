"""Jobs: long work that the worker runs by id, in chunks, with progress the requester can watch.

``submit`` writes the job (``queued``) and queues ``jobs.run``; when the queue storage is down the row
is removed again and ``QueueUnavailable`` raised, so nothing is recorded as queued. The worker claims
the job (``queued`` → ``running``, one conditional UPDATE: two workers never run it twice), calls the
handler registered for its kind, stores the handler's file in the file store (``job-<id>-<token>.<ext>``)
and marks it ``done`` with a summary and ``expires_at`` (``JOB_RESULT_DAYS``). An exception marks it
``failed`` with a Chinese error; a handler's own ``JobError`` carries the message shown.

A handler does its work in chunks and calls ``progress(done, total)`` after each one: that commits
the chunk's work together with the progress and the heartbeat. A handler either writes only its own
result file, or (bulk work) records each row's result in the chunk's transaction, so a job stopped
half-way has nothing applied without a recorded result.

The periodic sweep (``jobs.sweep``) marks ``failed`` a ``running`` job whose heartbeat is older than
``JOB_STALE_SECONDS`` (its worker was killed), and purges the files of expired results and any
``job-`` file no job points to (a worker killed between storing and recording it).
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from huey import crontab
from sqlalchemy import delete, func, insert, select, update

from app.extensions import db
from app.infra import queue
from app.infra.filestore import store
from models import Job, JobState
from models.clock import now

log = logging.getLogger("app.worker")
RUN = "jobs.run"
SWEEP = "jobs.sweep"
PURGE = "jobs.purge"
PREFIX = "job-"
INPUT_PREFIX = "job-input-"  # an upload a queued job will read
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobError(Exception):
    """A failure whose (Chinese) message the requester sees on the job page."""


class QueueUnavailable(Exception):
    """The queue storage did not take the job; nothing was recorded."""


@dataclass
class JobOutput:
    """What a handler made: a file on local disk (moved to the file store), its download name, a summary."""

    path: str | None
    filename: str
    summary: str
    content_type: str = XLSX


Progress = Callable[[int, int], None]
Handler = Callable[[Job, Progress], JobOutput]
HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def _setting(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


def submit(kind: str, account, title: str, params: dict, total: int = 0) -> int:
    """Record a job for ``account`` (with its scope of now) and queue it; its id.
    ``QueueUnavailable`` when the queue storage is down (the row is removed again)."""
    job_id = db.session.execute(insert(Job).values(
        kind=kind, account_id=account.id, role=account.role, region_id=account.region_id,
        base_id=account.base_id, title=str(title)[:200], params=json.dumps(params, ensure_ascii=False),
        state=JobState.QUEUED, done=0, total=max(0, int(total)), attempts=0, created_at=now())
        .returning(Job.id)).scalar_one()
    db.session.commit()
    try:
        queue.enqueue(RUN, job_id)
    except Exception as error:  # noqa: BLE001 - any storage failure: the job is not queued
        log.warning("job %s not queued (queue storage: %s)", job_id, type(error).__name__)
        db.session.rollback()
        db.session.execute(delete(Job).where(Job.id == job_id, Job.state == JobState.QUEUED))
        db.session.commit()
        raise QueueUnavailable from error
    return job_id


def retry(job_id: int) -> bool:
    """Queue a failed job again (the same parameters); ``False`` if it is not failed.
    ``QueueUnavailable`` (and the job stays failed) when the queue storage is down."""
    result = db.session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.FAILED).values(
        state=JobState.QUEUED, done=0, error=None, started_at=None, heartbeat_at=None, finished_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    try:
        queue.enqueue(RUN, job_id)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        _mark_failed(job_id, _("The task queue is unavailable; please try again later."))
        raise QueueUnavailable from error
    return True


# --- the worker's side ------------------------------------------------------------------------

def claim(job_id: int) -> bool:
    """``queued`` → ``running`` for this worker only."""
    moment = now()
    result = db.session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED).values(
        state=JobState.RUNNING, started_at=moment, heartbeat_at=moment, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def progress_of(job_id: int) -> Progress:
    """The callback a handler calls after each chunk: commits the chunk with the progress."""
    def progress(done: int, total: int) -> None:
        db.session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING).values(
            done=max(0, int(done)), total=max(0, int(total)), heartbeat_at=now())
            .execution_options(synchronize_session=False))
        db.session.commit()
    return progress


def side_progress_of(job_id: int) -> Progress:
    """For work that commits only at its end (a publication in one transaction): the progress is
    written on a connection of its own. On SQLite, where the open transaction holds the file's write
    lock, nothing is written until the end."""
    if db.engine.dialect.name != "postgresql":
        return lambda done, total: None

    def progress(done: int, total: int) -> None:
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING).values(
                done=max(0, int(done)), total=max(0, int(total)), heartbeat_at=now()))
    return progress


def record_rows(job_id: int, rows: list[dict]) -> None:
    """Append per-row results to the job in the caller's transaction (committed with the chunk's work)."""
    if rows:
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            row_results=func.coalesce(Job.row_results, "") + lines).execution_options(synchronize_session=False))


def recorded_rows(job_id: int) -> list[dict]:
    """The per-row results recorded so far (a job run again resumes after them)."""
    text_ = db.session.scalar(select(Job.row_results).where(Job.id == job_id)) or ""
    return [json.loads(line) for line in text_.splitlines() if line.strip()]


def _mark_failed(job_id: int, message: str) -> None:
    db.session.execute(update(Job).where(Job.id == job_id, Job.state.in_((JobState.RUNNING, JobState.QUEUED)))
                       .values(state=JobState.FAILED, error=message[:500], finished_at=now())
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _store_result(job: Job, output: JobOutput) -> str | None:
    if not output.path:
        return None
    extension = os.path.splitext(output.filename)[1] or ".xlsx"
    name = f"{PREFIX}{job.id}-{secrets.token_hex(8)}{extension}"
    with open(output.path, "rb") as stream:
        store().save(name, stream, output.content_type)
    return name


def _finish(job: Job, output: JobOutput) -> None:
    name = _store_result(job, output)
    moment = now()
    result = db.session.execute(update(Job).where(Job.id == job.id, Job.state == JobState.RUNNING).values(
        state=JobState.DONE, done=Job.total, result_name=name, result_filename=output.filename[:200],
        summary=output.summary[:500], finished_at=moment, heartbeat_at=moment,
        expires_at=moment + timedelta(days=_setting("JOB_RESULT_DAYS", 7)))
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1 and name:  # the sweep gave the job up meanwhile: keep no orphan
        store().delete(name)


def run(job_id: int) -> str:
    """Run the job ``job_id`` if it is still queued; its final state."""
    if not claim(job_id):
        return "skipped"
    job = db.session.get(Job, job_id)
    kind = job.kind
    handler = HANDLERS.get(kind)
    output = None
    try:
        if handler is None:
            raise JobError(_("This kind of task is no longer supported."))
        output = handler(job, progress_of(job_id))
        _finish(job, output)
    except JobError as error:
        db.session.rollback()
        _mark_failed(job_id, str(error))
        return JobState.FAILED
    except Exception:  # noqa: BLE001 - the job fails, the worker goes on
        log.exception("job %s (%s) failed", job_id, kind)
        db.session.rollback()
        _mark_failed(job_id, _("The task failed because of an internal error. Please try again; if it fails "
                               "again, contact technical support."))
        return JobState.FAILED
    finally:
        if output is not None and output.path:
            _remove_quietly(output.path)
    return JobState.DONE


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def temporary_path(suffix: str = ".xlsx") -> str:
    """A local file for a handler to write its result into (removed after it is stored)."""
    handle, path = tempfile.mkstemp(prefix="job-", suffix=suffix)
    os.close(handle)
    return path


def release_stale(moment: datetime | None = None) -> int:
    """``running`` jobs whose worker stopped beating fail, to be retried by their requester."""
    moment = moment or now()
    stale = moment - timedelta(seconds=_setting("JOB_STALE_SECONDS", 600))
    result = db.session.execute(
        update(Job).where(Job.state == JobState.RUNNING, Job.heartbeat_at < stale)
        .values(state=JobState.FAILED, finished_at=moment,
                error=_("The task was interrupted (the worker stopped). Nothing was applied without a recorded "
                        "result; you can run it again."))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


def purge_expired(moment: datetime | None = None) -> int:
    """Delete the files of expired results (the rows stay, without a file) and orphaned ``job-`` files."""
    moment = moment or now()
    files = store()
    expired = db.session.execute(select(Job.id, Job.result_name).where(
        Job.result_name.is_not(None), Job.expires_at <= moment)).all()
    for job_id, name in expired:
        files.delete(name)
        db.session.execute(update(Job).where(Job.id == job_id).values(result_name=None)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    known = set(db.session.scalars(select(Job.result_name).where(Job.result_name.is_not(None))))
    for params in db.session.scalars(select(Job.params).where(  # uploads a job still has to read
            Job.state.in_((JobState.QUEUED, JobState.RUNNING, JobState.FAILED)), Job.params.contains(INPUT_PREFIX))):
        known.add(json.loads(params or "{}").get("input"))
    grace = time.time() - _setting("JOB_STALE_SECONDS", 600)  # file times are epoch seconds, not our clock
    orphans = 0
    for name, written in files.listing():
        if name.startswith(PREFIX) and name not in known and written < grace:
            files.delete(name)
            orphans += 1
    return len(expired) + orphans


def failures_last_day() -> dict[str, int]:
    """Failed jobs of the last 24 hours by kind (``/metrics``)."""
    since = now() - timedelta(days=1)
    return dict(db.session.execute(select(Job.kind, func.count()).where(
        Job.state == JobState.FAILED, Job.finished_at >= since).group_by(Job.kind)).all())


@queue.task(RUN)
def run_task(job_id: int) -> str:
    return run(job_id)


@queue.periodic(SWEEP)
def sweep_task() -> None:
    released = release_stale()
    if released:
        log.warning("jobs: %s interrupted job(s) marked failed", released)


@queue.periodic(PURGE, cron=crontab(minute="*/10"))
def purge_task() -> None:
    purged = purge_expired()
    if purged:
        log.info("jobs: %s expired or orphaned result file(s) removed", purged)
