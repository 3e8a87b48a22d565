"""gunicorn's settings for production (docs/deploy.md): ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed through the environment (``GUNICORN_*``). The defaults suit one app server
with 2 cores: gthread workers, 2 × cores + 1 processes of 4 threads each, so that a long export holds
one thread, not a whole process. With ``PROMETHEUS_MULTIPROC_DIR`` set, the folder is emptied when
gunicorn starts and a worker's figures are marked dead when it exits (prometheus_client's multiprocess
mode: /metrics adds up every live worker).
"""
import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

CORES = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * CORES + 1))
# threads only for gthread: gunicorn turns a "sync" worker with more than one thread into gthread silently
threads = int(os.environ.get("GUNICORN_THREADS", 4 if worker_class == "gthread" else 1))
# a province-wide export runs for up to a minute inside the request (until the task queue takes it)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 180))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 60))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# a worker is replaced after this many requests (a slow leak never grows for weeks). A new worker takes
# about 2 s of a core to import and build the app, and its share of the requests waits meanwhile: at 5,000,
# a busy worker (250 requests/s) was replaced every 20 s, and the trainee page's p99 rose from 35 ms to 0.96 s
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 50000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 5000))
# nginx on this machine: X-Forwarded-* are handled by the app (PROXY_COUNT), gunicorn trusts only it
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# the access log names the request id the app answered with (X-Request-ID), like the app's own lines
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
# loading the app once in the master saves memory; the database pool is opened lazily in each worker
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"


def on_starting(server):
    """Empty PROMETHEUS_MULTIPROC_DIR: figures of an earlier run must not be added to this one."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for entry in path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def child_exit(server, worker):
    """A worker that exits (restart, max_requests, crash) leaves its counters, but not its gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
