"""Checks of ID numbers, mobile numbers and passwords, with Chinese messages."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric
from wtforms.validators import ValidationError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class IdNumberError(ValueError):
    """An invalid 居民身份证 number; ``str(error)`` is the message for the user."""


def region_code_exists(code: str) -> bool:
    """Whether a 6-digit GB/T 2260 code was ever assigned (python-stdnum's cn/loc table).

    python-stdnum's own ``validate`` also demands that the county existed in the birth year,
    which refuses real numbers: cards were first issued in the mid-1980s with the codes of
    that time, to people born long before. So only the code's existence is checked here.
    """
    from stdnum import numdb
    # info() answers prefix by prefix; only a match of all six digits carries a ``county`` entry
    # (``410199`` matches 河南省 alone and does not exist)
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def check_id_number(value: str) -> str:
    """Return the normalised 18-digit ID number, or raise ``IdNumberError`` saying why.

    Checks length and format, the GB 11643 check digit, the birth date and the region code.
    """
    number = re.sub(r"\s+", "", ric.compact(value or "")).upper()
    if not number:
        raise IdNumberError(_l("Please enter the ID number."))
    if len(number) != 18:
        raise IdNumberError(_l("An ID number has 18 characters."))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(_l("An ID number is 17 digits followed by a digit or X."))
    if number[17] != ric.calc_check_digit(number):
        raise IdNumberError(_l("The check digit of the ID number is wrong; please check it."))
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise IdNumberError(_l("The birth date in the ID number is not a valid date.")) from None
    if birth > date.today() or birth.year < 1900:
        raise IdNumberError(_l("The birth date in the ID number is in the future.")
                            if birth > date.today() else _l("The birth date in the ID number is not a valid date."))
    if not region_code_exists(number[:6]):
        raise IdNumberError(_l("The region code in the ID number does not exist."))
    return number


def id_number_birth_date(number: str) -> date:
    return ric.get_birth_date(number)


def id_number_gender(number: str) -> str:
    """``male`` or ``female``, from the 17th digit."""
    return "male" if int(number[16]) % 2 else "female"


def is_mobile(value: str | None) -> bool:
    return bool(value and MOBILE_RE.match(value))


class IdNumber:
    """WTForms validator for a 居民身份证 number; normalises the field's data."""

    def __call__(self, form, field):
        if not field.data:
            return
        try:
            field.data = check_id_number(field.data)
        except IdNumberError as error:
            raise ValidationError(str(error)) from None


class Mobile:
    """WTForms validator for a mainland mobile number (11 digits starting with 1)."""

    def __call__(self, form, field):
        if field.data and not is_mobile(field.data.strip()):
            raise ValidationError(str(_l("Please enter an 11-digit mobile number starting with 1.")))
        if field.data:
            field.data = field.data.strip()


PASSWORD_SPECIALS = ".#@!%$&_-'"


def password_problems(password: str) -> list[str]:
    """What a password lacks: 8–20 characters with letters, digits and one of ``.#@!%$&_-'``."""
    problems = []
    if not 8 <= len(password or "") <= 20:
        problems.append(str(_l("The password must be 8 to 20 characters long.")))
    if not re.search(r"[A-Za-z]", password or ""):
        problems.append(str(_l("The password must contain a letter.")))
    if not re.search(r"\d", password or ""):
        problems.append(str(_l("The password must contain a digit.")))
    if not any(c in PASSWORD_SPECIALS for c in password or ""):
        problems.append(str(_l("The password must contain one of the special characters .#@!%$&_-'")))
    if password and re.search(r"[^A-Za-z0-9" + re.escape(PASSWORD_SPECIALS) + "]", password):
        problems.append(str(_l("The password may only contain letters, digits and .#@!%$&_-'")))
    return problems


class StrongPassword:
    """WTForms validator applying ``password_problems``; empty passes (use DataRequired)."""

    def __call__(self, form, field):
        if field.data:
            problems = password_problems(field.data)
            if problems:
                raise ValidationError(" ".join(problems))


# what a spreadsheet would run as a formula, and characters no one types (NUL, other controls)
FORMULA_START = ("=", "+", "-", "@")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
PHONE_RE = re.compile(r"[0-9]+(?:-[0-9]+)*")
PHONE_MAX = 30


def text_problem(value: str | None) -> str | None:
    """Why ``value`` may not be stored as a plain one-line text (Chinese), or None."""
    if not value:
        return None
    if CONTROL_RE.search(value):
        return str(_l("Control characters (such as line breaks or NUL) are not allowed."))
    if value.lstrip().startswith(FORMULA_START):
        return str(_l("The text may not start with =, +, - or @ (it would be read as a spreadsheet formula)."))
    return None


class PlainText:
    """WTForms validator: a one-line text without control characters that does not look like a formula."""

    def __call__(self, form, field):
        problem = text_problem(field.data)
        if problem:
            raise ValidationError(problem)


def is_phone(value: str | None) -> bool:
    """A telephone or mobile number: digits in groups joined by single dashes, at most 30 characters."""
    return bool(value) and len(value) <= PHONE_MAX and PHONE_RE.fullmatch(value) is not None


class Phone:
    """WTForms validator for a telephone number such as 0371-65998221 or 15617918900; strips spaces."""

    def __call__(self, form, field):
        if field.data:
            field.data = field.data.strip()
        if field.data and not is_phone(field.data):
            raise ValidationError(str(_l("Enter digits and dashes only (e.g. 0371-65998221), at most 30 characters.")))


# --- what any typed text may hold (the portal's forms; the back office strips and refuses the same) ----

# controls nobody types: NUL (PostgreSQL refuses it in text) and the other C0 codes; a one-line field
# takes no tab or line break either
LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
TEXT_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE …): they make text read in another order than
# it is stored, e.g. a name or a file reference that looks like another on a reviewer's screen
BIDI_RE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# pictographs and their joiners: emoji, symbols and dingbats, variation selector 16, tags
EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d"
                      "\U000E0020-\U000E007F\u3030\u303d\u3297\u3299]")


def typed_text_problem(value: str | None, multiline: bool = False, emoji: bool = False) -> str | None:
    """Why ``value`` may not be stored as typed text (Chinese), or None.

    Control characters and bidirectional controls are always refused; line breaks and tabs only in
    a one-line field; emoji unless ``emoji`` (free-text remarks accept them)."""
    if not value:
        return None
    if (TEXT_CONTROL_RE if multiline else LINE_CONTROL_RE).search(value):
        return str(_l("Contains invisible control characters (such as NUL or line breaks), which cannot be saved: "
                      "please remove them."))
    if BIDI_RE.search(value):
        return str(_l("Contains invisible text-direction marks (such as U+202E), which are not allowed: please "
                      "retype the text."))
    if not emoji and EMOJI_RE.search(value):
        return str(_l("Emoji and pictographs are not allowed here."))
    return None
