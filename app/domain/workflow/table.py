"""The transition table of both programs: who may do what from which state, as data.

Views and queues derive their actions, reason requirements and roles from ``TRANSITIONS``; nothing
else lists them. Changing a status is ``app.domain.workflow.transition``.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from models import Role, Status
from models.enums import Program, ReviewLevel


@dataclass(frozen=True)
class Edge:
    """One allowed transition: ``source --action--> target``, by ``role``, for ``program``."""

    program: str
    source: str
    action: str
    target: str
    role: str
    level: str
    needs_reason: bool = False


S, R, P, L = Status, Role, Program, ReviewLevel
GP, RES = P.GP_TRANSFER, P.RESIDENCY
TRANSITIONS: tuple[Edge, ...] = (
    # GP transfer (全科转岗)
    Edge(GP, S.DRAFT, "submit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(GP, S.RETURNED, "resubmit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(GP, S.SUBMITTED, "county_approve", S.COUNTY_APPROVED, R.COUNTY_REVIEWER, L.COUNTY),
    Edge(GP, S.SUBMITTED, "county_return", S.RETURNED, R.COUNTY_REVIEWER, L.COUNTY, True),
    Edge(GP, S.SUBMITTED, "county_reject", S.REJECTED, R.COUNTY_REVIEWER, L.COUNTY, True),
    Edge(GP, S.COUNTY_APPROVED, "city_approve", S.CITY_APPROVED, R.CITY_REVIEWER, L.CITY),
    Edge(GP, S.COUNTY_APPROVED, "city_return", S.RETURNED, R.CITY_REVIEWER, L.CITY, True),
    Edge(GP, S.COUNTY_APPROVED, "city_reject", S.REJECTED, R.CITY_REVIEWER, L.CITY, True),
    Edge(GP, S.CITY_APPROVED, "assign_base", S.ASSIGNED, R.CITY_REVIEWER, L.CITY),
    Edge(GP, S.SUBMITTED, "support_reopen", S.DRAFT, R.SUPPORT, L.SUPPORT, True),
    # resident standardized training (住培)
    Edge(RES, S.DRAFT, "submit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(RES, S.RETURNED, "resubmit", S.SUBMITTED, R.TRAINEE, L.TRAINEE),
    Edge(RES, S.SUBMITTED, "base_approve", S.BASE_APPROVED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.SUBMITTED, "base_return", S.RETURNED, R.BASE_STAFF, L.BASE, True),
    Edge(RES, S.SUBMITTED, "base_reject", S.REJECTED, R.BASE_STAFF, L.BASE, True),
    Edge(RES, S.BASE_APPROVED, "confirm_onsite", S.CONFIRMED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.CONFIRMED, "admit", S.ADMITTED, R.PROVINCE_ADMIN, L.PROVINCE),
    Edge(RES, S.CONFIRMED, "not_admit", S.NOT_ADMITTED, R.PROVINCE_ADMIN, L.PROVINCE),
    # admission by the bases (各住培基地…择优录取), when the province enables it for the batch: each base
    # publishes its own (app/domain/admission/bases.py), until the batch's first-phase deadline
    Edge(RES, S.CONFIRMED, "base_admit", S.ADMITTED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.CONFIRMED, "base_not_admit", S.NOT_ADMITTED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.ADMITTED, "report", S.REPORTED, R.BASE_STAFF, L.BASE),
    # after the admission notice: the trainee declines, the base records an unanswered one as expired
    # (both give the seat back), the base offers a free seat to the next applicant in order; the domain
    # (app/domain/admission/notices.py) always gives these a reason
    Edge(RES, S.ADMITTED, "decline_admission", S.NOT_ADMITTED, R.TRAINEE, L.TRAINEE),
    Edge(RES, S.ADMITTED, "expire_admission", S.NOT_ADMITTED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.NOT_ADMITTED, "offer_seat", S.ADMITTED, R.BASE_STAFF, L.BASE),
    Edge(RES, S.SUBMITTED, "support_reopen", S.DRAFT, R.SUPPORT, L.SUPPORT, True),
)
ACTION_LABELS = {
    "submit": _l("Submit"), "resubmit": _l("Resubmit"),
    "county_approve": _l("Approve (county)"), "county_return": _l("Return for changes (county)"),
    "county_reject": _l("Reject (county)"), "city_approve": _l("Approve (city)"),
    "city_return": _l("Return for changes (city)"), "city_reject": _l("Reject (city)"),
    "assign_base": _l("Assign to a training base"), "support_reopen": _l("Reopen as draft (support)"),
    "base_approve": _l("Approve (base)"), "base_return": _l("Return for changes (base)"),
    "base_reject": _l("Reject (base)"), "confirm_onsite": _l("Confirm on site"), "admit": _l("Admit"),
    "not_admit": _l("Not admitted"), "base_admit": _l("Admit (base)"), "base_not_admit": _l("Not admitted (base)"),
    "report": _l("Reported at the base"),
    "decline_admission": _l("Admission declined"), "expire_admission": _l("Admission expired unanswered"),
    "offer_seat": _l("Free place offered"),
}


# the moment of some actions is kept on the application itself
TIMESTAMPS = {"report": "reported_at", "confirm_onsite": "onsite_confirmed_at"}


# once a residency batch's admission is published, nothing may re-enter its competition
FROZEN_AFTER_ADMISSION = ("base_admit", "base_not_admit", "submit", "resubmit", "base_approve", "base_return", "base_reject", "confirm_onsite",
                          "support_reopen")


def find_edge(program: str, source: str, action: str) -> Edge | None:
    for edge in TRANSITIONS:
        if (edge.program, edge.source, edge.action) == (program, source, action):
            return edge
    return None


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def edges(program: str | None = None, role: str | None = None, source: str | None = None) -> list[Edge]:
    """The edges matching the given program, role and source state (None matches any)."""
    return [edge for edge in TRANSITIONS if (program is None or edge.program == program)
            and (role is None or edge.role == role) and (source is None or edge.source == source)]


def needs_reason(action: str) -> bool:
    """Whether ``action`` must carry a reason (退回修改 and 不通过 always do)."""
    return any(edge.needs_reason for edge in TRANSITIONS if edge.action == action)


def actions_of(role: str, program: str | None = None) -> list[str]:
    """The actions ``role`` may take, in table order, without repeats."""
    return list(dict.fromkeys(edge.action for edge in edges(program=program, role=role)))


REVIEW_KINDS = ("approve", "return", "reject", "report")


def review_actions(role: str) -> dict[str, str]:
    """A reviewer role's actions by kind (approve / return / reject / report), read from the table:
    the bulk buttons of the review list. Empty for a role with none."""
    found: dict[str, str] = {}
    for edge in edges(role=role):
        kind = edge.action.rpartition("_")[2]
        if kind in REVIEW_KINDS:
            found.setdefault(kind, edge.action)
    return found


def role_may(role: str | None, action: str) -> bool:
    """Whether ``role`` takes ``action`` anywhere in the table."""
    return any(edge.role == role and edge.action == action for edge in TRANSITIONS)


def workers(program: str, status: str) -> tuple[str, ...]:
    """The roles that move an application of ``program`` on from ``status`` (support's reopening aside):
    whose queue it is."""
    return tuple(dict.fromkeys(edge.role for edge in edges(program=program, source=status)
                               if edge.role != Role.SUPPORT))
