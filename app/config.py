"""Configuration, read from the environment."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def database_url(url: str | None, default: str) -> str:
    """Normalise a DATABASE_URL: ``postgres://`` and ``postgresql://`` use the psycopg 3 driver."""
    url = url or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings for running the platform; every value can come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{PROJECT_ROOT / 'instance' / 'platform.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(PROJECT_ROOT / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    UPLOAD_MAX_PIXELS = int(os.environ.get("UPLOAD_MAX_PIXELS", 40_000_000))
    # "console" (messages go to the log) or "package.module:ClassName" of an app.infra.sms.SmsSender subclass
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
    SMS_CODE_TTL_SECONDS = int(os.environ.get("SMS_CODE_TTL_SECONDS", 300))
    SMS_CODE_MAX_ATTEMPTS = int(os.environ.get("SMS_CODE_MAX_ATTEMPTS", 5))
    SMS_RESEND_SECONDS = int(os.environ.get("SMS_RESEND_SECONDS", 60))
    SMS_MAX_PER_PHONE_PER_DAY = int(os.environ.get("SMS_MAX_PER_PHONE_PER_DAY", 10))
    SMS_MAX_PER_ADDRESS_PER_HOUR = int(os.environ.get("SMS_MAX_PER_ADDRESS_PER_HOUR", 20))

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")

    # reviewers leave pages open for hours: tokens live as long as the session
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # behind N reverse proxies, trust N X-Forwarded-* hops (the login limit counts real addresses)
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 10 minutes")
    LOGIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))

    # reads of personal information are kept this many days (MLPS asks at least 6 months: 180 is the floor)
    ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", "365"))

    FLASK_ADMIN_SWATCH = "default"
    ADMIN_PAGE_SIZE = 20


class TestConfig(Config):
    """Settings for the test suite; ``TEST_DATABASE_URL`` selects PostgreSQL."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL"), "sqlite://")
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
