"""On-site confirmation (现场确认): the materials a base receives, as the 2024 recruitment plan lists them,
and the confirmation itself. The deadline is the batch's (``app.domain.workflow.deadlines``)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.domain.rules.eligibility import evaluate_residency
from app.domain.workflow import states, transition
from app.domain.workflow.table import role_may
from app.extensions import db
from models import Application, Status
from models.clock import today
from models.enums import Identity

SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS, LICENCE = "signed_form", "photos", "id_copy", "diplomas", "licence"
MATERIAL_KEYS = (SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS, LICENCE)


@dataclass(frozen=True)
class Material:
    """One item the trainee hands in at on-site confirmation."""

    key: str
    label: str
    required: bool
    note: str = ""


class ConfirmationError(ValueError):
    """On-site confirmation refused for a reason about the materials; ``str(error)`` is Chinese."""


def is_confirmed(application: Application) -> bool:
    """Confirmed on site, or at a later step that follows confirmation."""
    return application.status in states.CONFIRMED_OR_LATER or application.onsite_confirmed_at is not None


def may_confirm(application: Application, user) -> bool:
    """Whether ``user`` may confirm ``application`` on site now: approved by the base, not yet confirmed,
    and the transition table lets the user's role confirm."""
    return (not is_confirmed(application) and application.status == Status.BASE_APPROVED
            and role_may(user.role, "confirm_onsite"))


def licence_required(application: Application) -> bool:
    """Whether the trainee must show a physician qualification certificate: graduated in or before the
    batch's cut-off year (rule ``licence_for_earlier_graduates``), or the graduation date is unknown.

    Read from the rule results stored at submission (``Application.eligibility``); evaluated from the
    snapshot when they are missing."""
    results = [r for r in application.eligibility or [] if isinstance(r, dict)
               and r.get("code") == "licence_for_earlier_graduates"]
    if results:
        params = results[0].get("params") or {}
    else:
        batch = application.batch
        evaluated = evaluate_residency(application.snapshot or {}, {"identity": application.identity},
                                       {"year": batch.year,
                                        "licence_required_graduation_year": batch.licence_required_graduation_year},
                                       today())
        params = next(r.params for r in evaluated if r.code == "licence_for_earlier_graduates")
    year, cutoff = params.get("graduation_year"), params.get("cutoff")
    if isinstance(year, int) and isinstance(cutoff, int):
        return year <= cutoff
    return True  # no graduation date on record: the certificate is asked for


def onsite_materials(application: Application) -> list[Material]:
    """The materials of on-site confirmation for ``application``, as the 2024 recruitment plan lists
    them: the signed form (with the unit's seal for commissioned trainees), four photos, a copy of the
    ID card, diploma and degree certificate (fresh graduates may bring them after graduating) and,
    where required, the physician qualification certificate."""
    commissioned = application.identity == Identity.COMMISSIONED
    graduate = application.identity == Identity.GRADUATE
    items = [
        Material(SIGNED_FORM, _("Printed and signed registration form, sealed by the commissioning unit")
                 if commissioned else _("Printed and signed registration form"), True),
        Material(PHOTOS, _("Four recent bare-headed one-inch photos"), True),
        Material(ID_COPY, _("Copy of the identity card (both sides on one A4 sheet)"), True),
        Material(DIPLOMAS, _("Diploma and degree certificate (originals checked, copies kept)"), not graduate,
                 _("Fresh graduates who do not have them yet may hand them in after graduating.") if graduate else ""),
    ]
    if licence_required(application):
        items.append(Material(LICENCE, _("Physician qualification certificate (original checked, copy kept)"), True))
    return items


def confirm_onsite(application: Application, actor, ticked) -> list[str]:
    """Confirm ``application`` on site as ``actor``: every required material must be ticked.

    Stores the ticked keys (in the form's order) in ``onsite_materials`` and moves the status with
    ``app.domain.workflow.transition`` (which records ``onsite_confirmed_at``); the caller
    commits. Raises :class:`ConfirmationError` or ``app.domain.workflow.TransitionError``.
    """
    materials = onsite_materials(application)
    chosen = set(ticked or ())
    missing = [m.label for m in materials if m.required and m.key not in chosen]
    if missing:
        raise ConfirmationError(_("Tick every required material before confirming; missing: %(items)s.",
                                  items="、".join(missing)))
    received = [m.key for m in materials if m.key in chosen]
    transition(application, "confirm_onsite", actor)  # sets onsite_confirmed_at with the status
    application.onsite_materials = received
    db.session.flush()
    return received
