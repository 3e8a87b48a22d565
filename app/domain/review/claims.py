"""Decisions on exemption claims (全科转岗 减免申请): the county, then the city, agree (同意) or refuse
(不同意, with a reason) each claim. The city sees the county's decisions; the last level's decision
stands. What an application's accepted claims exempt — the training content, or 直接考核 (type 7)
and 直接注册 (type 8) — is read from the decisions (``outcomes``, ``decisions_text``).

Approving an application needs a decision on each of its claims at the approving level: an
undecided claim is never approved silently (``approval_refusal``).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import aliased

from app.domain.access import can_see
from app.domain.rules.exemption import EXEMPTION_TYPES
from app.extensions import db
from app.infra.sql import among
from models import Application, ClaimDecision, ExemptionRequest, Role, Status
from models.clock import now
from models.enums import Program, ReviewLevel

MAX_REASON = 500
# who decides at which level, and the state the application waits in for them
DECIDING = {Role.COUNTY_REVIEWER: (ReviewLevel.COUNTY, Status.SUBMITTED),
            Role.CITY_REVIEWER: (ReviewLevel.CITY, Status.COUNTY_APPROVED)}
LEVELS = (ReviewLevel.COUNTY, ReviewLevel.CITY)
DIRECT = {7: "assessment", 8: "registration"}  # the types that exempt all training


class ClaimError(Exception):
    """A refused claim decision; ``str(error)`` is the Chinese message."""


def decision_level(user, application: Application) -> str | None:
    """The level at which ``user`` decides ``application``'s claims now (None: not theirs to decide)."""
    level, status = DECIDING.get(getattr(user, "role", None), (None, None))
    if level is None or application.batch.program != Program.GP_TRANSFER or application.status != status:
        return None
    return level


def decide_claim(application: Application, request_id: int | None, agreed: bool, reason: str, actor) -> ClaimDecision:
    """Record ``actor``'s decision on claim ``request_id`` of ``application`` (replacing their
    level's earlier one); raise ``ClaimError``. The caller commits."""
    reason = (reason or "").replace("\x00", "").strip()[:MAX_REASON]
    claim = next((r for r in application.exemptions if r.id == request_id), None)
    if claim is None:
        raise ClaimError(_("This exemption claim does not belong to this application."))
    level = decision_level(actor, application)
    if level is None:
        raise ClaimError(_("The exemption claims of this application are not yours to decide now."))
    if not can_see(actor, application):
        raise ClaimError(_("This application is outside your scope."))
    if not agreed and not reason:
        raise ClaimError(_("Please give the reason for refusing the exemption claim."))
    decision = db.session.scalar(select(ClaimDecision).where(ClaimDecision.exemption_request_id == claim.id,
                                                             ClaimDecision.level == level))
    if decision is None:
        decision = ClaimDecision(exemption_request_id=claim.id, application_id=application.id, level=level)
        db.session.add(decision)
    decision.agreed, decision.reason = agreed, "" if agreed else reason
    decision.actor_id, decision.decided_at = actor.id, now()
    db.session.flush()
    return decision


def decisions_of(application_ids) -> dict[int, dict[str, ClaimDecision]]:
    """The decisions on the claims of ``application_ids``: {claim id: {level: decision}} (one query)."""
    found: dict[int, dict[str, ClaimDecision]] = {}
    ids = list(application_ids)
    if not ids:
        return found
    for decision in db.session.scalars(select(ClaimDecision).where(ClaimDecision.application_id.in_(ids))):
        found.setdefault(decision.exemption_request_id, {})[decision.level] = decision
    return found


def approval_refusal(application: Application, actor) -> str | None:
    """Why ``actor`` may not approve ``application`` yet: a claim without their level's decision."""
    return approval_refusals([application], actor).get(application.id)


def approval_refusals(applications, actor) -> dict[int, str]:
    """``approval_refusal`` for many applications at once (their decisions in one query; load their
    ``exemptions`` with them): {application id: why it may not be approved yet}."""
    claiming = [a for a in applications if a.exemptions and decision_level(actor, a) is not None]
    decided = decisions_of(a.id for a in claiming)
    refusals = {}
    for application in claiming:
        level = decision_level(actor, application)
        missing = [str(r.type) for r in application.exemptions if level not in decided.get(r.id, {})]
        if missing:
            refusals[application.id] = _(
                "Please decide each exemption claim (agree or refuse) before approving; undecided: type %(types)s.",
                types="、".join(missing))
    return refusals


@dataclass(frozen=True)
class Outcome:
    """The standing decision on one claim: the city's, else the county's (None: undecided)."""

    claim: ExemptionRequest
    decision: ClaimDecision | None

    @property
    def title(self) -> str:
        spec = EXEMPTION_TYPES.get(self.claim.type)
        return f"（{self.claim.type}）{_(spec.title)}" if spec else str(self.claim.type)

    @property
    def exempted(self) -> str:
        """What an accepted claim exempts: 直接考核 / 直接注册 for types 7 and 8, else the content."""
        if DIRECT.get(self.claim.type) == "assessment":
            return _("Assessed directly")
        if DIRECT.get(self.claim.type) == "registration":
            return _("Registered directly")
        spec = EXEMPTION_TYPES.get(self.claim.type)
        return (self.claim.content or "").strip() or (_(spec.exempts) if spec else "")

    @property
    def text(self) -> str:
        if self.decision is None:
            return _("%(title)s: not decided yet", title=self.title)
        if self.decision.agreed:
            return _("%(title)s: agreed, exempted: %(content)s", title=self.title, content=self.exempted)
        return _("%(title)s: refused (%(reason)s)", title=self.title, reason=self.decision.reason)


def standing(decisions: dict[str, ClaimDecision]) -> ClaimDecision | None:
    return decisions.get(ReviewLevel.CITY) or decisions.get(ReviewLevel.COUNTY)


def outcomes(application: Application, decided: dict[int, dict[str, ClaimDecision]] | None = None) -> list[Outcome]:
    """The standing decision on each claim of ``application``."""
    decided = decisions_of([application.id]) if decided is None else decided
    return [Outcome(r, standing(decided.get(r.id, {}))) for r in application.exemptions]


@dataclass(frozen=True)
class _Claim:
    type: int
    content: str | None


@dataclass(frozen=True)
class _Decision:
    agreed: bool
    reason: str


def decisions_text(application_ids) -> dict[int, str]:
    """The claim decisions of each application as one line of text (for the export's column):
    {application id: "（1）…：同意，减免：…；（3）…：不同意（理由）"}; one query whatever the count,
    reading only the claims' type and content and the two levels' decisions."""
    ids = list(application_ids)
    if not ids:
        return {}
    city, county = aliased(ClaimDecision), aliased(ClaimDecision)
    rows = db.session.connection().execute(
        select(ExemptionRequest.application_id, ExemptionRequest.type, ExemptionRequest.content,
               city.agreed, city.reason, county.agreed, county.reason)
        .outerjoin(city, and_(city.exemption_request_id == ExemptionRequest.id, city.level == ReviewLevel.CITY))
        .outerjoin(county, and_(county.exemption_request_id == ExemptionRequest.id,
                                county.level == ReviewLevel.COUNTY))
        .where(among(ExemptionRequest.application_id, ids))
        .order_by(ExemptionRequest.application_id, ExemptionRequest.type)).all()
    lines: dict[int, list[str]] = {}
    texts: dict[tuple, str] = {}  # the same claim and decision read the same: translated once
    for application_id, number, content, city_agreed, city_reason, county_agreed, county_reason in rows:
        decision = (_Decision(city_agreed, city_reason) if city_agreed is not None
                    else _Decision(county_agreed, county_reason) if county_agreed is not None else None)
        key = (number, content, decision)
        if key not in texts:
            texts[key] = Outcome(_Claim(number, content), decision).text
        lines.setdefault(application_id, []).append(texts[key])
    return {number: "；".join(texts) for number, texts in lines.items()}


# each application's claimed exemption types in one text ("1,3"; "" for none), read with the list's rows
# (``app.domain.review.list_page``)
CLAIMED_TYPES = func.coalesce(select(func.aggregate_strings(cast(ExemptionRequest.type, String), ","))
                              .where(ExemptionRequest.application_id == Application.id).scalar_subquery(), "")


def claimed_types(rows) -> dict[int, list[int]]:
    """The exemption types each list row claims, in order: {application id: [types]} (from its
    ``claimed_type_list``, ``CLAIMED_TYPES``)."""
    return {row.id: sorted(int(number) for number in row.claimed_type_list.split(","))
            for row in rows if row.claimed_type_list}


def decided_outcomes(application: Application) -> list[Outcome]:
    """What the trainee and the assigned base are shown: each claim's standing decision, once a
    reviewer has decided some claim (empty before)."""
    decided = decisions_of([application.id])
    return outcomes(application, decided) if decided else []
