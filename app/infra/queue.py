"""The task queue: Huey, its storage chosen by ``HUEY_URL``, and the worker (``flask worker``).

``HUEY_URL`` picks the storage:

* ``sqlite:///path/queue.db`` — a file (the default: ``instance/queue.db``, for ``make run``);
* ``redis://host:6379/1`` — Redis, shared by every app server and worker (production);
* ``memory://`` — one process only; ``immediate`` — every task runs at once, in the caller (unit tests).

Tasks are declared at import time with ``@task(...)`` / ``@periodic(...)`` and bound to each app's
Huey in ``init_app`` (one Huey per app, so a test app and the ``make run`` app do not share a queue).
Each task runs in an app context of its own: its own ``db.session``, never the caller's.

* ``enqueue(name, *args)`` queues a task and returns its id; it raises when the storage is down.
* ``hint(name, *args)`` is for work that a periodic task would find anyway (the SMS outbox): a
  storage failure is logged, never raised, so a request that committed its change still succeeds.
* A later job with progress declares ``@task("jobs.export", context=True)``: the function gets the
  Huey ``task`` (its ``id``) as keyword and records its progress in a row of its own.

Periodic tasks: the worker's scheduler wakes every ``HUEY_TICK_SECONDS`` (a divisor of 60);
``@periodic("name")`` runs at every tick, ``@periodic("name", cron=crontab(...))`` once in the minutes
the crontab names.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey import signals as huey_signals
from huey.api import PeriodicTask
from huey.consumer import Consumer, Scheduler
from redis import ConnectionPool

log = logging.getLogger("app.worker")
NAME = "platform"


class QueueConfigError(RuntimeError):
    """``HUEY_URL`` names no usable storage (an operator's mistake)."""


@dataclass
class Declared:
    function: Callable
    name: str
    retries: int = 0
    retry_delay: int = 0
    context: bool = False
    validate: Callable | None = None  # periodic: validate(timestamp, tick_seconds) -> bool
    options: dict = field(default_factory=dict)


DECLARED: dict[str, Declared] = {}


def task(name: str, retries: int = 0, retry_delay: int = 0, context: bool = False):
    """Declare ``function`` as the task ``name`` (Huey retries it ``retries`` times on an exception)."""
    def decorator(function):
        DECLARED[name] = Declared(function, name, retries, retry_delay, context)
        return function
    return decorator


def periodic(name: str, cron: Callable | None = None):
    """Declare a periodic task: at every scheduler tick, or once in each minute ``cron`` accepts."""
    def every(timestamp, tick):
        return cron is None or (cron(timestamp) and timestamp.second < tick)

    def decorator(function):
        DECLARED[name] = Declared(function, name, validate=every)
        return function
    return decorator


def make_huey(url: str, instance_path: str) -> Huey:
    url = (url or "").strip()
    if url == "immediate":
        return Huey(NAME, immediate=True)
    if url == "memory://":
        return MemoryHuey(NAME)
    if url.startswith(("redis://", "rediss://", "unix://")):
        # a dead Redis is noticed in 2 s, not at the operating system's TCP timeout
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        return RedisHuey(NAME, connection_pool=pool)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):] or Path(instance_path) / "queue.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(NAME, filename=str(path))
    raise QueueConfigError('HUEY_URL must be "sqlite:///path", "redis://host:port/db", "memory://" or "immediate"')


def _log_signal(signal, task_, exc=None):
    # periodic sweeps start every few seconds and mostly find nothing: their start and end are DEBUG
    # lines; each sweep logs what it did find at INFO
    routine = logging.DEBUG if isinstance(task_, PeriodicTask) else logging.INFO
    if signal == huey_signals.SIGNAL_EXECUTING:
        log.log(routine, "task %s %s started", task_.name, task_.id)
    elif signal == huey_signals.SIGNAL_COMPLETE:
        log.log(routine, "task %s %s finished", task_.name, task_.id)
    elif signal == huey_signals.SIGNAL_ERROR:
        log.error("task %s %s failed: %s: %s", task_.name, task_.id, type(exc).__name__, exc)
    elif signal == huey_signals.SIGNAL_RETRYING:
        log.warning("task %s %s will be retried (%s retries left)", task_.name, task_.id, task_.retries)
    else:
        log.warning("task %s %s: %s", task_.name, task_.id, signal)


def _in_app_context(app: Flask, function: Callable) -> Callable:
    def run(*args, **kwargs):
        with app.app_context():  # a session of its own, removed when the task ends
            return function(*args, **kwargs)
    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return run


def init_app(app: Flask) -> Huey:
    """Build the app's Huey from ``HUEY_URL`` and bind every declared task to it."""
    huey = make_huey(app.config.get("HUEY_URL", ""), app.instance_path)
    tick = int(app.config.get("HUEY_TICK_SECONDS", 5))
    bound = {}
    for declared in DECLARED.values():
        runner = _in_app_context(app, declared.function)
        if declared.validate is not None:
            validate = declared.validate
            bound[declared.name] = huey.periodic_task(
                lambda timestamp, validate=validate: validate(timestamp, tick), name=declared.name)(runner)
        else:
            bound[declared.name] = huey.task(retries=declared.retries, retry_delay=declared.retry_delay,
                                             context=declared.context, name=declared.name)(runner)
    huey.signal(huey_signals.SIGNAL_EXECUTING, huey_signals.SIGNAL_COMPLETE, huey_signals.SIGNAL_ERROR,
                huey_signals.SIGNAL_RETRYING, huey_signals.SIGNAL_EXPIRED, huey_signals.SIGNAL_REVOKED,
                huey_signals.SIGNAL_INTERRUPTED, huey_signals.SIGNAL_TIMEOUT)(_log_signal)
    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = bound
    return huey


def get_huey(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions["huey"]


def enqueue(name: str, *args, delay: float | None = None, **kwargs) -> str:
    """Queue the task ``name``; its id. Raises when the queue storage cannot take it."""
    wrapper = current_app.extensions["huey_tasks"][name]
    if delay:
        result = wrapper.schedule(args, kwargs, delay=delay)
    else:
        result = wrapper(*args, **kwargs)
    task_id = result.id if result is not None else "-"
    log.info("task %s %s queued", name, task_id)
    return task_id


def hint(name: str, *args) -> str | None:
    """Queue ``name`` if the storage takes it; on failure log it and return ``None`` (a periodic task
    finds the work anyway)."""
    try:
        return enqueue(name, *args)
    except Exception as error:  # noqa: BLE001 - the caller's change is committed: never undo the request
        log.warning("task %s not queued (queue storage: %s); the periodic sweep will do it",
                    name, type(error).__name__)
        return None


def pending_count(app: Flask | None = None) -> int:
    """Tasks waiting in the queue (not counting those scheduled for later)."""
    return get_huey(app).pending_count()


def check_storage() -> tuple[bool, str]:
    """The queue storage answers (``/readyz``)."""
    try:
        pending_count()
        return True, "ok"
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return False, type(error).__name__


def consumer(app: Flask, workers: int = 2) -> Consumer:
    """The worker's consumer: ``workers`` threads and a scheduler that wakes every ``HUEY_TICK_SECONDS``."""
    tick = int(app.config.get("HUEY_TICK_SECONDS", 5))
    if tick < 1 or 60 % tick:
        raise QueueConfigError("HUEY_TICK_SECONDS must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)")

    class TickScheduler(Scheduler):
        periodic_task_seconds = tick

    class PlatformConsumer(Consumer):
        scheduler_class = TickScheduler

    # Huey's own lines would repeat every sweep's start and end at INFO every few seconds; the platform
    # logs each task itself (``_log_signal``), so Huey speaks only of warnings and errors
    logging.getLogger("huey").setLevel(logging.WARNING)
    return PlatformConsumer(get_huey(app), workers=workers, worker_type="thread", periodic=True,
                            scheduler_interval=tick, check_worker_health=True)
