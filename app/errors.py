"""Error pages in Chinese, including expired CSRF tokens and rate limits."""
from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db


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
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(429)
    def too_many(error):
        return render_template("error.html", code=429,
                               message=_("Too many attempts. Please wait a few minutes and try again.")), 429

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
        return render_template("error.html", code=code,
                               message=messages.get(code, _("The request could not be completed."))), code

    @app.errorhandler(Exception)
    def server_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error")
        db.session.rollback()
        return render_template("error.html", code=500,
                               message=_("A system error occurred. Nothing was saved; "
                                         "please try again later or call technical support.")), 500
