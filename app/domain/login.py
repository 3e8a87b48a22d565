"""What signing in decides: the failure count and the account lock, unlocking by SMS code, the second
factor for staff and the remembered device.

* ``count_failure`` adds one to ``Account.failed_logins`` in a single ``UPDATE … RETURNING`` (atomic on
  PostgreSQL and SQLite: simultaneous wrong passwords are each counted) and locks the account for
  ``LOGIN_LOCK_MINUTES`` each time the count reaches a multiple of ``LOGIN_MAX_FAILURES_PER_ACCOUNT``.
  Whoever guesses is slowed before that by ``app.infra.throttle`` (per name and address, and a
  picture), so the lock is the last resort; trainees lift it with a code sent to their verified mobile
  (``unlock_with_code``), staff ask technical support. Staff who sign in with an SMS code too are never
  locked by failures: their password alone opens nothing.
* Staff sign in with an SMS code to ``Account.phone`` when ``STAFF_TWO_FACTOR`` is on, unless the
  browser holds a remembered-device token for the account: signed, for ``STAFF_TWO_FACTOR_REMEMBER_DAYS``,
  and bound to the password hash, so changing the password forgets every remembered device.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import case, func, select, update

from app.extensions import db
from app.infra import throttle
from app.infra.sms import SmsCodeError, issue_code, verify_code
from models import Account, Role, Trainee
from models.clock import now
from models.sms import SmsPurpose

DEVICE_SALT = "remembered-device"


class LoginError(Exception):
    """A sign-in step that cannot go on; the message is for the user."""


ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
MOBILE_RE = re.compile(r"^1\d{10}$")


def find_account(username: str) -> Account | None:
    """The account a login names: by its username, a trainee's ID number or a mobile number.

    An identifier that names more than one account (an ID number or mobile shared by two accounts, or
    one that is also another account's username) finds none: the login then fails as a wrong password
    does, with no hint of which accounts exist."""
    name = (username or "").strip()
    if not name or any(ord(char) < 32 for char in name):  # no user name holds control characters (NUL:
        return None                                       # PostgreSQL refuses it even in a query)
    found = set(db.session.scalars(select(Account.id).where(func.lower(Account.username) == name.lower())))
    if ID_NUMBER_RE.match(name):
        found |= set(db.session.scalars(select(Trainee.account_id).where(
            Trainee.id_number == name.upper(), Trainee.account_id.is_not(None))))
    if MOBILE_RE.match(name):
        found |= set(db.session.scalars(select(Account.id).where(Account.phone == name)))
        found |= set(db.session.scalars(select(Trainee.account_id).where(
            Trainee.mobile == name, Trainee.account_id.is_not(None))))
    return db.session.get(Account, found.pop()) if len(found) == 1 else None


# --- failures and the lock ------------------------------------------------------------------------

def lock_applies(account: Account) -> bool:
    """Whether failures lock the account. Not staff who sign in with an SMS code as well: a password
    alone opens nothing there, so no guesser anywhere may keep them out."""
    return not two_factor_required(account)


def count_failure(account: Account) -> tuple[int, datetime | None]:
    """Count one wrong password, atomically; returns ``(failed_logins, locked_until)`` after it. Commits."""
    every = max(1, int(current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]))
    until = now() + timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))
    counted = Account.failed_logins + 1
    values = {"failed_logins": counted}
    if lock_applies(account):
        values["locked_until"] = case((counted % every == 0, until), else_=Account.locked_until)
    row = db.session.execute(
        update(Account).where(Account.id == account.id)
        .values(values)
        .returning(Account.failed_logins, Account.locked_until)
        .execution_options(synchronize_session=False)).one()
    db.session.commit()
    return row.failed_logins, row.locked_until


def lock_minutes(until: datetime, moment: datetime | None = None) -> int:
    return max(1, int((until - (moment or now())).total_seconds() // 60) + 1)


def clear_failures(account: Account) -> None:
    """The right password (or an unlock): the count and the lock are cleared. The caller commits."""
    if account.failed_logins or account.locked_until is not None:
        account.failed_logins = 0
        account.locked_until = None


def can_unlock_by_sms(account: Account | None, phone: str) -> bool:
    """A trainee's own locked account, and the verified mobile it registered with."""
    return (account is not None and account.role == Role.TRAINEE and account.is_locked()
            and bool(account.phone) and account.phone_verified_at is not None and account.phone == phone)


def send_unlock_code(account: Account | None, phone: str, address: str | None) -> bool:
    """Text an unlock code when ``can_unlock_by_sms``; returns whether one was sent (never said to the
    visitor, who is told the same either way). Raises ``SmsError`` subclasses from ``issue_code``."""
    if not can_unlock_by_sms(account, phone):
        return False
    issue_code(phone, SmsPurpose.UNLOCK, address)
    return True


def unlock_with_code(account: Account | None, phone: str, code: str) -> None:
    """Lift the lock of a trainee's account with the code sent to its mobile. Commits.

    Raises ``LoginError`` with one message whatever went wrong (no account, wrong phone, wrong code)."""
    wrong = LoginError(_("The code is wrong or has expired."))
    if not can_unlock_by_sms(account, phone):
        raise wrong
    try:
        verify_code(phone, SmsPurpose.UNLOCK, code)
    except SmsCodeError:
        db.session.commit()  # the wrong attempt is counted
        raise wrong from None
    clear_failures(account)
    db.session.commit()
    throttle.forget_name(account.username)


# --- the second factor ----------------------------------------------------------------------------

def two_factor_required(account: Account) -> bool:
    return bool(current_app.config.get("STAFF_TWO_FACTOR")) and account.is_staff


def password_fingerprint(account: Account) -> str:
    """A keyed digest of the password hash: it changes whenever the password does."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{account.id}\x1f{account.password_hash}".encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def remember_days() -> int:
    return max(0, int(current_app.config["STAFF_TWO_FACTOR_REMEMBER_DAYS"]))


def device_token(account: Account) -> str:
    return _serializer().dumps({"a": account.id, "p": password_fingerprint(account)})


def device_remembered(account: Account, token: str | None) -> bool:
    """Whether ``token`` remembers this browser for ``account``, with the current password, still in time."""
    if not token or len(token) > 1000 or not remember_days():
        return False
    try:
        data = _serializer().loads(token, max_age=remember_days() * 86400)
    except BadSignature:
        return False
    return (isinstance(data, dict) and data.get("a") == account.id
            and hmac.compare_digest(str(data.get("p", "")), password_fingerprint(account)))


def send_login_code(account: Account, address: str | None) -> None:
    """Text the login code to the staff member's mobile (``SmsError`` when refused or not sent)."""
    if not account.phone:
        raise LoginError(missing_phone_message())
    issue_code(account.phone, SmsPurpose.LOGIN, address)


def missing_phone_message() -> str:
    return _("Sign-in needs a code sent to your mobile, but this account has no mobile number on record. "
             "Please ask the system administrator to enter it.")


def check_login_code(account: Account, code: str) -> None:
    """Accept the login code (``SmsCodeError`` otherwise; wrong attempts are committed). The caller commits."""
    try:
        verify_code(account.phone or "", SmsPurpose.LOGIN, code)
    except SmsCodeError:
        db.session.commit()
        raise
    if account.phone_verified_at is None:
        account.phone_verified_at = now()  # the code reached it: the number is proven


# --- the password ---------------------------------------------------------------------------------

def change_password(account: Account, new_password: str) -> None:
    """Set the holder's own password; the administrator's one-time password is no longer required to be
    replaced. Remembered devices are forgotten with the old hash. The caller commits."""
    account.set_password(new_password)
    account.must_change_password = False
    clear_failures(account)
