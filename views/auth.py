"""Signing in and out for every role.

A wrong password is counted atomically on the account (``app.domain.login``); whoever keeps guessing is
slowed per (user name, address) and must answer a picture after a few failures (``app.infra.throttle``),
so a guesser at one address does not keep the real user out at another. Messages are the same whether
or not the name is an account. Staff then give an SMS code when ``STAFF_TWO_FACTOR`` is on (a browser
may be remembered), and whoever holds an administrator's password must choose their own first.
"""
from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.domain import login as signin
from app.domain.notices import login_page_notices
from app.domain.sessions import end_sessions, forget_session, start_session
from app.domain.support_contacts import shown_contacts
from app.extensions import db, limiter
from app.infra import captcha, throttle
from app.infra.sms import SmsCodeError, SmsError, seconds_until_resend
from app.validators import PASSWORD_SPECIALS, Mobile, StrongPassword
from models import Account
from models.clock import now
from models.sms import SmsPurpose

bp = Blueprint("auth", __name__)

DEVICE_COOKIE = "remembered_device"
PENDING = "pending_login"
CAPTCHA = "login_captcha"
PENDING_SECONDS = 600
# pages open to someone who must still replace an administrator's password
OPEN_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.login", "static"}


class LoginForm(FlaskForm):
    username = StringField(_l("Username, ID number or mobile"), validators=[
        DataRequired(_l("Please enter your username, ID number or mobile number.")),
        Length(max=20, message=_l("At most 20 characters."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                                        Length(max=128, message=_l("At most 128 characters."))])
    captcha = StringField(_l("Result of the sum in the picture"),
                          validators=[Optional(), Length(max=6, message=_l("At most 6 characters."))])


class TwoFactorForm(FlaskForm):
    code = StringField(_l("SMS code"), validators=[Optional(), Length(max=6, message=_l("At most 6 characters."))])
    remember = BooleanField(_l("Remember this browser"))


class UnlockForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Please enter your username.")),
                                                      Length(max=20, message=_l("At most 20 characters."))])
    mobile = StringField(_l("Mobile"), validators=[DataRequired(_l("Please enter your mobile number.")), Mobile()])
    code = StringField(_l("SMS code"), validators=[Optional(), Length(max=6, message=_l("At most 6 characters."))])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Please enter your current password.")), Length(max=128, message=_l("At most 128 characters."))])
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Please enter the new password.")), StrongPassword()])
    confirm = PasswordField(_l("Confirm password"), validators=[
        DataRequired(_l("Please enter the new password again.")),
        EqualTo("password", message=_l("The two passwords differ."))])


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


def _address() -> str:
    return request.remote_addr or "unknown"


def _locked_message(minutes: int) -> str:
    contacts = "、".join(f"{name} {phone}" for name, phone in shown_contacts())
    if contacts:
        return _("Too many failed attempts: this account is locked for %(minutes)s minutes. Trainees can unlock "
                 "it now with a code sent to their mobile; staff please call technical support (%(contacts)s).",
                 minutes=minutes, contacts=contacts)
    return _("Too many failed attempts: this account is locked for %(minutes)s minutes. Trainees can unlock "
             "it now with a code sent to their mobile; staff please call technical support.", minutes=minutes)


def home_for(account: Account) -> str:
    return url_for("admin.index") if account.is_staff else url_for("portal.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if phone and len(phone) >= 7 else "****"


@bp.before_app_request
def require_own_password():
    """Someone signed in with an administrator's password opens nothing before choosing their own."""
    endpoint = request.endpoint
    if not endpoint or endpoint in OPEN_ENDPOINTS or endpoint.endswith(".static") or "_user_id" not in session:
        return None  # no page (a 404 answers as it is), an open page, or nobody signed in
    if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Check the password, then the second factor or the first change of password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    locked = False
    if form.validate_on_submit():
        result = _attempt(form)
        if result is not True and result is not None:
            return result
        locked = result is True
    username = (form.username.data or "").strip()
    show_captcha = bool(username) and throttle.captcha_needed(username, _address())
    return render_template("auth/login.html", form=form, show_captcha=show_captcha, locked=locked,
                           notices=login_page_notices())


def _attempt(form: LoginForm):
    """One posted login: a response when it goes on, ``True`` when the account is locked, else None (the
    form carries the errors)."""
    username, address = form.username.data.strip(), _address()
    if throttle.captcha_needed(username, address):
        if not form.captcha.data:
            form.captcha.errors.append(_("Please enter the result of the sum in the picture."))
            return None
        if not throttle.check_challenge(session.pop(CAPTCHA, None), form.captcha.data):
            form.captcha.errors.append(_("The result is wrong. Please answer the new picture."))
            return None
    account = signin.find_account(username)
    moment = now()
    if account is not None and account.is_locked(moment):
        form.password.errors.append(_locked_message(signin.lock_minutes(account.locked_until, moment)))
        return True
    name_locked = throttle.name_lock_seconds(username) if account is None else 0
    if name_locked:  # a name with no account answers as a locked account would
        form.password.errors.append(_locked_message(math.ceil(name_locked / 60)))
        return True
    wait = throttle.reserve(username, address)
    if wait:
        form.password.errors.append(_("Too many login attempts. Please try again in %(seconds)s seconds.",
                                      seconds=wait))
        return None
    if account is None or not account.check_password(form.password.data):
        return _failed(form, account, username, address, moment)
    if not account.is_active:
        form.username.errors.append(_("This account has been disabled. Please call technical support."))
        return None
    throttle.succeeded(username, address)
    signin.clear_failures(account)
    if signin.two_factor_required(account):
        if not account.phone:
            db.session.commit()
            form.username.errors.append(signin.missing_phone_message())
            return None
        if signin.device_remembered(account, request.cookies.get(DEVICE_COOKIE)):
            return _finish(account, request.args.get("next"))
        db.session.commit()
        session[PENDING] = {"id": account.id, "fp": signin.password_fingerprint(account),
                            "next": _safe_next(request.args.get("next")), "at": moment.timestamp()}
        _send_login_code(account)
        return redirect(url_for("auth.verify"))
    return _finish(account, request.args.get("next"))


def _failed(form: LoginForm, account: Account | None, username: str, address: str, moment):
    every = max(1, int(current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]))
    lock_seconds = int(current_app.config["LOGIN_LOCK_MINUTES"]) * 60
    name_count = throttle.record_failure(username, address)
    if account is None:
        check_password_hash(_DUMMY_HASH, form.password.data)  # same cost: no hint a name exists
        locked = name_count % every == 0
        if locked:
            throttle.lock_name(username, lock_seconds)
    else:
        _count, until = signin.count_failure(account)
        locked = until is not None and until > moment
    if locked:
        form.password.errors.append(_locked_message(math.ceil(lock_seconds / 60)))
        return True
    form.password.errors.append(_("Wrong username or password."))
    return None


def _finish(account: Account, next_url: str | None, remember: bool = False):
    """Signed in: the first change of password comes before anything else."""
    account.last_login_at = now()
    db.session.commit()
    start_session(account)  # a fresh session and CSRF token: nothing from before login survives (PENDING too)
    if account.must_change_password:
        target = url_for("auth.change_password")
    else:
        target = _safe_next(next_url) or home_for(account)
    response = redirect(target)
    days = signin.remember_days()
    if remember and days:
        response.set_cookie(DEVICE_COOKIE, signin.device_token(account), max_age=days * 86400, httponly=True,
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Lax")
    return response


def _send_login_code(account: Account) -> None:
    try:
        signin.send_login_code(account, _address())
        flash(_("A verification code has been sent to %(phone)s.", phone=_mask(account.phone)), "info")
    except (SmsError, signin.LoginError) as error:
        db.session.rollback()
        flash(str(error), "error")
    except ValueError:  # a number that is not a mainland mobile
        db.session.rollback()
        flash(signin.missing_phone_message(), "error")


def _pending_account() -> Account | None:
    """The account that gave its password in this browser in the last few minutes, unchanged since."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return None
    if not isinstance(pending.get("at"), (int, float)) or now().timestamp() - pending["at"] > PENDING_SECONDS:
        return None
    account = db.session.get(Account, pending["id"])
    if (account is None or not account.is_active or account.is_locked()
            or pending.get("fp") != signin.password_fingerprint(account)):
        return None
    return account


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def verify():
    """The second step for staff: the code sent to their mobile."""
    account = _pending_account()
    if account is None:
        session.pop(PENDING, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if request.form.get("action") == "send_code":
            _send_login_code(account)
        elif not form.code.data:
            form.code.errors.append(_("Please enter the SMS code."))
        else:
            try:
                signin.check_login_code(account, form.code.data)
            except SmsCodeError as error:
                form.code.errors.append(str(error))
            else:
                return _finish(account, session.get(PENDING, {}).get("next"), remember=bool(form.remember.data))
    wait = seconds_until_resend(account.phone, SmsPurpose.LOGIN) if account.phone else 0
    return render_template("auth/verify.html", form=form, phone=_mask(account.phone or ""), wait=wait,
                           remember_days=signin.remember_days())


@bp.route("/login/captcha.png")
@limiter.limit("60 per minute")
def captcha_image():
    """A new picture for the login form; its answer stays on the server and is good for one try."""
    challenge, question = throttle.new_challenge()
    session[CAPTCHA] = challenge
    response = make_response(captcha.render(question))
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/unlock", methods=["GET", "POST"])
@limiter.limit("60 per 10 minutes", methods=["POST"])
def unlock():
    """A trainee lifts the lock of their account with a code sent to the mobile they registered with."""
    form = UnlockForm()
    wait = 0
    if form.validate_on_submit():
        account = signin.find_account(form.username.data)
        phone = form.mobile.data
        if request.form.get("action") == "send_code":
            try:
                signin.send_unlock_code(account, phone, _address())
            except SmsError:
                db.session.rollback()  # the same answer either way: nobody learns which accounts exist
            flash(_("If the username and mobile match a locked trainee account, a code has been sent to "
                    "%(phone)s.", phone=_mask(phone)), "info")
            wait = int(current_app.config["SMS_RESEND_SECONDS"])
        elif not form.code.data:
            form.code.errors.append(_("Please enter the SMS code."))
        else:
            try:
                signin.unlock_with_code(account, phone, form.code.data)
            except signin.LoginError as error:
                form.code.errors.append(str(error))
            else:
                flash(_("Your account is unlocked. Please log in."), "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/unlock.html", form=form, wait=wait)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per 10 minutes", methods=["POST"])
def change_password():
    """Change one's own password (required first of all after an administrator set it)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        if not account.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        elif account.check_password(form.password.data):
            form.password.errors.append(_("The new password must differ from the current one."))
        else:
            signin.change_password(account, form.password.data)
            db.session.commit()  # ends every session of the account, this one too …
            start_session(account)  # … which goes on as a fresh one
            flash(_("Your password has been changed."), "success")
            return redirect(home_for(account))
    return render_template("auth/password.html", form=form, specials=PASSWORD_SPECIALS,
                           required=current_user.must_change_password)


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
