"""Production mode fails safe: the app refuses to start with the development SECRET_KEY, an insecure
session cookie or per-process rate-limit storage, one log line per problem; ``flask check-deploy``
lists every unsafe setting and exits non-zero; with Redis, two worker processes share one login limit.

The two-worker test needs the Redis server at 127.0.0.1:6379 and fails when it is missing."""
from __future__ import annotations

import logging
import secrets
import subprocess
import sys
import textwrap
import uuid

import pytest

from app import create_app
from app.config import PROJECT_ROOT, ProductionConfig
from app.deploy import UnsafeConfiguration, deploy_problems
from app.extensions import limiter

# Redis databases 14 and 15 are shared with the other Redis tests: one xdist worker runs them all
pytestmark = pytest.mark.xdist_group("redis")

SAFE = {
    "SECRET_KEY": secrets.token_hex(32),
    "SESSION_COOKIE_SECURE": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://platform@127.0.0.1:5432/platform",
    "SMS_BACKEND": "provider.module:ProviderSender",
    "STAFF_TWO_FACTOR": True,
    "HUEY_URL": "redis://127.0.0.1:6379/14",
}


@pytest.fixture(autouse=True)
def keep_the_test_apps_limiter():
    """``limiter`` is one object: building another app points it at that app's storage. Put the
    test app's storage back afterwards."""
    saved = (limiter._storage, limiter._limiter, limiter.enabled, dict(limiter._storage_options))
    yield
    limiter._storage, limiter._limiter, limiter.enabled = saved[:3]
    limiter._storage_options.clear()
    limiter._storage_options.update(saved[3])


def production(tmp_path, **changes):
    """A production configuration: safe unless ``changes`` say otherwise."""
    settings = {**SAFE, "UPLOAD_FOLDER": str(tmp_path / "uploads"), **changes}
    return type("Deployed", (ProductionConfig,), settings)


def refusal_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.levelno >= logging.CRITICAL and "refusing to start" in record.getMessage()]


def test_a_safe_production_configuration_starts(tmp_path, caplog):
    app = create_app(production(tmp_path))
    assert app.config["APP_ENV"] == "production"
    assert refusal_lines(caplog) == []


@pytest.mark.parametrize("changes,code,setting", [
    ({"SECRET_KEY": "dev-only-secret-change-me"}, "secret_key_dev", "SECRET_KEY"),
    ({"SECRET_KEY": ""}, "secret_key_dev", "SECRET_KEY"),
    ({"SESSION_COOKIE_SECURE": False}, "cookie_not_secure", "SESSION_COOKIE_SECURE"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "ratelimit_per_process", "RATELIMIT_STORAGE_URI"),
    ({"RATELIMIT_ENABLED": False}, "ratelimit_disabled", "RATELIMIT_ENABLED"),
    ({"DEBUG": True}, "debug_on", "DEBUG"),
])
def test_production_refuses_to_start_with_an_unsafe_setting(tmp_path, caplog, changes, code, setting):
    with pytest.raises(UnsafeConfiguration) as refused:
        create_app(production(tmp_path, **changes))
    assert code in str(refused.value)
    lines = refusal_lines(caplog)
    assert len(lines) == 1, lines
    assert code in lines[0] and setting in lines[0]


def test_every_problem_gets_its_own_log_line(tmp_path, caplog):
    with pytest.raises(UnsafeConfiguration):
        create_app(production(tmp_path, SECRET_KEY="dev-only-secret-change-me", SESSION_COOKIE_SECURE=False,
                              RATELIMIT_STORAGE_URI="memory://"))
    lines = refusal_lines(caplog)
    assert len(lines) == 3
    assert [line.split(": ")[1] for line in lines] == ["secret_key_dev", "cookie_not_secure", "ratelimit_per_process"]
    assert "each worker process counts login attempts on its own" in lines[2]


def test_app_env_production_selects_the_production_configuration(monkeypatch, caplog):
    """``APP_ENV=production`` with nothing else set: no development key, memory storage refused; the
    cookie is secure by default there, so it is not among the refusals."""
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "")
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(UnsafeConfiguration):
        create_app()
    codes = [line.split(": ")[1] for line in refusal_lines(caplog)]
    assert codes == ["secret_key_dev", "ratelimit_per_process"]
    assert ProductionConfig.SESSION_COOKIE_SECURE is True


def test_development_mode_starts_with_memory_storage_and_the_development_key(monkeypatch, tmp_path, caplog):
    """``make run``: no APP_ENV, the defaults start as before."""
    monkeypatch.delenv("APP_ENV", raising=False)
    app = create_app({"UPLOAD_FOLDER": str(tmp_path / "uploads"), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["APP_ENV"] == "development"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert refusal_lines(caplog) == []


# --- flask check-deploy ------------------------------------------------------------------------

def test_check_deploy_lists_every_unsafe_setting_of_the_test_app(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "console")  # as in make run
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    expected = ["ERROR   secret_key_dev", "ERROR   cookie_not_secure", "ERROR   ratelimit_per_process",
                "WARNING testing_on", "WARNING queue_not_shared", "WARNING sms_console", "WARNING staff_two_factor_off",
                "WARNING not_production"]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        expected.insert(4, "WARNING database_sqlite")
    assert [line.split(":")[0] for line in lines[:-1]] == expected
    assert lines[-1].startswith(f"Error: {len(expected)} unsafe setting(s), 3 of which stop the app")


def test_check_deploy_names_cookie_flags_csrf_short_keys_and_long_sessions(tmp_path):
    app = create_app(production(tmp_path, SECRET_KEY="x" * 20, SESSION_COOKIE_HTTPONLY=False,
                                SESSION_COOKIE_SAMESITE=None, WTF_CSRF_ENABLED=False, SESSION_MAX_HOURS=72,
                                SQLALCHEMY_DATABASE_URI="sqlite://"))
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1
    codes = [line.split(":")[0].split()[-1] for line in result.output.splitlines()[:-1]]
    assert codes == ["secret_key_short", "cookie_not_httponly", "cookie_samesite", "csrf_disabled",
                     "database_sqlite", "session_lifetime"]
    assert "SECRET_KEY has 20 characters; use at least 32" in result.output


def test_check_deploy_passes_a_safe_production_configuration(tmp_path):
    app = create_app(production(tmp_path))
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no unsafe setting found"


def test_other_shared_storages_are_accepted_and_memory_variants_are_not():
    base = {**SAFE, "APP_ENV": "production", "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_MAX_HOURS": 12}
    for uri in ("redis+sentinel://127.0.0.1:26379/mymaster", "memcached://127.0.0.1:11211", "valkey://h:6379"):
        assert deploy_problems({**base, "RATELIMIT_STORAGE_URI": uri}) == [], uri
    for uri in ("memory://", "MEMORY://", "", None):
        assert [p.code for p in deploy_problems({**base, "RATELIMIT_STORAGE_URI": uri})] == ["ratelimit_per_process"]


# --- the limiter with shared storage: two worker processes, one limit --------------------------------

WORKER = textwrap.dedent("""
    import sys
    import redis
    redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()  # fail loudly if missing
    from app import create_app
    from app.config import ProductionConfig
    prefix, storage, tries, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    settings = {"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False,
                "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
                "LOGIN_LIMIT_PER_ADDRESS": "3 per minute"}
    app = create_app(type("Worker", (ProductionConfig,), settings))
    with app.app_context():
        from app.extensions import db
        db.create_all()
    client = app.test_client()
    codes = [client.post("/login", data={"username": "nobody", "password": "x"},
                         environ_base={"REMOTE_ADDR": "10.7.7.7"}).status_code for _ in range(tries)]
    print(" ".join(map(str, codes)))
""")


def worker(prefix: str, storage: str, tries: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WORKER, prefix, storage, str(tries), SAFE["SECRET_KEY"]],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_two_worker_processes_share_one_login_limit_in_redis():
    """An attacker whose guesses are spread over two workers still gets only 3 per minute."""
    prefix = f"hn-test-{uuid.uuid4().hex}"
    first = worker(prefix, "redis://127.0.0.1:6379/15", 2)
    assert first.returncode == 0, first.stderr[-2000:]
    second = worker(prefix, "redis://127.0.0.1:6379/15", 2)
    assert second.returncode == 0, second.stderr[-2000:]
    assert first.stdout.split() == ["200", "200"]
    assert second.stdout.split() == ["200", "429"]


def test_a_worker_with_per_process_storage_does_not_start():
    result = worker("unused", "memory://", 1)
    assert result.returncode != 0
    assert "refusing to start in production mode: ratelimit_per_process" in result.stderr
    assert "UnsafeConfiguration" in result.stderr


def test_check_deploy_warns_when_staff_sign_in_with_a_password_alone():
    base = {**SAFE, "APP_ENV": "production", "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_MAX_HOURS": 12}
    assert [p.code for p in deploy_problems({**base, "STAFF_TWO_FACTOR": False})] == ["staff_two_factor_off"]
    assert ProductionConfig.STAFF_TWO_FACTOR is True  # on unless STAFF_TWO_FACTOR=0
