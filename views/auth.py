"""Login and logout for every role, with per-address and per-account limits on failures."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.domain.sessions import end_sessions, forget_session, start_session
from app.extensions import db, limiter
from models import Account
from models.clock import now

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Please enter your username.")),
                                                      Length(max=20, message=_l("At most 20 characters."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                                        Length(max=128, message=_l("At most 128 characters."))])


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(ch) < 32 for ch in target)):
        return None
    return target


_DUMMY_HASH = generate_password_hash("not-a-password")


def _locked_message(account: Account, moment) -> str:
    minutes = max(1, int((account.locked_until - moment).total_seconds() // 60) + 1)
    return _("Too many failed attempts: this account is locked. Try again in %(minutes)s minutes "
             "or call technical support to unlock it.", minutes=minutes)


def home_for(account: Account) -> str:
    return url_for("admin.index") if account.is_staff else url_for("portal.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Check the password; lock the account for a while after too many failures."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        account = db.session.scalar(select(Account).where(func.lower(Account.username) == username.lower()))
        moment = now()
        if account is not None and account.is_locked(moment):
            form.password.errors.append(_locked_message(account, moment))
        elif account is None or not account.check_password(form.password.data):
            if account is None:
                check_password_hash(_DUMMY_HASH, form.password.data)  # same cost: no hint a name exists
                form.password.errors.append(_("Wrong username or password."))
            else:
                account.failed_logins += 1
                if account.failed_logins >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
                    account.locked_until = moment + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
                    account.failed_logins = 0
                    form.password.errors.append(_locked_message(account, moment))
                else:
                    form.password.errors.append(_("Wrong username or password."))
                db.session.commit()
        elif not account.is_active:
            form.username.errors.append(_("This account has been disabled. Please call technical support."))
        else:
            account.failed_logins = 0
            account.locked_until = None
            account.last_login_at = moment
            db.session.commit()
            start_session(account)  # a fresh session and CSRF token: nothing from before login survives
            return redirect(_safe_next(request.args.get("next")) or home_for(account))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session and every other session of the account (a copied cookie no longer works)."""
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    forget_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
