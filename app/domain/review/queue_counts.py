"""How many applications wait in each of a user's review queues (the menu's and the dashboard's
numbers): one grouped query within the user's scope, whatever the number of queues, over the maintained
counts (``models.application_count``: a few hundred rows, not every waiting application; every back-office
page shows these numbers in its menu)."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select, true

from app.domain.access import scope_condition
from app.domain.workflow.queues import menu_queues
from app.extensions import db
from models import ApplicationCount, Batch


def queue_counts(user) -> dict[str, int]:
    """{queue key: applications waiting in it} for the queues of ``user``'s menu."""
    queues = menu_queues(user)
    if not queues:
        return {}
    C = ApplicationCount
    rows = db.session.execute(
        select(Batch.program, C.status, func.sum(C.n))
        .join(Batch, Batch.id == C.batch_id)
        .where(scope_condition(C, user), or_(*_waiting(queues)))
        .group_by(Batch.program, C.status))
    counts = {(program, status): int(number) for program, status, number in rows}
    return {q.key: counts.get((q.program, q.status), 0) for q in queues}


def queue_counts_and_count(user, conditions) -> tuple[dict[str, int], int]:
    """``queue_counts(user)`` and the number of ``user``'s applications that meet ``conditions`` (over
    ``ApplicationCount``'s columns: the application list's count), in one statement: the list page shows
    both."""
    queues = menu_queues(user)
    C = ApplicationCount
    selected = and_(true(), *conditions)  # the list's own scope among them
    row = db.session.execute(
        select(_sum(selected), *[_sum(waiting) for waiting in _waiting(queues)])
        .select_from(C).join(Batch, Batch.id == C.batch_id)
        .where(scope_condition(C, user), or_(selected, *_waiting(queues)))).one()
    return {q.key: int(number) for q, number in zip(queues, row[1:])}, int(row[0])


def _waiting(queues) -> list:
    return [and_(Batch.program == q.program, ApplicationCount.status == q.status) for q in queues]


def _sum(condition):
    return func.coalesce(func.sum(ApplicationCount.n).filter(condition), 0)
