"""Login sessions, checked against the server on every request.

At login the session gets a *stamp*: an HMAC (keyed with SECRET_KEY) of the account's id, its
``session_epoch`` and every field whose change must end its sessions — the password hash, role,
region, base, enabled flag and lock (``models.account.SESSION_ENDING_FIELDS``). Flask-Login's user
loader (``load_session_account``) recomputes the stamp from the database on every request; any
difference ends the session. Besides, every ORM update of one of those fields bumps
``session_epoch`` in the same UPDATE (``models/account.py``), so a change that is undone later
(locked, then unlocked) still leaves the old sessions ended; the stamp alone covers changes made
outside the ORM (a bulk UPDATE, SQL by hand). So a password change or reset, a lock or unlock, a
disable, or a change of role or scope ends every session of the account at once, wherever the change
is made (a view, support, the account admin, a command), and no caller has to remember anything.
What changes no field — logout, "sign out everywhere" — calls ``end_sessions``, which bumps the epoch.

The session also records when it started and when it was last used: it ends after
``SESSION_IDLE_MINUTES_STAFF`` / ``SESSION_IDLE_MINUTES_TRAINEE`` of inactivity and
``SESSION_MAX_HOURS`` after login, whatever the activity. Times come from ``models.clock.now``.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app, flash, g, session
from flask_babel import gettext as _
from flask_login import login_user

from sqlalchemy import bindparam, select

from app.extensions import db
from models import Account, Trainee
from models.clock import now

STAMP = "auth_stamp"
LOGIN_AT = "auth_login_at"
SEEN_AT = "auth_seen_at"
CSRF_KEY = "csrf_token"  # Flask-WTF's session and ``g`` key (WTF_CSRF_FIELD_NAME)
TRAINEE_KEY = "session_trainee"  # ``g``: (account id, Trainee) read with the account (``signed_in_trainee``)
# the account and its trainee profile in one statement (every portal page asks for the profile), built once
ACCOUNT_AND_PROFILE = (select(Account, Trainee).outerjoin(Trainee, Trainee.account_id == Account.id)
                       .where(Account.id == bindparam("id")))
# the session's "last seen" is written again once it is this old: a cookie signed and sent on every response
# cost a tenth of a small page; the idle limit may end a session up to this much early
SEEN_REFRESH = timedelta(seconds=60)
MAX_ID_DIGITS = 18  # a forged id past 64 bits is no account, not a database error


def session_stamp(account: Account) -> str:
    """The HMAC of the account's session epoch and of the fields that end its sessions when changed."""
    parts = (account.id, account.session_epoch, account.password_hash, account.role, account.region_id,
             account.base_id, bool(account.is_active_account),
             account.locked_until.isoformat() if account.locked_until else "")
    key = current_app.secret_key
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, "|".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()


def end_sessions(account: Account) -> None:
    """End every existing session of ``account`` (on every device) at once. The caller commits."""
    account.session_epoch = Account.session_epoch + 1  # in SQL: two at once both count
    db.session.flush()


def start_session(account: Account) -> None:
    """Log ``account`` in on a fresh session: nothing a visitor (or an attacker) put in the session
    before login survives it, and the CSRF token is a new one (``stamp_session`` runs on login)."""
    session.clear()
    g.pop(CSRF_KEY, None)
    login_user(account)


def stamp_session(account: Account) -> None:
    """Record the stamp and the login time; give the session a new CSRF token. Connected to
    Flask-Login's ``user_logged_in``, so every ``login_user`` call gets it."""
    moment = _format(now())
    session[STAMP] = session_stamp(account)
    session[LOGIN_AT] = session[SEEN_AT] = moment
    session.pop(CSRF_KEY, None)
    g.pop(CSRF_KEY, None)


def forget_session() -> None:
    """Drop the login from this browser's session (logout's own part; ``end_sessions`` does the rest)."""
    session.clear()
    g.pop(CSRF_KEY, None)


def idle_limit(account: Account) -> timedelta:
    config = current_app.config
    minutes = config["SESSION_IDLE_MINUTES_STAFF"] if account.is_staff else config["SESSION_IDLE_MINUTES_TRAINEE"]
    return timedelta(minutes=minutes)


def load_session_account(user_id: str) -> Account | None:
    """Flask-Login's user loader: the session's account if the session is still valid, else ``None``
    (the session is cleared and the visitor told why on the login page)."""
    if not isinstance(user_id, str) or not (user_id.isascii() and user_id.isdigit()) or len(user_id) > MAX_ID_DIGITS:
        return _invalid()
    row = db.session.execute(ACCOUNT_AND_PROFILE, {"id": int(user_id)}).first()
    account, trainee = row if row is not None else (None, None)
    if account is None or not account.is_active:
        return _invalid()
    stamp = session.get(STAMP)
    if not isinstance(stamp, str) or not hmac.compare_digest(stamp.encode(), session_stamp(account).encode()):
        return _invalid(_("You have been signed out: you logged out elsewhere, or your password or "
                          "permissions changed. Please log in again."))
    moment = now()
    login_at, seen_at = _parse(session.get(LOGIN_AT)), _parse(session.get(SEEN_AT))
    if login_at is None or seen_at is None:
        return _invalid()
    if (moment - seen_at > idle_limit(account)
            or moment - login_at > timedelta(hours=current_app.config["SESSION_MAX_HOURS"])):
        return _invalid(_("Your session has timed out. Please log in again."))
    if moment - seen_at >= SEEN_REFRESH or moment < seen_at:
        session[SEEN_AT] = _format(moment)  # else the cookie is not signed and sent again on this response
    if trainee is not None:
        setattr(g, TRAINEE_KEY, (account.id, trainee))
    return account


def signed_in_trainee(account_id) -> Trainee | None:
    """The trainee profile read with the signed-in account ``account_id`` in this request, if any
    (``None``: not read; the caller queries)."""
    found = g.get(TRAINEE_KEY)
    return found[1] if found is not None and found[0] == account_id else None


def _invalid(message: str | None = None) -> None:
    session.clear()
    g.pop(CSRF_KEY, None)
    g.pop(TRAINEE_KEY, None)
    if message:
        flash(message, "warning")


def _format(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _parse(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
