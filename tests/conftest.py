"""Fixtures: an app on a migrated database (SQLite file, or PostgreSQL via TEST_DATABASE_URL),
a clean slate after every test, a test client, a login helper and a small two-city world.

With TEST_DATABASE_URL set, the database must be reachable: the suite fails, it never skips.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.config import TestConfig, database_url
from app.domain.support_contacts import forget_contacts
from app.extensions import db, limiter
from app.infra.filestore import store
from app.seed.reference import seed_reference_data
from tests.factories import build_world
from tests.isolated_client import IsolatedClient
from tests.portal_helpers import OutboxSender

OUTBOX_SENDER = "tests.portal_helpers:OutboxSender"
REFERENCE_TABLES = {"region", "specialty", "practice_scope", "university", "alembic_version"}
SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def _seed_text() -> str:
    """Both seed documents with all whitespace removed (their line breaks fall inside sentences)."""
    assert SEEDS.is_dir(), f"the seed documents are missing: {SEEDS} (../shared/seeds beside the repository)"
    return "".join(re.sub(r"\s+", "", path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt")))


def pytest_collection_modifyitems(config, items):
    """Every ``@pytest.mark.seed(sentence)`` quotes the seeds: its fragments (split at …) appear in order."""
    text, wrong = None, []
    for item in items:
        for mark in item.iter_markers("seed"):
            text = text if text is not None else _seed_text()
            position = 0
            for fragment in (re.sub(r"\s+", "", part) for part in mark.args[0].split("…")):
                found = text.find(fragment, position) if fragment else position
                if found < 0:
                    wrong.append(f"{item.nodeid}: {fragment!r}")
                    break
                position = found + len(fragment)
    if wrong:
        raise pytest.UsageError("seed sentences not found in ../shared/seeds:\n" + "\n".join(wrong))


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own beside TEST_DATABASE_URL's
    (``<name>_gw0``, ``<name>_gw1`` …), created here and dropped when the worker ends."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:  # raises if the server is missing: no silent skip
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_worker_database(url: str) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    db.engine.dispose()
    server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        server.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:  # raises if the server is missing: no silent skip
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = _worker_database(database_url(url, url))
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    uploads = tmp_path_factory.mktemp("uploads")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(uploads)
        SMS_BACKEND = OUTBOX_SENDER  # the console sender, keeping what it sends (tests.portal_helpers)

    application = create_app(Config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
        seed_reference_data()
    yield application
    if url.startswith("postgresql"):
        with application.app_context():
            _drop_worker_database(url)


@pytest.fixture(autouse=True)
def clean_db(app):
    """Each test starts with reference data only; rows and uploaded files a test leaves are removed."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    OutboxSender.sent.clear()
    yield
    db.session.rollback()
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("UPDATE trainee SET photo_id = NULL"))
            for table in tables:
                connection.execute(table.delete())
            # deleting applications wrote −1 rows into the counts ledgers (triggers): clear them last
            for name in ("application_count", "application_place_count"):
                connection.execute(db.metadata.tables[name].delete())
    forget_contacts(app)  # the process's copy of the footer's contacts (the tables were emptied under it)
    for path in Path(app.config["UPLOAD_FOLDER"]).iterdir():
        if path.is_file():
            path.unlink()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the form on ``url`` (one token per session)."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf token on {url}"
    return match.group(1) or match.group(2)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "Secret.123", follow: bool = False):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                                follow_redirects=follow)

    def logout(self, page: str = "/admin/"):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, page)})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def world(app):
    """Two cities with a county each (plus 济源), a base per city, one account per role and scope,
    and trainees with submitted applications in each county. See tests/factories.py."""
    return build_world()


@pytest.fixture
def runner(app):
    """The Flask CLI of the test app: ``runner.invoke(args=["seed"])`` runs ``flask seed``."""
    return app.test_cli_runner()


# --------------------------------------------------------------------------------------------
# File storage backends: the local folder, and an S3-protocol endpoint (moto's standalone server,
# an emulator used only here; production uses MinIO, Ceph RGW, 阿里云 OSS or 腾讯云 COS)
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MotoServer:
    """moto's S3 server as a subprocess on a free port; ``start`` fails the test when it cannot start."""

    def __init__(self, log_path: Path):
        self.log_path, self.process, self.url = log_path, None, None

    def start(self) -> MotoServer:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"moto's S3 server did not start (python -m moto.server; install requirements-dev.txt): "
                    f"{self.log_path.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One S3-protocol endpoint for the session (a real HTTP server in its own process)."""
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


def s3_settings(endpoint: str, bucket: str) -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket, "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret", "S3_PREFIX": "uploads/",
            "S3_ADDRESSING_STYLE": "path", "S3_CONNECT_TIMEOUT": 1, "S3_READ_TIMEOUT": 10}


def use_s3(app, monkeypatch, endpoint: str) -> str:
    """Point the app at a fresh bucket of ``endpoint``; its name."""
    bucket = "hn-test-" + secrets.token_hex(6)
    for key, value in s3_settings(endpoint, bucket).items():
        monkeypatch.setitem(app.config, key, value)
    store().client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["local", "s3"])
def file_backend(request, app, monkeypatch):
    """Each test that uses it runs twice: files in the upload folder, and in an S3 bucket."""
    if request.param == "local":
        yield "local"
        return
    server = request.getfixturevalue("s3_server")
    bucket = use_s3(app, monkeypatch, server.url)
    yield "s3"
    client = store().client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
