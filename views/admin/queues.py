"""The review queues in the back-office menu: a bookmarkable link per queue of the signed-in role.

The queues themselves (which applications wait for whom) are ``app.domain.workflow.queues``. Each
link is the application list with a role's default filter, with stable filter names (see
``SecureModelView.get_filter_arg``). The plain list stays the whole of the user's scope; a queue
narrows it to what waits for them.
"""
from __future__ import annotations

from flask import g, url_for
from flask_admin.menu import MenuLink
from flask_login import current_user

from app.domain.review.queue_counts import queue_counts
from app.domain.workflow.queues import MAX_QUEUES, Queue, menu_queues


def queue_url(queue: Queue) -> str:
    return url_for("application.index_view", flt1_program_equals=queue.program, flt2_status_equals=queue.status)


def current_counts() -> dict[str, int]:
    """The signed-in user's queue counts, read once per request (the menu shows each link's)."""
    if "queue_counts" not in g:
        g.queue_counts = queue_counts(current_user) if current_user.is_authenticated else {}
    return g.queue_counts


def my_queues() -> list[dict]:
    """The dashboard's row of queues: label, count and link."""
    counts = current_counts()
    return [{"key": q.key, "label": str(q.menu_label), "count": counts.get(q.key, 0), "url": queue_url(q)}
            for q in menu_queues(current_user)] if current_user.is_authenticated else []


class QueueLink(MenuLink):
    """The ``index``-th queue of the signed-in user's role; hidden when the role has no such queue."""

    def __init__(self, index: int, category):
        super().__init__(name="", category=category)
        self.index = index

    def _queue(self) -> Queue | None:
        if not current_user.is_authenticated:
            return None
        queues = menu_queues(current_user)
        return queues[self.index] if self.index < len(queues) else None

    @property
    def name(self):
        queue = self._queue()
        if queue is None:
            return ""
        return f"{queue.menu_label}（{current_counts().get(queue.key, 0)}）"

    @name.setter
    def name(self, value):  # BaseMenu.__init__ assigns it; the label comes from the role
        pass

    def get_url(self) -> str:
        queue = self._queue()
        return queue_url(queue) if queue else "#"

    def is_accessible(self) -> bool:
        return self._queue() is not None

    def is_visible(self) -> bool:
        return self._queue() is not None


def queue_links(category) -> list[QueueLink]:
    return [QueueLink(index, category) for index in range(MAX_QUEUES)]
