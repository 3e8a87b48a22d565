"""A pooled connection is checked before use only when it has been idle (app/infra/database.py): not on
every request, as pool_pre_ping did; one that does not answer is replaced."""
from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.infra.database import ping_when_idle


def use(engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_connection_used_a_moment_ago_is_not_checked_an_idle_one_is(app, monkeypatch):
    engine = db.engine
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or real(connection))
    try:
        # every pooled connection was used within the hour (the pool may hand out another one than the
        # last, which earlier tests left idle for longer than the default 5 s)
        ping_when_idle(engine, 3600)
        use(engine)
        use(engine)
        assert pings == []
        ping_when_idle(engine, 0)  # every connection counts as idle
        use(engine)
        assert pings == [1]
    finally:
        ping_when_idle(engine, app.config["DATABASE_PING_IDLE_SECONDS"])


def test_an_idle_connection_that_does_not_answer_is_replaced(app, client, monkeypatch):
    engine = db.engine
    use(engine)
    real = engine.dialect.do_ping
    answers = []

    def dead_once(connection):
        if not answers:
            answers.append("dead")
            raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
        answers.append("alive")
        return real(connection)

    monkeypatch.setattr(engine.dialect, "do_ping", dead_once)
    ping_when_idle(engine, 0)
    try:
        assert client.get("/readyz").status_code == 200  # the request got a working connection
        assert answers[0] == "dead"
    finally:
        ping_when_idle(engine, app.config["DATABASE_PING_IDLE_SECONDS"])
