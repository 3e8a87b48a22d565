"""The app's PostgreSQL connections run their queries without parallel workers by default
(``DATABASE_PARALLEL_WORKERS``, ``app/infra/database.py``): a page's queries read a few hundred rows and a
parallel worker costs more to start than it saves. On SQLite the setting has nothing to set."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.infra.database import parallel_workers


def _side_app(url: str, workers: str, tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(tmp_path)
        DATABASE_PARALLEL_WORKERS = workers

    return create_app(Config)


def _setting(side) -> str:
    with side.app_context():
        try:
            return db.session.scalar(text("SHOW max_parallel_workers_per_gather"))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_connections_run_without_parallel_workers(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        # SQLite: nothing is registered on the engine, so every connection is left as it is
        engine = create_engine(url)
        listeners = len(engine.pool.dispatch.connect)
        parallel_workers(engine, "0")
        assert len(engine.pool.dispatch.connect) == listeners
        engine.dispose()
        return
    assert _setting(_side_app(url, "0", tmp_path)) == "0"
    assert _setting(_side_app(url, "1", tmp_path)) == "1"
    server_default = create_engine(url)
    with server_default.connect() as connection:
        expected = connection.execute(text("SHOW max_parallel_workers_per_gather")).scalar()
    server_default.dispose()
    assert _setting(_side_app(url, "", tmp_path)) == expected  # blank: the server's own setting


def test_a_negative_number_of_workers_is_refused(app, tmp_path):
    with app.app_context():
        dialect = db.engine.dialect.name
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if dialect != "postgresql":
        assert _side_app(url, "-1", tmp_path)  # SQLite: no such setting to refuse
        return
    with pytest.raises(ValueError, match="DATABASE_PARALLEL_WORKERS"):
        _side_app(url, "-1", tmp_path)
