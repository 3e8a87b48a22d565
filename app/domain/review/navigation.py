"""The review loop's neighbours: where an application stands in a reviewer's filtered, sorted list.

The list is the reviewer's own (scope, filters, search and sort are the caller's query); its
neighbours are read with window functions in one statement, without loading the list.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from models import Application

# queues list the longest-waiting first: by the time the application entered its state, then by id
QUEUE_ORDER = (Application.status_changed_at.asc(), Application.id.asc())


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None
    position: int  # 1-based, 0 when the application is not in the list
    total: int

    def page(self, page_size: int) -> int:
        """The list page (0-based) holding this position."""
        return max(self.position - 1, 0) // page_size if page_size else 0


NOT_LISTED = Neighbours(None, None, 0, 0)


def with_tie_break(order) -> tuple:
    """``order`` made total: ties are broken by id, as the list shows them."""
    order = tuple(order)
    return order if any(_is_id(clause) for clause in order) else (*order, Application.id.asc())


def _is_id(clause) -> bool:
    element = getattr(clause, "element", clause)
    return getattr(element, "key", None) == "id" and getattr(element, "table", None) is Application.__table__


def neighbours(query, order, application_id: int) -> Neighbours:
    """The previous and next application of ``application_id`` in ``query`` ordered by ``order``,
    with its position and the list's length; ``NOT_LISTED`` when it is not (or no longer) in it."""
    order = with_tie_break(order)
    ranked = (query.with_entities(
        Application.id.label("id"),
        func.lag(Application.id).over(order_by=order).label("previous"),
        func.lead(Application.id).over(order_by=order).label("next"),
        func.row_number().over(order_by=order).label("position"),
        func.count().over().label("total"),
    ).order_by(None).subquery())
    row = db.session.execute(select(ranked.c.previous, ranked.c.next, ranked.c.position, ranked.c.total)
                             .where(ranked.c.id == application_id)).first()
    return Neighbours(*row) if row else NOT_LISTED
