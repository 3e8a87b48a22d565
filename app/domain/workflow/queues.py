"""The review queues: which applications wait for whom, derived from the transition table.

Each queue is a (program, status) the table lets some role act from. The back office shows each as
a link at the top of the review menu for the roles that work on it (``views/admin/queues.py``), and
the dashboard measures how long the *timed* queues (the review steps) have waited, for the roles
that work on them and for province-wide overseers.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.domain.workflow.table import workers
from models import Role, Status
from models.enums import Program


@dataclass(frozen=True)
class Queue:
    key: str
    program: str
    status: str
    label: object  # the step, on the dashboard
    menu_label: object  # the link, in the worker's words
    overseers: tuple[str, ...] = ()  # a watch list: these roles see it instead of those who act on it
    timed: bool = True  # a review step whose waiting time the dashboard shows
    since_submission: bool = False  # waiting counted from submitted_at (else from entering the status)

    @property
    def roles(self) -> tuple[str, ...]:
        """Who sees the queue: the roles the transition table lets act from its state (or, for a watch
        list, its overseers)."""
        return self.overseers or workers(self.program, self.status)


GP, RES, S, R = Program.GP_TRANSFER, Program.RESIDENCY, Status, Role
QUEUES: tuple[Queue, ...] = (
    Queue("county", GP, S.SUBMITTED, _l("County review"), _l("Awaiting my review"), since_submission=True),
    Queue("city", GP, S.COUNTY_APPROVED, _l("City review"), _l("Awaiting my review")),
    Queue("assignment", GP, S.CITY_APPROVED, _l("Base assignment"), _l("Awaiting base assignment")),
    Queue("base_review", RES, S.SUBMITTED, _l("Base review"), _l("Awaiting base review"), since_submission=True),
    Queue("onsite", RES, S.BASE_APPROVED, _l("On-site confirmation"), _l("Awaiting on-site confirmation")),
    Queue("reporting", RES, S.ADMITTED, _l("Reporting"), _l("Admitted, awaiting reporting"), timed=False),
    # the province's queue; a base admits its own only in a batch opened to the bases, from its admission page
    Queue("admission", RES, S.CONFIRMED, _l("Admission"), _l("Confirmed, awaiting admission"),
          overseers=(R.PROVINCE_ADMIN,), timed=False),
    Queue("not_reported", RES, S.ADMITTED, _l("Reporting"), _l("Admitted, not yet reported"),
          overseers=(R.PROVINCE_ADMIN,), timed=False),
)


def menu_queues(user) -> tuple[Queue, ...]:
    """The queues in ``user``'s menu: those of their role."""
    role = getattr(user, "role", None)
    return tuple(q for q in QUEUES if role in q.roles)


def timed_queues(user) -> tuple[Queue, ...]:
    """The review steps whose waiting time ``user`` sees; province-wide roles oversee all of them."""
    if getattr(user, "role", None) in Role.PROVINCE_WIDE:
        return tuple(q for q in QUEUES if q.timed)
    return tuple(q for q in QUEUES if q.timed and user.role in q.roles)


# the most queues one role has: the menu keeps that many link slots
MAX_QUEUES = max(sum(role in q.roles for q in QUEUES) for role in Role.STAFF)
