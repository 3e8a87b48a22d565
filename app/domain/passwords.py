"""Setting a password, and the one-time reset links technical support sends by SMS.

``set_new_password`` is the one place where an existing account's password changes after a reset
(the forgotten-password code, a support reset link): it clears the lock and voids the account's
outstanding reset links. Whatever must happen on every password reset belongs there.

A reset link carries a random token (``secrets.token_urlsafe``); only its SHA-256 is stored, the
SMS log keeps the message with the token masked, and the link works once, for
``PASSWORD_RESET_LINK_MINUTES`` (30 by default). No password is ever generated or sent.
The caller commits.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.infra.audit import set_actor
from app.infra.sms import send_sms
from models import Account, PasswordReset, SmsLog
from models.clock import now
from models.sms import SmsPurpose

TOKEN_BYTES = 32
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) gives


class ResetLinkError(Exception):
    """A reset link that cannot be used; the message is for the user, ``kind`` is ``"invalid"``
    (no such link), ``"used"`` or ``"expired"``."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def _invalid() -> ResetLinkError:
    return ResetLinkError(_("This password reset link is not valid. Please check that the whole link was opened, "
                            "or ask technical support for a new one."), "invalid")


def _used() -> ResetLinkError:
    return ResetLinkError(_("This password reset link has already been used. If you still cannot log in, use "
                            "“forgot password” or ask technical support for a new link."), "used")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_minutes() -> int:
    return max(1, int(current_app.config.get("PASSWORD_RESET_LINK_MINUTES", 30)))


def _void_links(account_id: int, moment) -> None:
    """Outstanding links of the account stop working now (they read as expired)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == account_id, PasswordReset.used_at.is_(None),
               PasswordReset.expires_at > moment)
        .values(expires_at=moment))


def set_new_password(account: Account, password: str) -> None:
    """Give ``account`` the new password (chosen by its owner), clear its lock and failed logins,
    and void its outstanding reset links. The one function for a password reset."""
    account.set_password(password)
    account.failed_logins = 0
    account.locked_until = None
    _void_links(account.id, now())


def issue_reset_link(account: Account, phone: str, link_for: Callable[[str], str], created_by=None) -> SmsLog:
    """Store a new reset link for ``account`` (earlier ones stop working) and text it to ``phone``.

    ``link_for(token)`` builds the absolute URL. Returns the SMS log row (masked); the caller
    rolls back if it did not go. Raises ``ValueError`` for a phone that is not a mobile number."""
    moment = now()
    minutes = link_minutes()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    _void_links(account.id, moment)
    db.session.add(PasswordReset(account_id=account.id, token_hash=token_hash(token), phone=phone,
                                 created_by_id=getattr(created_by, "id", None), created_at=moment,
                                 expires_at=moment + timedelta(minutes=minutes)))
    db.session.flush()
    text = _("[Henan Health Training Enrollment Platform] Technical support has started a password reset for "
             "your account. Open %(link)s within %(minutes)s minutes to set a new password; the link works "
             "once. If you did not ask for this, ignore this message.", link=link_for(token), minutes=minutes)
    return send_sms(phone, text, SmsPurpose.RESET_LINK, hide=(token,))


def check_reset_link(token) -> PasswordReset:
    """The link's row if it can still be used; ``ResetLinkError`` (a Chinese message) otherwise."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise _invalid()
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
                              .execution_options(populate_existing=True))
    if reset is None:
        raise _invalid()
    if reset.used_at is not None:
        raise _used()
    if reset.expires_at <= now():
        raise ResetLinkError(_("This password reset link has expired. Please use “forgot password”, or ask "
                               "technical support for a new link."), "expired")
    return reset


def use_reset_link(token, password: str) -> Account:
    """Set the password through the link, once: the link is marked used by a conditional UPDATE,
    so two submissions cannot both pass. Returns the account; the caller commits."""
    reset = check_reset_link(token)
    moment = now()
    result = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > moment)
        .values(used_at=moment))
    if result.rowcount != 1:
        raise _used()
    account = db.session.get(Account, reset.account_id)
    set_actor(account, _("New password set with the reset link from technical support"))
    set_new_password(account, password)
    db.session.flush()
    return account
