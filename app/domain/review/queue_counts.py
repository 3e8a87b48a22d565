"""How many applications wait in each of a user's review queues (the menu's and the dashboard's
numbers): one grouped query within the user's scope, whatever the number of queues, over the maintained
counts (``models.application_count``: a few hundred rows, not every waiting application; every back-office
page shows these numbers in its menu)."""
from __future__ import annotations

from sqlalchemy import and_, bindparam, func, or_, select, true

from app.domain.access import application_condition, per_scope, scope_condition
from app.domain.review.listing import in_program
from app.domain.workflow.queues import menu_queues
from app.infra.sql import read
from models import ApplicationCount, Batch


def queue_counts(user) -> dict[str, int]:
    """{queue key: applications waiting in it} for the queues of ``user``'s menu."""
    queues = menu_queues(user)
    if not queues:
        return {}
    rows = read(_queues_statement(user))
    counts = {(program, status): int(number) for program, status, number in rows}
    return {q.key: counts.get((q.program, q.status), 0) for q in queues}


@per_scope
def _queues_statement(user):
    C = ApplicationCount
    return (select(Batch.program, C.status, func.sum(C.n))
            .join(Batch, Batch.id == C.batch_id)
            .where(scope_condition(C, user), or_(*_waiting(menu_queues(user))))
            .group_by(Batch.program, C.status))


def queue_counts_and_count(user, shape: tuple[str, ...] = (), values: dict | None = None) -> tuple[dict[str, int], int]:
    """``queue_counts(user)`` and the number of ``user``'s applications that the list's filters select
    (the application list's count), in one statement: the list page shows both.

    ``shape`` names each filter in turn: ``"program"``, or a column of ``ApplicationCount`` compared for
    equality; ``values`` holds their values as ``v0``, ``v1``, …"""
    queues = menu_queues(user)
    row = read(_counted_statement(user, shape, True), values).one()
    return {q.key: int(number) for q, number in zip(queues, row[1:])}, int(row[0])


def filtered_count(user, shape: tuple[str, ...] = (), values: dict | None = None) -> int:
    """The list's count alone (``queue_counts_and_count``'s second half)."""
    return int(read(_counted_statement(user, shape, False), values).scalar_one())


@per_scope
def _counted_statement(user, shape: tuple[str, ...], with_queues: bool):
    """The counting statement for a scope and a filter shape (kept by ``per_scope``; the filters'
    values are its parameters ``v0``, ``v1``, …)."""
    C = ApplicationCount
    conditions = [application_condition(user, source=C)]
    for position, kind in enumerate(shape):
        value = bindparam(f"v{position}")
        conditions.append(in_program(value, C) if kind == "program" else getattr(C, kind) == value)
    selected = and_(true(), *conditions)
    if not with_queues:
        return select(func.coalesce(func.sum(C.n), 0)).where(selected)
    waiting = _waiting(menu_queues(user))
    return (select(_sum(selected), *[_sum(w) for w in waiting])
            .select_from(C).join(Batch, Batch.id == C.batch_id)
            .where(scope_condition(C, user), or_(selected, *waiting)))


def _waiting(queues) -> list:
    return [and_(Batch.program == q.program, ApplicationCount.status == q.status) for q in queues]


def _sum(condition):
    return func.coalesce(func.sum(ApplicationCount.n).filter(condition), 0)
