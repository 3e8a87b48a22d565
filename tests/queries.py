"""Counting the SQL statements a request runs (a list must not run a query per row)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


class StatementCounter:
    """A ``before_cursor_execute`` listener: how many statements ran, and their text."""

    def __init__(self):
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, connection, cursor, statement, *args, **kwargs):
        self.count += 1
        self.statements.append(statement)


@contextmanager
def counting_statements() -> Iterator[StatementCounter]:
    """Count the statements run on the app's engine inside the block."""
    counter = StatementCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


def statements_for(client, url: str) -> tuple[int, str]:
    """The number of statements GET ``url`` runs (it must answer 200), and the page."""
    with counting_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count, response.get_data(as_text=True)


def statements(client, url: str) -> int:
    """The number of statements GET ``url`` runs (it must answer 200); for pages that are not text."""
    with counting_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count
