"""What the application list offers beside its rows, read in one statement: the batches and the bases
its filters offer, and the user's saved filters (我的筛选). Read as three statements, each was a round
trip and a statement's work in the driver and the server for a handful of rows: about a millisecond of
every list page."""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, Text, func, literal, null, or_, select, union_all

from app.domain.access import application_condition, per_scope, scope_condition
from app.domain.review.saved_filters import filters_for_condition, filters_for_order, owner_name
from app.infra.sql import read
from models import Account, ApplicationCount, Batch, SavedFilter, TrainingBase

BATCHES, BASES, SAVED_FILTERS = 0, 1, 2  # the kinds of row, in the order they are read


def list_choices(user) -> dict[int, list]:
    """{kind: rows} for ``user``: the batches (``id``, ``name``, the newest first, as
    ``views.admin.batches.batch_options``), the bases ``base_option_condition`` selects (by name) and the
    saved filters (as ``filters_for`` reads them)."""
    found: dict[int, list] = {BATCHES: [], BASES: [], SAVED_FILTERS: []}
    for row in read(_statement(user), {"user_id": user.id, "role": user.role}):
        found[row.kind].append(row)
    return found


def base_option_condition(user):
    """The bases the list's 培训基地 filter offers ``user``: those in scope, and those an in-scope application
    is assigned to, read from the maintained counts (a few hundred grouped rows, not the applications:
    ``models.application_count``)."""
    assigned = (select(ApplicationCount.base_id)
                .where(ApplicationCount.base_id.is_not(None), application_condition(user, ApplicationCount))
                .group_by(ApplicationCount.base_id).having(func.sum(ApplicationCount.n) > 0))
    return or_(scope_condition(TrainingBase, user), TrainingBase.id.in_(assigned))


@per_scope
def _statement(user):
    def position(*order):
        return func.row_number().over(order_by=order).label("position")

    nothing = (null().cast(Text).label("query"), null().cast(Boolean).label("shared"),
               null().cast(Integer).label("owner_id"), null().cast(Text).label("owner_name"))
    batches = select(literal(BATCHES).label("kind"), Batch.id.label("id"), Batch.name.label("name"), *nothing,
                     position(Batch.id.desc()))
    bases = (select(literal(BASES), TrainingBase.id, TrainingBase.name, *nothing, position(TrainingBase.name))
             .where(base_option_condition(user)))
    saved = (select(literal(SAVED_FILTERS), SavedFilter.id, SavedFilter.name, SavedFilter.query, SavedFilter.shared,
                    SavedFilter.owner_id, owner_name(), position(*filters_for_order()))
             .outerjoin(Account, Account.id == SavedFilter.owner_id).where(filters_for_condition()))
    everything = union_all(batches, bases, saved)
    return everything.order_by(everything.selected_columns.kind, everything.selected_columns.position)
