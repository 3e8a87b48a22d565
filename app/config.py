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


DEV_SECRET_KEY = "dev-only-secret-change-me"


def environment_config() -> type["Config"]:
    """The configuration ``APP_ENV`` selects: ``production`` gives ``ProductionConfig``, anything else
    (``make run``, development) ``Config``."""
    return ProductionConfig if os.environ.get("APP_ENV", "").strip().lower() == "production" else Config


class Config:
    """Settings for running the platform; every value can come from the environment."""

    # "production" refuses to start with unsafe settings (app/deploy.py); see ProductionConfig
    APP_ENV = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{PROJECT_ROOT / 'instance' / 'platform.db'}")
    # a pooled connection idle this long is checked before use (app/infra/database.py); not before every
    # request, as pool_pre_ping would (one round trip each)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATABASE_PING_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_IDLE_SECONDS", "5"))
    # PostgreSQL's parallel workers per query of this app's connections (max_parallel_workers_per_gather):
    # 0, as for most OLTP work, since a page's queries read a few hundred rows and a parallel worker costs
    # more to start (2-4 ms) than it saves, and takes a core from another request; "" keeps the server's
    DATABASE_PARALLEL_WORKERS = os.environ.get("DATABASE_PARALLEL_WORKERS", "0")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(PROJECT_ROOT / "uploads"))
    # where uploads are kept (app/infra/filestore.py): "local" (UPLOAD_FOLDER, may be a shared mount)
    # or "s3" (an S3-compatible object store: MinIO, Ceph RGW, 阿里云 OSS, 腾讯云 COS)
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_REGION = os.environ.get("S3_REGION", "")
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    # "path" (MinIO, Ceph RGW on an address) or "virtual" (阿里云 OSS and 腾讯云 COS require it)
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "path")
    S3_CONNECT_TIMEOUT = float(os.environ.get("S3_CONNECT_TIMEOUT", "3"))
    S3_READ_TIMEOUT = float(os.environ.get("S3_READ_TIMEOUT", "30"))
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
    # support's password reset: a one-time link, valid this long
    PASSWORD_RESET_LINK_MINUTES = int(os.environ.get("PASSWORD_RESET_LINK_MINUTES", "30"))
    # anonymous pages that may send a code (registration, forgotten password) answer no sooner than this,
    # so the time an SMS provider takes does not tell whether a number is registered
    SMS_ANSWER_MIN_SECONDS = float(os.environ.get("SMS_ANSWER_MIN_SECONDS", "1.0"))

    # the task queue (app/infra/queue.py): "sqlite:///path" (default: instance/queue.db, for make run),
    # "redis://host:6379/1" in production, "memory://" or "immediate" (tests)
    HUEY_URL = os.environ.get("HUEY_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'queue.db'}")
    # the worker's scheduler wakes this often (a divisor of 60) and runs the periodic tasks (the SMS sweep)
    HUEY_TICK_SECONDS = int(os.environ.get("HUEY_TICK_SECONDS", "5"))
    HUEY_WORKERS = int(os.environ.get("HUEY_WORKERS", "2"))
    # the SMS outbox (app/infra/notify.py): attempts per message, the first retry's wait (doubled each
    # time, at most an hour), and when a message a killed worker left "sending" is tried again
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))
    OUTBOX_RETRY_SECONDS = int(os.environ.get("OUTBOX_RETRY_SECONDS", "30"))
    OUTBOX_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("OUTBOX_CLAIM_TIMEOUT_SECONDS", "300"))
    OUTBOX_BATCH = int(os.environ.get("OUTBOX_BATCH", "100"))
    # jobs (app/infra/jobs.py): results kept this many days; a running job silent this long has lost its worker
    JOB_RESULT_DAYS = int(os.environ.get("JOB_RESULT_DAYS", "7"))
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", "600"))
    # exports of more rows than this run as jobs; smaller ones are written in the request
    EXPORT_JOB_ROWS = int(os.environ.get("EXPORT_JOB_ROWS", "5000"))
    # admission publications of more confirmed applicants than this run as jobs (the same one transaction)
    # unit-directory uploads larger than this (bytes) are imported by a job
    IMPORT_JOB_BYTES = int(os.environ.get("IMPORT_JOB_BYTES", str(512 * 1024)))
    PUBLISH_JOB_APPLICANTS = int(os.environ.get("PUBLISH_JOB_APPLICANTS", "2000"))

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")

    # reviewers leave pages open for hours: tokens live as long as the session
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    # a session ends after this much inactivity (staff / trainees), and in any case this long after login
    SESSION_IDLE_MINUTES_STAFF = int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", "30"))
    SESSION_IDLE_MINUTES_TRAINEE = int(os.environ.get("SESSION_IDLE_MINUTES_TRAINEE", "120"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # each process keeps the footer's support contacts this long (a change made in another process shows
    # after at most this; in the process that made it at once)
    SUPPORT_CONTACTS_CACHE_SECONDS = float(os.environ.get("SUPPORT_CONTACTS_CACHE_SECONDS", "60"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # behind N reverse proxies, trust N X-Forwarded-* hops (the login limit counts real addresses)
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))
    # logs: "json" (one JSON object a line, for a log collector) or "text" (readable, the default)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    # /metrics answers these networks (comma-separated CIDR), or a request with "Authorization: Bearer <token>"
    METRICS_ALLOWED_NETWORKS = tuple(n.strip() for n in os.environ.get(
        "METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",") if n.strip())
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    RATELIMIT_HEADERS_ENABLED = False
    # Redis down: the limits count per process (in memory) until it answers again, rather than failing
    # every login (app/infra/throttle.py; the lock after repeated wrong passwords is in the database)
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 10 minutes")
    # whoever guesses a password is slowed per (user name, address): each tier used up refuses for longer
    LOGIN_BACKOFF = os.environ.get("LOGIN_BACKOFF", "3 per minute; 6 per 15 minutes; 10 per hour; 20 per day")
    # a picture to answer after this many wrong passwords from one address, or for the name from all addresses
    LOGIN_CAPTCHA_AFTER = int(os.environ.get("LOGIN_CAPTCHA_AFTER", 2))
    LOGIN_CAPTCHA_AFTER_ACCOUNT = int(os.environ.get("LOGIN_CAPTCHA_AFTER_ACCOUNT", 5))
    LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", 24 * 3600))
    # the last resort: every this many failures in a row, the account is locked for LOGIN_LOCK_MINUTES
    # (trainees unlock it by SMS code, staff call technical support)
    LOGIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 20))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))
    # staff sign in with an SMS code to their mobile too (production must set it: STAFF_TWO_FACTOR=1);
    # a browser can be remembered for this many days (0: never)
    STAFF_TWO_FACTOR = os.environ.get("STAFF_TWO_FACTOR", "0") == "1"
    STAFF_TWO_FACTOR_REMEMBER_DAYS = int(os.environ.get("STAFF_TWO_FACTOR_REMEMBER_DAYS", 30))

    # reads of personal information are kept this many days (MLPS asks at least 6 months: 180 is the floor)
    ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", "365"))

    FLASK_ADMIN_SWATCH = "default"
    ADMIN_PAGE_SIZE = 20

    # Strict-Transport-Security on HTTPS responses (app/security_headers.py); 0 turns it off
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    HSTS_INCLUDE_SUBDOMAINS = os.environ.get("HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
    # uploaded PDFs are shown to reviewers as page images (app/infra/pdf_preview.py)
    PDF_PREVIEW_PAGES = int(os.environ.get("PDF_PREVIEW_PAGES", "3"))
    PDF_PREVIEW_MAX_SIDE = int(os.environ.get("PDF_PREVIEW_MAX_SIDE", "1600"))
    PDF_PREVIEW_TIMEOUT = float(os.environ.get("PDF_PREVIEW_TIMEOUT", "10"))


class ProductionConfig(Config):
    """``APP_ENV=production``: safe defaults; the app refuses to start while a setting is unsafe
    (the development SECRET_KEY, an insecure session cookie, per-process rate-limit storage)."""

    APP_ENV = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    # shared by every worker process, e.g. redis://127.0.0.1:6379/0; memory:// is refused
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # staff give an SMS code besides the password (STAFF_TWO_FACTOR=0 turns it off, and check-deploy says so)
    STAFF_TWO_FACTOR = os.environ.get("STAFF_TWO_FACTOR", "1") == "1"


class TestConfig(Config):
    """Settings for the test suite; ``TEST_DATABASE_URL`` selects PostgreSQL."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL"), "sqlite://")
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    SMS_ANSWER_MIN_SECONDS = 0.0
    STAFF_TWO_FACTOR = False
    # a task runs at once, in the caller (the outbox's hint sends after commit); tests of the worker
    # build their own queue on a file
    HUEY_URL = "immediate"
