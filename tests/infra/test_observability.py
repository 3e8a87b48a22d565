"""Probes, request ids, structured logs and metrics (issue: production shape, health and metrics)."""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import text

from app.config import PROJECT_ROOT
from app.extensions import db
from app.infra.observability import JSON_FIELDS
from models import SmsLog
from pythonjsonlogger.json import JsonFormatter


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_checks_database_migrations_and_storage(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "file_storage", "rate_limit_storage", "queue_storage"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_is_503_when_the_upload_folder_is_gone(app, client, tmp_path):
    folder = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "unmounted")
    try:
        response = client.get("/readyz")
    finally:
        app.config["UPLOAD_FOLDER"] = folder
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready"
    assert body["checks"]["file_storage"]["ok"] is False and body["checks"]["database"]["ok"] is True
    assert str(tmp_path) not in json.dumps(body)  # no path in the answer


def test_readyz_is_503_when_a_migration_was_not_applied(client):
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == {"ok": False, "detail": "not at head: run flask db upgrade"}


def test_every_response_carries_a_request_id(client):
    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    given = "nginx-4f2a9c1e77"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    forged = client.get("/healthz", headers={"X-Request-ID": "x y;<script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_log_lines_carry_the_request_id(app):
    handler = app.extensions["platform_log_handler"]
    with app.test_request_context("/login", headers={"X-Request-ID": "req-0123456789"}):
        app.preprocess_request()
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "一行日志", (), None)
        assert handler.filter(record)
        assert "[req-0123456789]" in handler.format(record) and "一行日志" in handler.format(record)
    outside = logging.LogRecord("app", logging.INFO, __file__, 1, "启动", (), None)
    assert handler.filter(outside) and "[-]" in handler.format(outside)


def test_json_log_lines_for_a_log_collector():
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "上传失败 %s", ("x.pdf",), None)
    record.request_id = "abc123def456"
    line = json.loads(JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
                      .format(record))
    assert line["level"] == "WARNING" and line["message"] == "上传失败 x.pdf"
    assert line["request_id"] == "abc123def456" and "time" in line


def test_metrics_for_allowed_networks_only(app, client):
    client.get("/login")
    db.session.add(SmsLog(phone="13900000001", purpose="register", content="x", backend="console", succeeded=False,
                           state="failed"))
    db.session.commit()
    response = client.get("/metrics")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    assert re.search(r'flask_http_request_total\{method="GET",status="200"\} \d', body), body[:2000]
    assert 'flask_http_request_duration_seconds_bucket{' in body and 'endpoint="auth.login"' in body
    assert 'platform_sms_last_day{outcome="failed"} 1.0' in body
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    app.config["METRICS_TOKEN"] = "s3cret-token-for-prometheus"
    try:
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer s3cret-token-for-prometheus"}).status_code == 200
        assert client.get("/metrics", environ_base=outside,
                          headers={"Authorization": "Bearer wrong"}).status_code == 403
    finally:
        app.config["METRICS_TOKEN"] = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _worker_files(metrics_dir: Path) -> set[str]:
    """The pids of the workers that wrote figures into the multiprocess folder."""
    return {path.name.split("_")[-1] for path in metrics_dir.glob("*.db")}


def test_metrics_add_up_the_workers_of_gunicorn(tmp_path):
    """Two gunicorn workers, each answering some requests: /metrics counts them all, whichever worker
    answers the scrape (prometheus_client's multiprocess mode)."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.db'}", "UPLOAD_FOLDER": str(tmp_path / "up"),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "FLASK_APP": "wsgi.py"}
    env.pop("TEST_DATABASE_URL", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    port = _free_port()
    server = subprocess.Popen([str(bin_dir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                _get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        # requests until both workers have answered some (the second may still be starting while the
        # first answers: on a busy machine 40 quick requests all went to one), at least 40
        made, deadline = 0, time.monotonic() + 30
        while made < 40 or (len(_worker_files(metrics_dir)) < 2 and time.monotonic() < deadline):
            _get(base + "/login")
            made += 1
        pids = _worker_files(metrics_dir)
        body = _get(base + "/metrics")
        count = float(re.search(r'flask_http_request_total\{method="GET",status="200"\} ([\d.]+)', body).group(1))
        assert count >= made, body[:1500]
        assert len(pids) >= 2, pids  # both workers wrote their figures
    finally:
        server.terminate()
        server.wait(10)
