"""Error pages in Chinese, including expired CSRF tokens and rate limits."""
from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.infra.filestore import StoreUnavailable

UNSENT = "unsent_form"
UNSENT_FIELDS = ("reason",)  # free text a reviewer would hate to type again


def keep_unsent_text(page: str) -> None:
    """Remember the free text of a refused post, for the page it came from to show again."""
    from flask import session
    kept = {name: request.form.get(name, "")[:500] for name in UNSENT_FIELDS if request.form.get(name)}
    if kept:
        session[UNSENT] = {"page": page, **kept}


def unsent_text(name: str) -> str:
    """The text of ``name`` posted from this page before its token expired (once), else ""."""
    from flask import session
    kept = session.get(UNSENT)
    if not kept or kept.get("page") != request.url:
        return ""
    session.pop(UNSENT, None)
    return kept.get(name, "")


def _safe_back() -> str | None:
    referrer = request.referrer
    if referrer and referrer.startswith(request.host_url):
        return referrer
    return None


def error_page(code: int, message: str):
    """The error page; it renders even when the database is down (then as to a visitor, without the
    support contacts, which say so themselves)."""
    try:
        current_user.is_authenticated  # noqa: B018  (the layout asks; loading the user reads the database)
    except SQLAlchemyError:
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        current_app.login_manager._update_request_context_with_user()  # anonymous for this response only
    return render_template("error.html", code=code, message=message), code


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("The page has expired or the form was not sent from this site. "
                    "Nothing was saved; please try again.")
        back = _safe_back()
        if back and request.method == "POST" and not request.is_json:
            flash(message, "error")
            keep_unsent_text(back)
            return redirect(back)
        return error_page(400, message)

    @app.errorhandler(StoreUnavailable)
    def file_store_down(error):
        current_app.logger.warning("file store unavailable: %s", error)
        return error_page(503, _("File storage is temporarily unavailable. Please try again in a few "
                                 "minutes."))

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, _("Too many attempts. Please wait a few minutes and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have permission to open this page."),
            404: _("The page or record does not exist."),
            405: _("This operation is not allowed here."),
            413: _("The uploaded file is too large."),
        }
        code = error.code or 500
        return error_page(code, messages.get(code, _("The request could not be completed.")))

    @app.errorhandler(Exception)
    def server_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        if isinstance(error, DataError):
            # input the database cannot hold that no form caught (a NUL, a number past its column):
            # the user's input, not a fault of the platform
            app.logger.warning("Refused input the database cannot store: %s", error.orig)
            try:
                db.session.rollback()
            except SQLAlchemyError:
                pass
            return error_page(400, _("The input contains characters or numbers that cannot be stored (for example "
                                     "a NUL character or a very large number). Nothing was saved; please correct "
                                     "it and try again."))
        app.logger.exception("Unhandled error")
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the database is down: the page is still shown
            pass
        return error_page(500, _("A system error occurred. Nothing was saved; "
                                 "please try again later or call technical support."))
