"""Each role's work queues: the application list with the role's default filter.

A queue is a bookmarkable link into the application list with stable filter names (see
``SecureModelView.get_filter_arg``), shown at the top of the review menu and on the dashboard.
The plain list stays the whole of the user's scope; a queue narrows it to what waits for them.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_admin.menu import MenuLink
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Role, Status
from models.enums import Program


@dataclass(frozen=True)
class Queue:
    label: object
    program: str
    status: str

    def url(self) -> str:
        return url_for("application.index_view", flt1_program_equals=self.program, flt2_status_equals=self.status)


GP, RES = Program.GP_TRANSFER, Program.RESIDENCY
QUEUES: dict[str, tuple[Queue, ...]] = {
    Role.COUNTY_REVIEWER: (Queue(_l("Awaiting my review"), GP, Status.SUBMITTED),),
    Role.CITY_REVIEWER: (Queue(_l("Awaiting my review"), GP, Status.COUNTY_APPROVED),
                         Queue(_l("Awaiting base assignment"), GP, Status.CITY_APPROVED)),
    Role.BASE_STAFF: (Queue(_l("Awaiting base review"), RES, Status.SUBMITTED),
                      Queue(_l("Awaiting on-site confirmation"), RES, Status.BASE_APPROVED),
                      Queue(_l("Admitted, awaiting reporting"), RES, Status.ADMITTED)),
    Role.PROVINCE_ADMIN: (Queue(_l("Confirmed, awaiting admission"), RES, Status.CONFIRMED),
                          Queue(_l("Admitted, not yet reported"), RES, Status.ADMITTED)),
}


def queues_for(user) -> tuple[Queue, ...]:
    return QUEUES.get(getattr(user, "role", None), ())


class QueueLink(MenuLink):
    """The ``index``-th queue of the signed-in user's role; hidden when the role has no such queue."""

    def __init__(self, index: int, category):
        super().__init__(name="", category=category)
        self.index = index

    def _queue(self) -> Queue | None:
        if not current_user.is_authenticated:
            return None
        queues = queues_for(current_user)
        return queues[self.index] if self.index < len(queues) else None

    @property
    def name(self):
        queue = self._queue()
        return str(queue.label) if queue else ""

    @name.setter
    def name(self, value):  # BaseMenu.__init__ assigns it; the label comes from the role
        pass

    def get_url(self) -> str:
        queue = self._queue()
        return queue.url() if queue else "#"

    def is_accessible(self) -> bool:
        return self._queue() is not None

    def is_visible(self) -> bool:
        return self._queue() is not None


MAX_QUEUES = max(len(queues) for queues in QUEUES.values())


def queue_links(category) -> list[QueueLink]:
    return [QueueLink(index, category) for index in range(MAX_QUEUES)]
