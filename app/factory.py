"""The application factory: configuration, extensions, blueprints, admin and commands. ``models`` is imported for its tables."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, redirect, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

import models  # noqa: F401  (every table registers on the metadata)
from app.cli import register_commands
from app.config import Config
from app.domain import support_contacts
from app.domain.workflow.table import action_label
from app.errors import register_error_handlers
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.i18n import register_template_helpers, select_locale, select_timezone
from app.infra import access_log, audit, notify
from models import Account
from views.admin import init_admin
from views.auth import bp as auth_bp
from views.files import bp as files_bp
from views.portal import bp as portal_bp


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, admin and commands."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if app.config.get("PROXY_COUNT"):
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)  # the console SMS sender's messages show in the server log
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    configure_extensions(app)
    configure_blueprints(app)
    configure_admin(app)
    configure_errors(app)

    register_commands(app)
    return app


def configure_extensions(app: Flask) -> None:

    db.init_app(app)
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
    notify.init_app(app)  # notification SMS are sent after commit


    @login_manager.user_loader
    def load_user(user_id: str):
        if not user_id.isdigit():
            return None
        return db.session.get(Account, int(user_id))

    register_template_helpers(app)
    app.add_template_filter(action_label, "action_label")
    support_contacts.init_app(app)  # the footer of the layout and the error pages


def configure_blueprints(app: Flask) -> None:

    app.register_blueprint(auth_bp)
    app.register_blueprint(files_bp)
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
