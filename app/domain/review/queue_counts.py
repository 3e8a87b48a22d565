"""How many applications wait in each of a user's review queues (the menu's and the dashboard's
numbers): one grouped query within the user's scope, whatever the number of queues, over the maintained
counts (``models.application_count``: a few hundred rows, not every waiting application; every back-office
page shows these numbers in its menu)."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select

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
        .where(scope_condition(C, user),
               or_(*[and_(Batch.program == q.program, C.status == q.status) for q in queues]))
        .group_by(Batch.program, C.status))
    counts = {(program, status): int(number) for program, status, number in rows}
    return {q.key: counts.get((q.program, q.status), 0) for q in queues}
