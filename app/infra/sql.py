"""Small SQL helpers shared by the domain."""
from __future__ import annotations

from sqlalchemy import Integer, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db


def read(statement, parameters: dict | None = None):
    """The result of a select of plain columns (not ORM records), run on the session's connection in
    its transaction, pending changes flushed first as the session's own ``execute`` flushes them.

    The session's ``execute`` does ORM work on every statement (its compile state, the result's setup,
    the rows' loading) even when the statement selects no entity: about 0.1 ms on a one-line select and
    0.3 ms on a page's ids, paid on each of a list page's statements. The rows are the same."""
    session = db.session
    session.flush()
    return session.connection().execute(statement, parameters or {})


def among(column, ids):
    """``column IN ids`` for a list of integer ids (a page or an export chunk). On PostgreSQL one array
    parameter (``= ANY(:ids)``) instead of one parameter per id, which costs more to render and send
    than the query takes to run for a chunk of a thousand ids."""
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def starts_with(column, term: str):
    """``column LIKE 'term%'`` with the pattern written into the statement, not sent as a parameter.

    PostgreSQL finds the index range of a prefix (a ``varchar_pattern_ops`` b-tree) only from a pattern
    it can read when planning. A statement the driver has prepared (psycopg does after five runs) is
    planned once without its parameters' values after a few runs, and that generic plan read the whole
    trainee table for every prefix search: "杨" at 200,000 trainees, 20 ms planned with the value and 45
    ms generic. The pattern is escaped as ``startswith(autoescape=True)`` escapes it and rendered as a
    quoted literal by the dialect.

    A term without wildcards or escape characters (an ID number, a mobile, most names) is written
    without an ``ESCAPE`` clause: PostgreSQL estimates how many rows a prefix matches from the column's
    statistics only for a pattern with the default escape, and guessed 2,034 for an ID number's start
    that 734 trainees share (and 21,782 for one shared by 22,142), so the list's plan, which walks its
    order index for a common term and sorts what the search found for a rare one, chose the walk."""
    if not _SPECIAL.intersection(term):
        return column.like(bindparam(None, f"{term}%", type_=String(), literal_execute=True))
    return column.like(_pattern(term, "", "%"), escape="/")


def contains(column, term: str):
    """``column LIKE '%term%'``, the pattern written into the statement as for ``starts_with`` (a
    pg_trgm index, too, is chosen only from a pattern read when planning)."""
    return column.like(_pattern(term, "%", "%"), escape="/")


_SPECIAL = set("/%_\\")  # LIKE's wildcards, this module's escape character and PostgreSQL's default one


def _pattern(term: str, before: str, after: str):
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return bindparam(None, f"{before}{escaped}{after}", type_=String(), literal_execute=True)
