"""One page of the back office's application list, read as plain values by the page's ids.

A page shows twenty applications with their trainee, batch, regions, base, claimed exemption types and,
for a residency application past on-site confirmation, its standing (``app.domain.admission.standing``).
Read as ORM instances, that was twenty applications and up to a hundred joined records built, tracked
and expired per page, then a second statement for the standings: the largest part of the list's Python
after its template. Here one statement reads just the values the page shows, and each row is a
``ListedApplication`` whose attributes have the names the list's columns, formatters and row buttons
read (``trainee.name``, ``batch.program``, ``county`` …), so they work on it unchanged.
Scope is not here: the ids come from the list's own scoped query.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from app.domain.admission.standing import (
    STANDING_WIDTH,
    standing_columns,
    standing_index,
    standing_of,
    with_standing_joins,
)
from app.domain.review.claims import CLAIMED_TYPES
from app.domain.access import per_scope, scope_condition
from app.domain.review.listing import in_program
from app.infra.sql import read
from models import Application, Batch, Region, Trainee, TrainingBase


class Named(str):
    """A joined record as the list shows it: its name (what the models' ``__str__`` gives), with the
    other values the list reads of it as attributes (a batch's ``program``)."""


class ListedTrainee:
    __slots__ = ("name", "id_number")

    def __init__(self, name: str, id_number: str):
        self.name, self.id_number = name, id_number

    def __str__(self) -> str:
        return self.name


class ListedApplication:
    """One application of a list page: the columns the list shows, the ``version`` its row buttons post
    (the review's lost-update check), the claimed types, and its ``standing`` (None when it has none)."""

    __slots__ = ("id", "version", "status", "identity", "unit_name", "submitted_at", "status_changed_at",
                 "claimed_type_list", "trainee", "batch", "county", "city", "base", "standing")

    def __str__(self) -> str:
        return f"{self.trainee} · {self.batch}"


_OWN = ("id", "version", "status", "identity", "unit_name", "submitted_at", "status_changed_at",
        "claimed_type_list")


@per_scope
def page_ids_statement(user, shape: tuple[str, ...], order: str, descending: bool):
    """The ids of a page of ``user``'s applications that filters of ``shape`` select (``"program"`` or a
    column compared for equality, their values the parameters ``v0``, ``v1``, …), in the order of the
    column ``order`` and then ``id``, both ascending or both descending; the page is ``offset`` and
    ``limit``. Made once per scope, shape and order (``per_scope``)."""
    conditions = [scope_condition(Application, user)]
    for position, kind in enumerate(shape):
        value = bindparam(f"v{position}")
        conditions.append(in_program(value) if kind == "program" else getattr(Application, kind) == value)
    keys = (getattr(Application, order), Application.id)
    return (select(Application.id).where(*conditions)
            .order_by(*(key.desc() if descending else key for key in keys))
            .limit(bindparam("limit")).offset(bindparam("offset")))


@cache
def page_statement() -> tuple:
    """The statement that reads a page's rows by their ids (an expanding parameter ``ids``), made once; with
    where its standing's values start in a row, and where the base's name is among them."""
    county, city = aliased(Region), aliased(Region)
    joined = (Trainee.name, Trainee.id_number, Batch.name, Batch.program, county.name, city.name)
    standing = standing_columns()
    statement = (select(*(getattr(Application, name) for name in _OWN[:-1]), CLAIMED_TYPES, *joined, *standing)
                 .join(Trainee, Trainee.id == Application.trainee_id).join(Batch, Batch.id == Application.batch_id)
                 .outerjoin(county, county.id == Application.county_id)
                 .outerjoin(city, city.id == Application.city_id))
    statement = with_standing_joins(statement, base=TrainingBase)
    # the application's base is the one ``with_standing_joins`` joins: its name is read once, among the standing's
    standing_at = len(_OWN) + len(joined)
    return (statement.where(Application.id.in_(bindparam("ids", expanding=True))), standing_at,
            standing_at + standing_index(TrainingBase.name))


def page_rows(ids: list[int]) -> list[ListedApplication]:
    """The applications ``ids`` as list rows, in the order of ``ids`` (an id no longer found is left out)."""
    if not ids:
        return []
    statement, standing_at, base_at = page_statement()
    found = {}
    for values in read(statement, {"ids": ids}):
        row = ListedApplication()
        for name, value in zip(_OWN, values):
            setattr(row, name, value)
        trainee_name, id_number, batch_name, program, county, city = values[len(_OWN):standing_at]
        row.trainee = ListedTrainee(trainee_name, id_number)
        row.batch = Named(batch_name)
        row.batch.program = program
        row.county = None if county is None else Named(county)
        row.city = None if city is None else Named(city)
        base = values[base_at]
        row.base = None if base is None else Named(base)
        row.standing = standing_of(program, values[standing_at:standing_at + STANDING_WIDTH])
        found[row.id] = row
    return [found[row_id] for row_id in ids if row_id in found]
