"""Personal information (PIPL): what is masked, how, and who may see full values.

Lists, search results, exports and the dashboard show ID numbers and mobiles masked:
``410102********1230`` (first 6, last 4) and ``139****0001`` (first 3, last 4). A full value is
shown on a detail page after a click (``REVEAL_ROLES``, within the user's scope; the click is written
to the access log), or in an export with a stated reason (``FULL_EXPORT_ROLES``; audited with the
row count). The trainee's own pages and the 报名表 PDF keep full values.

Who may see full values, and why:

* reveal on a detail page: county and city reviewers and base staff (they verify identities of the
  applications in their scope), technical support (they identify a caller), the province
  administrator and the superuser. The record must be inside the user's scope (``access.scope``).
* full-value export: reviewers, base staff, the province administrator and the superuser, within
  their scope. Technical support works one trainee at a time and does not export full lists.
"""
from __future__ import annotations

from flask_babel import gettext as _

from models import Role

STAR = "*"


def mask_id_number(value) -> str:
    """``410102199001011230`` → ``410102********1230``; short documents keep only their last 4."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if len(text) >= 14:
        return text[:6] + STAR * (len(text) - 10) + text[-4:]
    if len(text) > 4:
        return STAR * (len(text) - 4) + text[-4:]
    return STAR * len(text)


def mask_phone(value) -> str:
    """``13900000001`` → ``139****0001``; other numbers keep their first 3 and last 4 when long enough."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if len(text) >= 10:
        return text[:3] + STAR * (len(text) - 7) + text[-4:]
    if len(text) > 4:
        return STAR * (len(text) - 4) + text[-4:]
    return STAR * len(text)


# the personal columns, by their attribute name (a dotted column is judged by its last part)
MASKERS = {
    "id_number": mask_id_number,
    "mobile": mask_phone,
    "phone": mask_phone,
    "emergency_phone": mask_phone,
}
PII_FIELDS = tuple(MASKERS)


def masker(column: str):
    """The masking function of a column name such as ``trainee.id_number``, or None."""
    return MASKERS.get(str(column).rsplit(".", 1)[-1])


def mask(column: str, value):
    """``value`` masked as its column asks; other columns unchanged."""
    function = masker(column)
    return function(value) if function is not None else value


# records whose detail pages, downloads and searches are written to the access log (table names)
PERSONAL_RECORDS = frozenset({
    "trainee", "education", "employment", "licence", "application", "application_choice", "exemption_request",
    "attachment", "review_record", "account", "sms_log",
})

REVEAL_ROLES = (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.BASE_STAFF, Role.SUPPORT, Role.PROVINCE_ADMIN,
                Role.SUPERUSER)
FULL_EXPORT_ROLES = (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.BASE_STAFF, Role.PROVINCE_ADMIN,
                     Role.SUPERUSER)
MIN_EXPORT_REASON = 5
MAX_EXPORT_REASON = 500


def may_reveal(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role in REVEAL_ROLES)


def may_export_full(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role in FULL_EXPORT_ROLES)


def export_reason_problem(reason: str) -> str | None:
    """Why a full-value export's reason is refused (a Chinese message), or None."""
    text = (reason or "").strip()
    if len(text) < MIN_EXPORT_REASON:
        return _("Please state why you need the full values (at least %(count)s characters).",
                 count=MIN_EXPORT_REASON)
    if len(text) > MAX_EXPORT_REASON:
        return _("The reason is too long (at most %(count)s characters).", count=MAX_EXPORT_REASON)
    return None
