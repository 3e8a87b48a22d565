"""新用户注册 in four steps, and the forgotten-password reset, both verified by SMS code."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app.extensions import db, limiter
from app.infra.sms import SmsCodeError, SmsError, issue_code, seconds_until_resend, verify_code
from app.validators import PASSWORD_SPECIALS, id_number_birth_date, id_number_gender
from models import Account, AccountBusiness, Role, Trainee
from models.clock import now
from models.enums import Business
from models.sms import SmsPurpose
from views.portal.blueprint import bp
from views.portal.forms import AccountStepForm, BusinessStepForm, ForgotForm, IdentityStepForm

STEPS = ("identity", "account", "business", "done")


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _send_code(phone: str, purpose: str) -> int | None:
    """Send a code; on refusal put the reason on the page. Returns the seconds until resend."""
    try:
        issue_code(phone, purpose, _client_address())
        flash(_("A verification code has been sent to %(phone)s.", phone=phone[:3] + "****" + phone[-4:]), "info")
    except SmsError as error:
        db.session.rollback()
        flash(str(error), "error")
    return seconds_until_resend(phone, purpose)


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
    """Report clashes without saying whose account it is."""
    taken = False
    if db.session.scalar(select(Trainee.id).where(Trainee.id_number == form.id_number.data)):
        form.id_number.errors.append(_("This ID number is already registered. Log in, or use "
                                       "“forgot password” if you cannot."))
        taken = True
    phone = form.mobile.data
    if db.session.scalar(select(Account.id).where(Account.phone == phone)) or \
            db.session.scalar(select(Trainee.id).where(Trainee.mobile == phone)):
        form.mobile.errors.append(_("This mobile number is already registered. Log in, or use "
                                    "“forgot password” if you cannot."))
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
    if step == "identity":
        form = IdentityStepForm(data={k: state.get(k) for k in ("name", "id_number", "mobile")}
                                if request.method == "GET" else None)
        if request.method == "POST" and form.validate_on_submit() and not _identity_taken(form):
            if request.form.get("action") == "send_code":
                wait = _send_code(form.mobile.data, SmsPurpose.REGISTER)
            elif _check_code(form, form.mobile.data, SmsPurpose.REGISTER):
                session["registration"] = {"step": "account", "name": form.name.data.strip(),
                                           "id_number": form.id_number.data, "mobile": form.mobile.data}
                return redirect(url_for("portal.register"))
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
                           specials=PASSWORD_SPECIALS, businesses=Business.items)


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
    """Reset a forgotten password with a code sent to the registered mobile."""
    form = ForgotForm()
    wait = 0
    if form.validate_on_submit():
        phone = form.mobile.data
        account = db.session.scalar(select(Account).where(or_(Account.phone == phone)))
        if request.form.get("action") == "send_code":
            if account is not None:
                wait = _send_code(phone, SmsPurpose.RESET_PASSWORD)
            else:  # the same answer either way: nobody learns which numbers are registered
                flash(_("A verification code has been sent to %(phone)s.", phone=phone[:3] + "****" + phone[-4:]),
                      "info")
        else:
            if not form.password.data:
                form.password.errors.append(_("Please enter the new password."))
            elif account is None:
                form.code.errors.append(_("The code is wrong or has expired."))
            elif _check_code(form, phone, SmsPurpose.RESET_PASSWORD):
                account.set_password(form.password.data)
                account.failed_logins = 0
                account.locked_until = None
                db.session.commit()
                flash(_("Your password has been changed. Please log in with the new password."), "success")
                return redirect(url_for("auth.login"))
    return render_template("portal/forgot.html", form=form, wait=wait, specials=PASSWORD_SPECIALS)
