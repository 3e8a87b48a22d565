"""新用户注册 in four steps and the forgotten-password reset, both verified by SMS code; the reset link
technical support sends.

Neither page tells an anonymous visitor whether an ID number or a mobile number is registered: a
clash is reported only after the SMS code has proved the phone."""
from __future__ import annotations

import time

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app.domain.passwords import ResetLinkError, check_reset_link, set_new_password, use_reset_link
from app.extensions import db, limiter
from app.infra.sms import SmsCodeError, SmsError, issue_code, seconds_until_resend, verify_code
from app.validators import PASSWORD_SPECIALS, id_number_birth_date, id_number_gender
from models import Account, AccountBusiness, Role, Trainee
from models.clock import now
from models.enums import Business
from models.sms import SmsPurpose
from views.portal.blueprint import bp
from views.portal.forms import AccountStepForm, BusinessStepForm, ForgotForm, IdentityStepForm, ResetLinkForm

STEPS = ("identity", "account", "business", "done")


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def _answer_no_sooner(started: float) -> None:
    """Pad an answer that may have sent a text message to ``SMS_ANSWER_MIN_SECONDS``: how long the
    provider took must not tell whether a number is registered."""
    floor = float(current_app.config.get("SMS_ANSWER_MIN_SECONDS") or 0)
    left = floor - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


def _send_code(phone: str, purpose: str, sent_message: str, deliver: bool = True) -> int:
    """Send a code (or, with ``deliver=False``, only count a request that sends nothing); on refusal
    put the reason on the page. Returns the seconds until resend."""
    started = time.monotonic()
    try:
        issue_code(phone, purpose, _client_address(), deliver=deliver)
        flash(sent_message, "info")
    except SmsError as error:
        db.session.rollback()
        flash(str(error), "error")
    wait = seconds_until_resend(phone, purpose)
    _answer_no_sooner(started)
    return wait


def _check_code(form, phone: str, purpose: str) -> bool:
    if not form.code.data:
        form.code.errors.append(_("Please enter the SMS code."))
        return False
    try:
        verify_code(phone, purpose, form.code.data.strip())
        db.session.commit()
        return True
    except SmsCodeError as error:
        db.session.commit()  # wrong attempts are counted
        form.code.errors.append(str(error))
        return False


def _identity_taken(form) -> bool:
    """Report clashes, without saying whose account it is. Called only once the SMS code has proved
    the phone: before that, the page says the same whether or not a number is registered."""
    taken = False
    if db.session.scalar(select(Trainee.id).where(Trainee.id_number == form.id_number.data)):
        form.id_number.errors.append(_(
            "This ID number is already registered. If the account is yours, use “forgot password” to set a new "
            "password; if you no longer use the mobile number of that account, contact technical support."))
        taken = True
    phone = form.mobile.data
    if db.session.scalar(select(Account.id).where(Account.phone == phone)) or \
            db.session.scalar(select(Trainee.id).where(Trainee.mobile == phone)):
        form.mobile.errors.append(_(
            "This mobile number is already registered. If the account is yours, use “forgot password” to set a "
            "new password; otherwise contact technical support."))
        taken = True
    return taken


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("60 per 10 minutes", methods=["POST"])
def register():
    """One page that shows the current step; progress is kept in the session."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.index"))
    state = session.get("registration") or {"step": "identity"}
    step = state.get("step", "identity")
    wait = 0
    clash = False
    if step == "identity":
        form = IdentityStepForm(data={k: state.get(k) for k in ("name", "id_number", "mobile")}
                                if request.method == "GET" else None)
        if request.method == "POST" and form.validate_on_submit():
            # nothing is looked up before the code proves the phone: the answer is the same for all
            if request.form.get("action") == "send_code":
                wait = _send_code(form.mobile.data, SmsPurpose.REGISTER, _(
                    "A verification code has been sent to %(phone)s.", phone=_masked_phone(form.mobile.data)))
            elif _check_code(form, form.mobile.data, SmsPurpose.REGISTER):
                if not _identity_taken(form):
                    session["registration"] = {"step": "account", "name": form.name.data.strip(),
                                               "id_number": form.id_number.data, "mobile": form.mobile.data}
                    return redirect(url_for("portal.register"))
                clash = True
        if form.mobile.data and not form.mobile.errors:
            wait = wait or seconds_until_resend(form.mobile.data, SmsPurpose.REGISTER)
    elif step == "account":
        form = AccountStepForm()
        if form.validate_on_submit():
            if db.session.scalar(select(Account.id).where(func.lower(Account.username) == form.username.data.lower())):
                form.username.errors.append(_("This username is taken; please choose another."))
            else:
                state.update(step="business", username=form.username.data,
                             password_hash=generate_password_hash(form.password.data))
                session["registration"] = state
                return redirect(url_for("portal.register"))
    elif step == "business":
        form = BusinessStepForm()
        if form.validate_on_submit():
            if _create_account(state, form.businesses.data):
                session["registration"] = {"step": "done", "username": state["username"]}
                return redirect(url_for("portal.register"))
            session["registration"] = {"step": "identity", "name": state["name"]}
            flash(_("The ID number, mobile or username was registered by someone else meanwhile. "
                    "Please check and try again."), "error")
            return redirect(url_for("portal.register"))
    else:
        form = None
    return render_template("portal/register.html", step=step, steps=STEPS, form=form, wait=wait, state=state,
                           specials=PASSWORD_SPECIALS, businesses=Business.items, clash=clash)


def _create_account(state: dict, businesses: list[str]) -> bool:
    number = state["id_number"]
    moment = now()
    account = Account(username=state["username"], password_hash=state["password_hash"], display_name=state["name"],
                      phone=state["mobile"], phone_verified_at=moment, role=Role.TRAINEE)
    account.business_rows = [AccountBusiness(business=b) for b in dict.fromkeys(businesses)]
    trainee = Trainee(account=account, name=state["name"], id_number=number, mobile=state["mobile"],
                      id_type="resident", gender=id_number_gender(number), birth_date=id_number_birth_date(number))
    db.session.add_all([account, trainee])
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


@bp.route("/register/cancel", methods=["POST"])
def register_cancel():
    session.pop("registration", None)
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("60 per 10 minutes", methods=["POST"])
def forgot():
    """Reset a forgotten password with a code sent to the registered mobile.

    A number that is not registered gets the same page, message, countdown and limits; it is only
    not texted (``issue_code(deliver=False)`` stores a code nothing can match)."""
    form = ForgotForm()
    wait = 0
    if form.validate_on_submit():
        phone = form.mobile.data
        account = db.session.scalar(select(Account).where(Account.phone == phone))
        if request.form.get("action") == "send_code":
            wait = _send_code(phone, SmsPurpose.RESET_PASSWORD, _(
                "If this mobile number is registered, a verification code has been sent to %(phone)s.",
                phone=_masked_phone(phone)), deliver=account is not None)
        else:
            if not form.password.data:
                form.password.errors.append(_("Please enter the new password."))
            elif _check_code(form, phone, SmsPurpose.RESET_PASSWORD):
                if account is None:  # registered and deleted meanwhile
                    form.code.errors.append(_("The code is wrong or has expired."))
                else:
                    set_new_password(account, form.password.data)
                    db.session.commit()
                    flash(_("Your password has been changed. Please log in with the new password."), "success")
                    return redirect(url_for("auth.login"))
        if not form.mobile.errors:
            wait = wait or seconds_until_resend(phone, SmsPurpose.RESET_PASSWORD)
    return render_template("portal/forgot.html", form=form, wait=wait, specials=PASSWORD_SPECIALS)


def _link_refused(error: ResetLinkError):
    status = 404 if error.kind == "invalid" else 410
    return _private(render_template("portal/reset.html", form=None, refused=str(error)), status)


def _private(html: str, status: int = 200):
    """The reset page's URL carries the token: it is never cached nor sent on as a referrer."""
    response = make_response(html, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("30 per 10 minutes", methods=["POST"])
def reset_with_link(token: str):
    """Set a new password with the one-time link technical support sent by SMS."""
    try:
        reset = check_reset_link(token)
    except ResetLinkError as error:
        return _link_refused(error)
    form = ResetLinkForm()
    if form.validate_on_submit():
        try:
            use_reset_link(token, form.password.data)
        except ResetLinkError as error:
            db.session.rollback()
            return _link_refused(error)
        db.session.commit()
        flash(_("Your password has been changed. Please log in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return _private(render_template("portal/reset.html", form=form, refused=None, username=reset.account.username,
                                    specials=PASSWORD_SPECIALS))
