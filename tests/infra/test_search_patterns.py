"""Prefix and "contains" searches write their LIKE pattern into the statement (``app.infra.sql``):
PostgreSQL chooses a prefix's index range, or a trigram index, only from a pattern it reads when
planning, and a prepared statement's generic plan knows no parameter. The pattern is escaped: a quote,
``%``, ``_`` and ``/`` in a search term are matched as themselves, never as SQL or as wildcards."""
from __future__ import annotations

from sqlalchemy import select

from app.domain.support import trainee_search_condition
from app.extensions import db
from app.infra.sql import contains, starts_with
from models import Trainee
from tests.factories import TraineeFactory
from tests.queries import counting_statements


def _names(condition) -> list[str]:
    return sorted(db.session.scalars(select(Trainee.name).where(condition)))


def test_a_prefix_is_written_into_the_statement_and_matched_as_typed(app):
    for name in ("杨一", "杨二", "O'Brien", "100%纯", "1000纯", "a_b", "axb", "c/d", "杭三", "e\\f", "eef"):
        TraineeFactory(name=name)
    db.session.commit()
    with counting_statements() as counter:
        assert _names(starts_with(Trainee.name, "杨")) == ["杨一", "杨二"]
    assert "'杨%" in counter.statements[0]  # the pattern itself, not a placeholder for it
    # without an ESCAPE clause when nothing needs escaping (PostgreSQL then estimates the prefix's rows)
    assert "ESCAPE" not in counter.statements[0].upper()
    with counting_statements() as counter:
        assert _names(starts_with(Trainee.name, "e\\")) == ["e\\f"]  # a backslash, PostgreSQL's default escape
    assert "ESCAPE" in counter.statements[0].upper()
    assert _names(starts_with(Trainee.name, "O'B")) == ["O'Brien"]
    assert _names(starts_with(Trainee.name, "100%")) == ["100%纯"]
    assert _names(starts_with(Trainee.name, "a_")) == ["a_b"]
    assert _names(starts_with(Trainee.name, "c/")) == ["c/d"]
    assert _names(starts_with(Trainee.name, "'; DROP TABLE trainee; --")) == []
    assert _names(contains(Trainee.name, "%")) == ["100%纯"]
    assert _names(contains(Trainee.name, "_")) == ["a_b"]
    assert db.session.scalar(select(db.func.count()).select_from(Trainee)) >= 11  # the table is still there


def test_the_search_by_name_or_number_writes_its_patterns_into_the_statement(app):
    TraineeFactory(name="杨六", id_number="410102199001011234", mobile="13800001111")
    db.session.commit()
    for term, found in (("杨", ["杨六"]), ("4101021990", ["杨六"]), ("1380000", ["杨六"]), ("杨七", [])):
        with counting_statements() as counter:
            assert _names(trainee_search_condition(term)) == found, term
        assert f"'{term}%" in counter.statements[0], term
