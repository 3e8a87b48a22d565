"""Deployment checks: the settings a production deployment must not have.

``deploy_problems`` lists every unsafe setting (``flask check-deploy`` prints them, like Django's
``check --deploy``). Those marked ``refuse`` stop the app from starting in production mode
(``APP_ENV=production``): ``refuse_unsafe_production`` logs one line per problem, then raises.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from app.config import DEV_SECRET_KEY

# keys that are published in the repository or its tests
KNOWN_SECRET_KEYS = {DEV_SECRET_KEY, "test-secret", "secret", "changeme", "change-me", "dev"}
MIN_SECRET_KEY_LENGTH = 32
PER_PROCESS_STORAGE = ("memory://", "memory:")
MAX_SESSION_HOURS = 24


class UnsafeConfiguration(RuntimeError):
    """Production mode with a setting that must not reach production."""


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    refuse: bool = False  # in production mode the app does not start

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _is_per_process(uri: str) -> bool:
    uri = (uri or "").strip().lower()
    return not uri or uri.startswith(PER_PROCESS_STORAGE)


def deploy_problems(config: Mapping) -> list[Problem]:
    """Every unsafe setting in ``config`` (an app's configuration), most serious first."""
    found: list[Problem] = []
    secret = config.get("SECRET_KEY") or ""
    if not isinstance(secret, str | bytes) or not secret or secret in KNOWN_SECRET_KEYS:
        found.append(Problem("secret_key_dev", "SECRET_KEY is missing or the development key; set a long random "
                                               "SECRET_KEY (python -c 'import secrets; print(secrets.token_hex(32))')",
                             refuse=True))
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        found.append(Problem("secret_key_short", f"SECRET_KEY has {len(secret)} characters; use at least "
                                                 f"{MIN_SECRET_KEY_LENGTH} random characters"))
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append(Problem("cookie_not_secure", "SESSION_COOKIE_SECURE is off: the session cookie would also be "
                                                  "sent over plain HTTP; serve HTTPS and set SESSION_COOKIE_SECURE=1",
                             refuse=True))
    storage = config.get("RATELIMIT_STORAGE_URI") or ""
    if _is_per_process(storage):
        found.append(Problem("ratelimit_per_process",
                             f"RATELIMIT_STORAGE_URI is {storage or 'empty'!s}: each worker process counts login "
                             "attempts on its own, so N workers allow N times the limit; use shared storage, "
                             "e.g. RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0", refuse=True))
    if config.get("RATELIMIT_ENABLED") is False:
        found.append(Problem("ratelimit_disabled", "RATELIMIT_ENABLED is off: logins are not limited per address",
                             refuse=True))
    if config.get("DEBUG"):
        found.append(Problem("debug_on", "DEBUG is on: errors show code and settings to the visitor", refuse=True))
    if config.get("TESTING"):
        found.append(Problem("testing_on", "TESTING is on: error handling is changed for the test suite"))
    if not config.get("SESSION_COOKIE_HTTPONLY"):
        found.append(Problem("cookie_not_httponly", "SESSION_COOKIE_HTTPONLY is off: scripts can read the session "
                                                    "cookie"))
    if str(config.get("SESSION_COOKIE_SAMESITE") or "").lower() not in ("lax", "strict"):
        found.append(Problem("cookie_samesite", "SESSION_COOKIE_SAMESITE is not Lax or Strict: other sites' forms "
                                                "send the session cookie"))
    if config.get("WTF_CSRF_ENABLED") is False:
        found.append(Problem("csrf_disabled", "WTF_CSRF_ENABLED is off: forms accept posts from other sites"))
    database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if database.startswith("sqlite"):
        found.append(Problem("database_sqlite", "the database is SQLite; production uses PostgreSQL "
                                                "(DATABASE_URL=postgresql://…)"))
    queue_url = str(config.get("HUEY_URL") or "")
    if queue_url and not queue_url.startswith(("redis://", "rediss://", "unix://")):
        found.append(Problem("queue_not_shared", f"HUEY_URL is {queue_url.split(':', 1)[0]}: the task queue is not "
                                                  "shared by several servers; use HUEY_URL=redis://127.0.0.1:6379/1"))
    if str(config.get("SMS_BACKEND") or "console") == "console":
        found.append(Problem("sms_console", "SMS_BACKEND is console: verification codes go to the log, not to phones"))
    if not config.get("STAFF_TWO_FACTOR"):
        found.append(Problem("staff_two_factor_off", "STAFF_TWO_FACTOR is off: staff sign in with a password alone"))
    if int(config.get("SESSION_MAX_HOURS") or 0) > MAX_SESSION_HOURS or int(config.get("SESSION_MAX_HOURS") or 0) <= 0:
        found.append(Problem("session_lifetime", f"SESSION_MAX_HOURS is {config.get('SESSION_MAX_HOURS')}; "
                                                 f"keep it between 1 and {MAX_SESSION_HOURS}"))
    if config.get("APP_ENV") != "production":
        found.append(Problem("not_production", "APP_ENV is not production: unsafe settings do not stop the app"))
    return found


def refuse_unsafe_production(config: Mapping, logger: logging.Logger) -> None:
    """In production mode, log one line per refused setting and raise ``UnsafeConfiguration``."""
    if config.get("APP_ENV") != "production":
        return
    refused = [problem for problem in deploy_problems(config) if problem.refuse]
    if not refused:
        return
    for problem in refused:
        logger.critical("refusing to start in production mode: %s", problem)
    raise UnsafeConfiguration(
        f"unsafe production configuration ({', '.join(p.code for p in refused)}); see the log lines above, "
        "fix the settings, then run `flask check-deploy` for the full list")
