"""A request's transaction that only read is committed at its end, not rolled back
(``app/infra/database.py``: psycopg forgets the prepared statements on every rollback); anything that
wrote, holds unflushed changes or failed is still rolled back, so nothing a failed request did is kept."""
from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import event, select

from app import create_app
from app.config import TestConfig
from app.extensions import db
from models import Account


@pytest.fixture
def side_app(app, tmp_path):
    """A second app on the suite's database with a few routes of its own (the suite's app has served
    requests already and takes no new route)."""
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_FOLDER = str(tmp_path)

    side = create_app(Config)

    def rename(username: str, name: str) -> Account:
        account = db.session.scalar(select(Account).where(Account.username == username))
        account.display_name = name
        return account

    @side.route("/t/read/<username>")
    def read(username):
        return db.session.scalar(select(Account.display_name).where(Account.username == username))

    @side.route("/t/flush-then-refuse/<username>")
    def flush_then_refuse(username):
        rename(username, "改过-已写")
        db.session.flush()
        abort(409)

    @side.route("/t/unflushed/<username>")
    def unflushed(username):
        rename(username, "改过-未写")
        return "ok"

    @side.route("/t/flush-then-fail/<username>")
    def flush_then_fail(username):
        rename(username, "改过-出错")
        db.session.flush()
        raise RuntimeError("boom")

    ends = []
    with side.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda connection: ends.append("commit"))
    event.listen(engine, "rollback", lambda connection: ends.append("rollback"))
    side.ends = ends
    yield side
    with side.app_context():
        db.engine.dispose()


def name_of(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Account.display_name).where(Account.username == username))


def test_a_request_that_only_read_ends_with_a_commit(side_app, world):
    before = name_of("county_zy")
    response = side_app.test_client().get("/t/read/county_zy")
    assert response.status_code == 200 and response.get_data(as_text=True) == before
    assert side_app.ends == ["commit"]


@pytest.mark.parametrize("path, status", [("/t/flush-then-refuse", 409), ("/t/unflushed", 200),
                                          ("/t/flush-then-fail", 500)])
def test_a_request_that_changed_something_without_committing_keeps_nothing(side_app, world, path, status):
    before = name_of("county_zy")
    side_app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as in production
    response = side_app.test_client().get(f"{path}/county_zy")
    assert response.status_code == status
    # rolled back (the 500 page reads the footer's contacts afterwards, in a transaction of its own)
    assert side_app.ends[0] == "rollback"
    assert name_of("county_zy") == before


def test_the_main_pages_read_only_transactions_commit(app, client, auth, world):
    """The app itself (not only the side app): a signed-in page view ends with a commit, no rollback."""
    auth.login("county_zy")
    ends = []
    with app.app_context():
        engine = db.engine
    listeners = [(engine, "commit", lambda connection: ends.append("commit")),
                 (engine, "rollback", lambda connection: ends.append("rollback"))]
    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        assert client.get("/admin/application/").status_code == 200
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)
    assert ends and set(ends) == {"commit"}
