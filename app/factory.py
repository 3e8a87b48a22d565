"""The application factory: configuration, extensions, blueprints, admin and commands. ``models`` is imported for its tables."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, redirect, url_for
from flask_login import current_user, user_logged_in
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import models  # noqa: F401  (every table registers on the metadata)
from models.base import MAX_INT
from app.cli import register_commands
from app.config import Config, environment_config
from app.deploy import refuse_unsafe_production
from app.domain import sessions, support_contacts
from app.domain.admission import notices as admission_notices  # noqa: F401 - declares the expiry sweep
from app.domain.workflow.table import action_label
from app.errors import register_error_handlers
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import prefer_platform_wording, register_template_helpers, select_locale, select_timezone
from app.infra import access_log, audit, counts, database, jobs, notify, observability, pdf_preview, queue, storage  # noqa: F401 - jobs declares its tasks
from app.infra.health import platform_gauges
from app.security_headers import init_app as init_security_headers
from views.admin import init_admin
from views.auth import bp as auth_bp
from views.files import bp as files_bp
from views.notices import bp as notices_bp
from views.health import bp as health_bp
from views.portal import bp as portal_bp


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: at most ``MAX_INT`` (2**31 - 1), the largest id an INTEGER column
    holds on PostgreSQL; a larger number does not match the route (404) instead of failing the query."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, admin and commands.

    Without ``config``, ``APP_ENV`` chooses the configuration (``production``: ``ProductionConfig``).
    In production mode the app refuses to start with an unsafe setting (``app.deploy``)."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.from_object(environment_config() if config is None else Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if app.config.get("PROXY_COUNT"):
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    observability.init_app(app, gauges=platform_gauges)  # request ids, logs, metrics
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)  # the console SMS sender's messages show in the server log
    refuse_unsafe_production(app.config, app.logger)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if (app.config.get("STORAGE_BACKEND") or "local").lower() == "local":
        Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    configure_extensions(app)
    configure_blueprints(app)
    configure_admin(app)
    configure_errors(app)

    register_commands(app)
    return app


def configure_extensions(app: Flask) -> None:

    db.init_app(app)
    with app.app_context():
        database.ping_when_idle(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
        database.parallel_workers(db.engine, app.config["DATABASE_PARALLEL_WORKERS"])
    database.end_read_only_transactions(app, db, keep_open=storage.SESSION_FILE_KEYS)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    audit.init_app(app)
    access_log.init_app(app)  # refuses a retention period below 180 days
    queue.init_app(app)  # the task queue (Huey), storage chosen by HUEY_URL; `flask worker` runs it
    notify.init_app(app)  # notifications: an outbox row in the change's transaction, a worker sends it


    # every request checks the session against the account (logout, password, lock, role, scope, timeouts)
    login_manager.user_loader(sessions.load_session_account)
    user_logged_in.connect(lambda _app, user, **_extra: sessions.stamp_session(user), app, weak=False)

    register_template_helpers(app)
    prefer_platform_wording(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    init_security_headers(app)  # CSP, nosniff, Referrer-, Permissions-Policy, HSTS on every response
    app.add_template_global(pdf_preview.preview, "pdf_preview")
    app.add_template_filter(action_label, "action_label")
    support_contacts.init_app(app)  # the footer of the layout and the error pages


def configure_blueprints(app: Flask) -> None:

    app.register_blueprint(auth_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(portal_bp)

    @app.route("/")
    def home():
        if current_user.is_authenticated and current_user.is_staff:
            return redirect(url_for("admin.index"))
        return redirect(url_for("portal.index"))


def configure_admin(app: Flask) -> None:
    init_admin(app)


def configure_errors(app: Flask) -> None:
    register_error_handlers(app)
