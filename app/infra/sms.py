"""Text messages: the pluggable SMS sender, the log of every message, and verification codes.

``SMS_BACKEND`` picks the sender: ``"console"`` (the default: messages go to the app log) or the
dotted path ``"package.module:ClassName"`` of an ``SmsSender`` subclass, built once per app as
``ClassName(app.config)`` so a provider reads its own keys (``SMS_API_URL``, ``SMS_API_KEY``...).

* ``send_sms(phone, text, purpose, hide=...)`` sends and always writes an ``SmsLog`` row, even when
  the provider fails; it never raises on a provider failure and leaves the commit to the caller.
  Every string in ``hide`` (a code, a reset link) reaches the sender but is stored as ``****``.
* ``issue_code(phone, purpose, address)`` sends a 6-digit code, stored only as an HMAC, within
  the resend and per-phone / per-address limits (``SmsRateError``); it commits. With
  ``deliver=False`` it sends nothing but records an unusable code under the same limits, so a
  number nobody registered gets the same answer, countdown and limits as a registered one.
* ``verify_code(phone, purpose, code)`` accepts the latest code once (``SmsCodeError`` otherwise);
  a wrong code is counted and committed at once, a right one is marked used in the caller's
  transaction (a conditional UPDATE, so two concurrent checks cannot both pass).

Rows are written with statements rather than ``session.add``: the audit hook would otherwise copy
every message into the audit log, which more roles may read. No password is ever sent by SMS.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import math
import re
import secrets
import uuid
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from app.extensions import db
from models.clock import now
from models.sms import SmsCode, SmsLog, SmsPurpose, SmsState

CODE_DIGITS = 6
PHONE_RE = re.compile(r"1\d{10}")
CODE_RE = re.compile(r"\d{%d}" % CODE_DIGITS)
DAY = timedelta(hours=24)
HOUR = timedelta(hours=1)
MASK = "****"


# --- errors -----------------------------------------------------------------------------------

class SmsError(Exception):
    """Base of the SMS errors; ``str()`` is a message fit to show the user."""


class SmsSendError(SmsError):
    """The provider did not accept the message (raised by senders; ``issue_code`` re-raises it)."""

    def __init__(self, message: str, log: SmsLog | None = None):
        super().__init__(message)
        self.log = log


class SmsRateError(SmsError):
    """Too many codes asked for; ``seconds`` says how long to wait."""

    def __init__(self, message: str, seconds: int):
        super().__init__(message)
        self.seconds = seconds


class SmsCodeError(SmsError):
    """The code given is not (or no longer) valid."""


class SmsConfigError(RuntimeError):
    """``SMS_BACKEND`` names no usable sender (an operator's mistake, not the user's)."""


# --- senders ----------------------------------------------------------------------------------

class SmsSender:
    """Interface of an SMS provider: ``send`` delivers one message or raises ``SmsSendError``.

    Subclasses are built with the app config (a mapping) and read their own keys from it.
    ``idempotency_key`` is the same for every attempt of one message: pass it to the provider (most
    take an "out id" / request id) so that a retry after a lost answer is not delivered twice.
    ``send`` may return the provider's answer (its message id), kept in the log."""

    name = "base"

    def __init__(self, config=None):
        self.config = config if config is not None else {}

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> str | None:
        raise NotImplementedError


class ConsoleSender(SmsSender):
    """Development sender: writes each message to the app log (INFO) instead of sending it."""

    name = "console"

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> str | None:
        current_app.logger.info("SMS to %s: %s", phone, text)
        return None


def load_sender(backend: str, config) -> SmsSender:
    """The sender named by ``backend``: ``"console"`` or ``"package.module:ClassName"``."""
    if backend == "console":
        return ConsoleSender(config)
    module_name, colon, class_name = (backend or "").partition(":")
    if not colon or not module_name or not class_name:
        raise SmsConfigError(f'SMS_BACKEND must be "console" or "package.module:ClassName", not {backend!r}')
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SmsConfigError(f"SMS_BACKEND {backend!r}: cannot import {module_name!r} ({exc})") from exc
    sender_class = getattr(module, class_name, None)
    if not (isinstance(sender_class, type) and issubclass(sender_class, SmsSender)):
        raise SmsConfigError(f"SMS_BACKEND {backend!r} is not an app.infra.sms.SmsSender subclass")
    return sender_class(config)


def get_sender() -> SmsSender:
    """The current app's sender, built on first use (and again if ``SMS_BACKEND`` changes)."""
    backend = current_app.config.get("SMS_BACKEND") or "console"
    cached = current_app.extensions.get("sms_sender")
    if cached is None or cached[0] != backend:
        cached = (backend, load_sender(backend, current_app.config))
        current_app.extensions["sms_sender"] = cached
    return cached[1]


# --- sending ----------------------------------------------------------------------------------

def check_message(phone: str, purpose: str) -> None:
    if not isinstance(phone, str) or not PHONE_RE.fullmatch(phone):
        raise ValueError(f"not a mainland mobile number: {phone!r}")
    if purpose not in SmsPurpose.values():
        raise ValueError(f"unknown SMS purpose: {purpose!r}")


def _insert(model, **values):
    """Insert one row and return it as a loaded object, without the session's audit hook."""
    return db.session.scalars(insert(model).returning(model), [values]).one()


def masked(text: str, hide=()) -> str:
    """``text`` with every secret of ``hide`` replaced by ``****`` (what the SMS log keeps)."""
    for secret in sorted((h for h in hide if h), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def new_key() -> str:
    """A message's idempotency key (the provider sees it with every attempt of that message)."""
    return uuid.uuid4().hex


def try_send(phone: str, text: str, idempotency_key: str) -> tuple[str | None, str | None]:
    """Hand one message to the configured sender: ``(provider's answer, error)``, one of them ``None``
    on success (the answer may be ``None`` too). A provider failure is logged, never raised."""
    sender = get_sender()
    try:
        answer = sender.send(phone, text, idempotency_key=idempotency_key)
    except SmsSendError as exc:
        error = str(exc) or type(exc).__name__
        current_app.logger.warning("SMS to %s via %s failed: %s", phone, sender.name, error)
        return None, error[:200]
    except Exception as exc:  # a provider's own bug or network error must not break the caller
        current_app.logger.exception("SMS to %s via %s failed", phone, sender.name)
        return None, f"{type(exc).__name__}: {exc}"[:200]
    return (str(answer)[:200] if answer is not None else None), None


def attempt(phone: str, text: str, purpose: str, hide=()) -> dict:
    """Hand ``text`` to the configured sender; return the SmsLog row's values, success or not,
    with the secrets of ``hide`` masked.

    A provider failure (any exception from ``send``) is logged, never raised."""
    check_message(phone, purpose)
    key = new_key()
    answer, error = try_send(phone, text, key)
    moment = now()
    return {"phone": phone, "purpose": purpose, "content": masked(text, hide), "backend": str(get_sender().name)[:50],
            "succeeded": error is None, "error": error, "created_at": moment,
            "state": SmsState.FAILED if error else SmsState.SENT, "attempts": 1, "idempotency_key": key,
            "sent_at": None if error else moment, "provider_answer": answer or error}


def send_sms(phone: str, text: str, purpose: str, hide=()) -> SmsLog:
    """Send ``text`` to ``phone`` and record it, with the strings of ``hide`` masked; the log's
    ``succeeded`` says whether it went.

    The row joins the current transaction: the caller commits."""
    return _insert(SmsLog, **attempt(phone, text, purpose, hide))


# --- verification codes -----------------------------------------------------------------------

def _setting(key: str) -> int:
    return int(current_app.config[key])


def code_hash(phone: str, purpose: str, code: str) -> str:
    """HMAC-SHA256 of the code, keyed with SECRET_KEY and bound to the phone and purpose."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{phone}\x1f{purpose}\x1f{code}".encode(), hashlib.sha256).hexdigest()


def _seconds(until: datetime, moment: datetime) -> int:
    return max(0, math.ceil((until - moment).total_seconds()))


def _latest(phone: str, purpose: str) -> SmsCode | None:
    return db.session.scalars(
        select(SmsCode).where(SmsCode.phone == phone, SmsCode.purpose == purpose)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).limit(1)
        .execution_options(populate_existing=True)).first()


def seconds_until_resend(phone: str, purpose: str) -> int:
    """Seconds before another code may be sent to ``phone`` for ``purpose`` (0: now)."""
    moment = now()
    last = db.session.scalar(select(func.max(SmsCode.created_at))
                             .where(SmsCode.phone == phone, SmsCode.purpose == purpose))
    if last is None:
        return 0
    return _seconds(last + timedelta(seconds=_setting("SMS_RESEND_SECONDS")), moment)


def _window_wait(condition, limit: int, window: timedelta, moment: datetime) -> int | None:
    """Seconds until fewer than ``limit`` codes matching ``condition`` lie in the last ``window``;
    ``None`` if there already are fewer."""
    start = moment - window
    oldest_counted = db.session.scalar(
        select(SmsCode.created_at).where(condition, SmsCode.created_at > start)
        .order_by(SmsCode.created_at.desc()).offset(limit - 1).limit(1))
    if oldest_counted is None:
        return None
    return max(1, _seconds(oldest_counted + window, moment))


def _check_rate(phone: str, purpose: str, address: str | None, moment: datetime) -> None:
    wait = seconds_until_resend(phone, purpose)
    if wait:
        raise SmsRateError(_("A code was sent just now. You can ask for another one in %(seconds)s seconds.",
                             seconds=wait), wait)
    wait = _window_wait(SmsCode.phone == phone, _setting("SMS_MAX_PER_PHONE_PER_DAY"), DAY, moment)
    if wait:
        raise SmsRateError(_("This mobile number has received too many codes in the last 24 hours. "
                             "Please try again in %(seconds)s seconds.", seconds=wait), wait)
    if address:
        wait = _window_wait(SmsCode.address == address, _setting("SMS_MAX_PER_ADDRESS_PER_HOUR"), HOUR, moment)
        if wait:
            raise SmsRateError(_("Too many codes have been requested from your network in the last hour. "
                                 "Please try again in %(seconds)s seconds.", seconds=wait), wait)


def issue_code(phone: str, purpose: str, address: str | None = None, deliver: bool = True) -> SmsCode:
    """Send a new code to ``phone`` for ``purpose`` and store its hash; commits.

    Raises ``SmsRateError`` (nothing sent) when asked too often, and ``SmsSendError`` when the
    provider fails (the failure is logged; no code is stored, so the user may retry at once).

    ``deliver=False`` (a number with no account asking for a reset code) sends nothing and logs
    nothing, but stores a code that no input can match, under the same limits: the caller answers
    as if it had been sent, and the countdown, the limits and a later wrong-code message are the
    same as for a registered number."""
    check_message(phone, purpose)
    address = (address or "")[:45] or None
    moment = now()
    _check_rate(phone, purpose, address, moment)
    ttl = _setting("SMS_CODE_TTL_SECONDS")
    if deliver:
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        text = _("[Henan Health Training Enrollment Platform] Your verification code is %(code)s, valid for "
                 "%(minutes)s minutes. Do not share it with anyone.", code=code,
                 minutes=max(1, math.ceil(ttl / 60)))
        log = send_sms(phone, text, purpose, hide=(code,))
        if not log.succeeded:
            db.session.commit()
            raise SmsSendError(_("The text message could not be sent. Please try again later."), log)
    else:
        code = secrets.token_hex(16)  # not six digits: verify_code can never accept it
    record = _insert(SmsCode, phone=phone, purpose=purpose, code_hash=code_hash(phone, purpose, code),
                     address=address, created_at=moment, expires_at=moment + timedelta(seconds=ttl),
                     attempts=0)
    db.session.commit()
    return record


def verify_code(phone: str, purpose: str, code: str) -> bool:
    """``True`` if ``code`` is the latest code sent to ``phone`` for ``purpose``, still valid;
    it is then marked used (the caller commits, with whatever the code allowed).

    Otherwise raises ``SmsCodeError``; a wrong code counts as an attempt (committed at once),
    and after ``SMS_CODE_MAX_ATTEMPTS`` wrong attempts the code is dead."""
    moment = now()
    record = _latest(phone, purpose)
    if record is None:
        raise SmsCodeError(_("Please ask for a verification code first."))
    if record.used_at is not None:
        raise SmsCodeError(_("This verification code has already been used. Please ask for a new one."))
    max_attempts = _setting("SMS_CODE_MAX_ATTEMPTS")
    if record.attempts >= max_attempts:
        raise SmsCodeError(_("Too many wrong attempts: this verification code is no longer valid. "
                             "Please ask for a new one."))
    if record.expires_at <= moment:
        raise SmsCodeError(_("This verification code has expired. Please ask for a new one."))
    given = code.strip() if isinstance(code, str) else ""
    expected = record.code_hash
    record_id = record.id
    if CODE_RE.fullmatch(given) and hmac.compare_digest(code_hash(phone, purpose, given), expected):
        result = db.session.execute(
            update(SmsCode)
            .where(SmsCode.id == record_id, SmsCode.used_at.is_(None), SmsCode.attempts < max_attempts,
                   SmsCode.expires_at > moment)
            .values(used_at=moment))
        if result.rowcount == 1:
            return True
        raise SmsCodeError(_("This verification code has already been used. Please ask for a new one."))
    db.session.execute(
        update(SmsCode).where(SmsCode.id == record_id, SmsCode.used_at.is_(None))
        .values(attempts=SmsCode.attempts + 1))
    db.session.commit()
    attempts = db.session.scalar(select(SmsCode.attempts).where(SmsCode.id == record_id)) or max_attempts
    left = max_attempts - attempts
    if left <= 0:
        raise SmsCodeError(_("Too many wrong attempts: this verification code is no longer valid. "
                             "Please ask for a new one."))
    raise SmsCodeError(_("The verification code is wrong. You have %(left)s more tries.", left=left))

