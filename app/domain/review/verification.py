"""Signed codes on the printed residency registration form (报名表), checked at on-site confirmation.

Two codes are printed, both bound to the application id, its trainee id and the time it was
(last) submitted, so a form printed before a return-and-resubmit no longer matches:

* the **token** in the QR code: ``itsdangerous.URLSafeTimedSerializer`` with the app's
  ``SECRET_KEY`` and a salt of its own; it carries its issue time. The QR holds the absolute URL
  of the confirmation page with the token as ``?code=``;
* the **short code** printed under the QR, for typing when the scanner fails:
  ``<application id, at least 6 digits>-<8 characters>``, e.g. ``000123-K7QF-2M9X``. The 8
  characters are the first 40 bits of an HMAC-SHA256 (key derived from ``SECRET_KEY`` with its own
  salt) over the same three facts, in Crockford base 32 (no I, L, O, U; typing O for 0 or I/L for 1
  is forgiven). Guessing one needs about 2^39 tries, each by a logged-in base account that can only
  open its own base's applications anyway.

Both stop working the day after the batch's on-site confirmation deadline (务必于5月22日前…进行现场
确认: the deadline day is the last day; there is no grace, and the province moves the deadline in the
batch if need be). A batch without a deadline accepts a token for
``REGFORM_TOKEN_MAX_AGE_DAYS`` (default 90) after it was issued; its short codes, which carry no
time, for as long as the application matches.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.i18n import cn_date
from models import Application
from models.base import MAX_INT
from models.clock import CST, now

TOKEN_SALT = "hn-residency-regform-onsite-confirmation"
SHORT_CODE_SALT = b"hn-residency-regform-short-code"
DEFAULT_MAX_AGE_DAYS = 90
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_RE = re.compile(r"^(\d{1,18})([0-9A-Z]{8})$")
MAX_INPUT = 2000


class VerificationError(Exception):
    """A refused code; ``str(error)`` is the Chinese message for the staff member."""


# --- the facts a code is bound to ------------------------------------------------------------

def _submitted_key(application: Application) -> str:
    moment = application.submitted_at
    return moment.replace(microsecond=0).isoformat() if moment else ""


def _payload(application: Application) -> dict:
    return {"a": application.id, "t": application.trainee_id, "s": _submitted_key(application)}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _short_mac(application_id: int, trainee_id: int, submitted: str) -> str:
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), SHORT_CODE_SALT, hashlib.sha256).digest()
    digest = hmac.new(key, f"{application_id}:{trainee_id}:{submitted}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")  # 40 bits, 8 characters of base 32
    return "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))


# --- issuing ---------------------------------------------------------------------------------

def verification_token(application: Application) -> str:
    """The signed token of ``application`` for the QR code (about 80 URL-safe characters)."""
    return _serializer().dumps(_payload(application))


def verification_url(application: Application) -> str:
    """The absolute back-office URL the QR code holds: the confirmation page opening this form."""
    return url_for("confirm.index", code=verification_token(application), _external=True)


def short_code(application: Application) -> str:
    """The code printed under the QR code for typing, e.g. ``000123-K7QF-2M9X``."""
    mac = _short_mac(application.id, application.trainee_id, _submitted_key(application))
    return f"{application.id:06d}-{mac[:4]}-{mac[4:]}"


# --- checking --------------------------------------------------------------------------------

def extract_code(text: str | None) -> str:
    """The code in what a scanner or a person typed: a whole URL (its ``code`` parameter), a
    token, or a short code; surrounding spaces and stray control characters are dropped."""
    text = "".join(ch for ch in (text or "")[:MAX_INPUT] if ch.isprintable()).strip()
    if "://" in text or text.startswith("/") or "?code=" in text or "&code=" in text:
        query = urlsplit(text).query
        values = parse_qs(query).get("code")
        text = (values[0] if values else "").strip()
    return text


def _normalise_short(text: str) -> str | None:
    compact = re.sub(r"[\s\-_.]", "", text).upper().translate(str.maketrans("OIL", "011"))
    return compact if SHORT_CODE_RE.match(compact) else None


def _forged() -> VerificationError:
    return VerificationError(_("This code is not valid: it was not issued by the platform, or it was altered or "
                               "mistyped."))


def _mismatch() -> VerificationError:
    return VerificationError(_("This code no longer matches the application: it was changed and submitted again "
                               "after the form was printed. Ask the trainee to print the new registration form."))


def _deadline(application: Application) -> datetime | None:
    """The last moment (China time) at which the application's codes are accepted, if the batch has a deadline."""
    deadline = application.batch.confirmation_deadline if application.batch else None
    if deadline is None:
        return None
    return datetime.combine(deadline, time.max)


def _check_deadline(application: Application) -> None:
    last = _deadline(application)
    if last is not None and now() > last:
        raise VerificationError(_("This code has expired: on-site confirmation for this batch ended on %(date)s.",
                                  date=cn_date(application.batch.confirmation_deadline)))


def verify(token: str | None) -> int:
    """The id of the application ``token`` (a token, a short code or a whole URL) was issued for.

    Raises :class:`VerificationError` with a Chinese message when the code is empty, forged or
    altered, expired, or no longer matches the application (another trainee, resubmitted since).
    It does not check who may open the application: the caller scopes that.
    """
    code = extract_code(token)
    if not code:
        raise VerificationError(_("Please scan the QR code on the registration form, or type the code printed "
                                  "under it."))
    short = _normalise_short(code)
    if short is not None:
        return _verify_short(short)
    return _verify_token(code)


def _load(application_id) -> Application:
    if not isinstance(application_id, int) or isinstance(application_id, bool) or not 0 < application_id <= MAX_INT:
        raise _forged()
    application = db.session.get(Application, application_id)
    if application is None:
        raise _mismatch()
    return application


def _verify_token(code: str) -> int:
    serializer = _serializer()
    try:
        payload, issued = serializer.loads(code, return_timestamp=True)
    except SignatureExpired:  # not raised without max_age; kept for safety
        raise VerificationError(_("This code has expired. Ask the trainee to print the registration form "
                                  "again.")) from None
    except BadData:
        raise _forged() from None
    if not isinstance(payload, dict):
        raise _forged()
    application = _load(payload.get("a"))
    if payload.get("t") != application.trainee_id or payload.get("s") != _submitted_key(application):
        raise _mismatch()
    _check_deadline(application)
    if _deadline(application) is None:
        days = int(current_app.config.get("REGFORM_TOKEN_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS))
        issued_cst = issued.astimezone(CST).replace(tzinfo=None)
        if now() - issued_cst > timedelta(days=days):
            raise VerificationError(_("This code has expired: it was issued more than %(days)s days ago. Ask the "
                                      "trainee to print the registration form again.", days=days))
    return application.id


def _verify_short(compact: str) -> int:
    match = SHORT_CODE_RE.match(compact)
    number, mac = int(match.group(1)), match.group(2)
    if not 0 < number <= MAX_INT:
        raise _forged()
    application = db.session.get(Application, number)
    if application is None:
        raise _forged()
    expected = _short_mac(application.id, application.trainee_id, _submitted_key(application))
    if not hmac.compare_digest(expected, mac):
        raise _forged()  # a short code cannot tell an altered code from an outdated form
    _check_deadline(application)
    return application.id
