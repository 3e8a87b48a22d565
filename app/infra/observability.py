"""Request ids, structured logs and Prometheus metrics.

- Every request gets an id: the ``X-Request-ID`` header of the proxy in front (when it is a sane
  token), else a new one. It is on ``g.request_id``, on every log line written while the request
  runs, and in the response's ``X-Request-ID`` header, so a trainee's screenshot of an error page
  leads to the log lines of that request.
- Logs are JSON lines in production (``LOG_FORMAT=json``: python-json-logger) and readable lines
  in ``make run``; both carry the request id.
- Metrics (prometheus-flask-exporter): request counts and latency per endpoint. Under gunicorn with
  several workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder the workers share) and the
  figures of all workers are added up (prometheus_client's multiprocess mode). ``collect_gauges``
  adds what only the database knows (SMS failures, …) at each scrape.
"""
from __future__ import annotations

import logging
import os
import re
import uuid
from typing import Callable

from flask import Flask, g, has_request_context, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_flask_exporter import PrometheusMetrics
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
READABLE_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def request_id() -> str:
    """The current request's id ("-" outside a request)."""
    if has_request_context():
        return getattr(g, "request_id", "-")
    return "-"


class RequestIdFilter(logging.Filter):
    """Puts the request id on every record, so that every handler's format can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def configure_logging(app: Flask) -> None:
    """One handler on the root logger: JSON lines in production, readable lines otherwise."""
    handler = logging.StreamHandler()
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(READABLE_FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_platform", False)]:
        root.removeHandler(old)
    handler._platform = True  # replaced, not added twice, when another app is built in the process
    root.addHandler(handler)
    if root.level in (logging.NOTSET, logging.WARNING):
        root.setLevel(logging.INFO)
    app.logger.handlers.clear()  # records go up to the root handler: one format for every logger
    app.logger.propagate = True
    app.extensions["platform_log_handler"] = handler


def _assign_request_id() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if SANE_REQUEST_ID.match(given) else uuid.uuid4().hex


def _send_request_id(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


class Metrics:
    """Request metrics of one app, and the text Prometheus scrapes."""

    def __init__(self, app: Flask, gauges: Callable[[], list[GaugeMetricFamily]] | None = None):
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=True)
        self.exporter = PrometheusMetrics(app, path=None, registry=self.registry, group_by="endpoint",
                                          excluded_paths=["^/static/", "^/metrics$", "^/healthz$", "^/readyz$"])
        self.gauges = gauges
        if gauges is not None and not self.multiprocess:
            self.registry.register(_GaugeCollector(gauges))

    def text(self) -> tuple[bytes, str]:
        """The exposition text: this process's registry, or every worker's figures in multiprocess mode."""
        registry = self.registry
        if self.multiprocess:
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(registry)
            if self.gauges is not None:
                registry.register(_GaugeCollector(self.gauges))
        return generate_latest(registry), "text/plain; version=0.0.4; charset=utf-8"


class _GaugeCollector:
    def __init__(self, gauges):
        self.gauges = gauges

    def collect(self):
        yield from self.gauges()

    def describe(self):
        return []


def init_app(app: Flask, gauges: Callable[[], list[GaugeMetricFamily]] | None = None) -> Metrics:
    configure_logging(app)
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)
    metrics = Metrics(app, gauges)
    app.extensions["platform_metrics"] = metrics
    return metrics
