"""Small SQL helpers shared by the domain."""
from __future__ import annotations

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db


def among(column, ids):
    """``column IN ids`` for a list of integer ids (a page or an export chunk). On PostgreSQL one array
    parameter (``= ANY(:ids)``) instead of one parameter per id, which costs more to render and send
    than the query takes to run for a chunk of a thousand ids."""
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)
