"""The schema: migrations match the models, and the database itself enforces the rules."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.config import TestConfig
from app.extensions import db
from models import Application, Education, Trainee
from tests.factories import TraineeFactory, id_number


def test_autogenerate_finds_no_difference_between_models_and_migrations(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_review_lists_filter_and_sort_on_indexed_columns(app):
    with db.engine.connect() as connection:
        indexed = {tuple(ix["column_names"]) for ix in inspect(connection).get_indexes("application")}
    for column in ("status", "batch_id", "county_id", "city_id", "base_id", "submitted_at"):
        assert (column,) in indexed, column


def test_trainee_searches_read_their_prefix_indexes_alone(app):
    """On PostgreSQL the ID-number, mobile and name prefix indexes carry the trainee's id (a search for
    a common surname then reads no table page); SQLite keeps plain indexes on the same columns."""
    names = ("ix_trainee_id_number_prefix", "ix_trainee_mobile_prefix", "ix_trainee_name_prefix")
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            definitions = dict(connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'trainee'").all())
            for name in names:
                assert "varchar_pattern_ops" in definitions[name] and definitions[name].endswith("INCLUDE (id)"), name
        else:
            indexed = {ix["name"] for ix in inspect(connection).get_indexes("trainee")}
            assert set(names) <= indexed


def test_region_indexes_carry_the_unit_name_on_postgresql(app):
    """On PostgreSQL the (county, batch) and (city, batch) indexes carry the unit name (migration
    b5d1e7a3c9f2): a county's or a city's unit-name search counts its matches up to the cap from its own
    index entries, not from the province-wide trigram postings. SQLite keeps the plain indexes."""
    names = ("ix_application_county_id_batch_id", "ix_application_city_id_batch_id")
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            definitions = dict(connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'application'").all())
            for name in names:
                assert definitions[name].endswith("_id, batch_id) INCLUDE (unit_name)"), definitions[name]
        else:
            columns = {ix["name"]: ix["column_names"] for ix in inspect(connection).get_indexes("application")}
            assert [columns[name] for name in names] == [["county_id", "batch_id"], ["city_id", "batch_id"]]


def test_trainee_search_columns_keep_fine_statistics(app):
    """On PostgreSQL the searched trainee columns keep 1,000 histogram buckets (migration c4e8a2f6b1d9):
    the list's plan for a search, walking its order or sorting what was found, is chosen from how many
    trainees the planner expects a prefix to match. SQLite keeps no such statistics; there the
    migration is recorded as run."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            targets = dict(connection.exec_driver_sql(
                "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'trainee'::regclass "
                "AND attname IN ('id_number', 'mobile', 'name')").all())
            assert targets == {"id_number": 1000, "mobile": 1000, "name": 1000}
        else:
            from alembic.script import ScriptDirectory
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            script = ScriptDirectory(os.path.join(os.path.dirname(app.root_path), "migrations"))
            assert "c4e8a2f6b1d9" in {r.revision for r in script.iterate_revisions(current, "base")}


def _expect_refused(statement_or_callable):
    with pytest.raises(IntegrityError):
        if callable(statement_or_callable):
            statement_or_callable()
        else:
            db.session.execute(statement_or_callable)
        db.session.flush()
    db.session.rollback()


def test_id_number_is_unique(world):
    number = world.trainees["zy"].id_number
    _expect_refused(lambda: db.session.add(Trainee(name="重复", id_number=number, mobile="13900000000")))


def test_one_application_per_trainee_and_batch(world):
    trainee, batch = world.trainees["zy"], world.batches["gp"]
    _expect_refused(lambda: db.session.add(Application(trainee=trainee, batch=batch)))


@pytest.mark.parametrize("column,value", [("status", "approved_by_magic"), ("identity", "visitor"),
                                          ("admission_result", "maybe")])
def test_enumerations_are_checked_by_the_database(world, column, value):
    application_id = world.applications["zy"].id
    _expect_refused(update(Application).where(Application.id == application_id).values({column: value}))


def test_submitted_application_needs_a_submission_time(world):
    application_id = world.applications["zy"].id
    _expect_refused(update(Application).where(Application.id == application_id).values(submitted_at=None))


def test_deleting_a_trainee_with_an_application_is_refused(world):
    trainee_id = world.trainees["zy"].id
    _expect_refused(delete(Trainee).where(Trainee.id == trainee_id))
    assert db.session.get(Trainee, trainee_id) is not None


def test_deleting_a_trainee_without_applications_removes_their_rows(world):
    trainee = TraineeFactory(id_number=id_number("410303"))
    db.session.add(Education(trainee=trainee, school="测试", major="临床医学", level="bachelor", degree="bachelor"))
    db.session.commit()
    trainee_id = trainee.id
    db.session.execute(delete(Trainee).where(Trainee.id == trainee_id))
    db.session.commit()
    assert db.session.scalars(select(Education).where(Education.trainee_id == trainee_id)).all() == []


def test_foreign_keys_are_enforced(world):
    _expect_refused(update(Application).where(Application.id == world.applications["zy"].id)
                    .values(batch_id=999999))


def test_migrations_downgrade_and_upgrade_again(tmp_path):
    """The migration chain runs down to nothing and up again (on a scratch SQLite database)."""

    class Scratch(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'scratch.db'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    scratch = create_app(Scratch)
    with scratch.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "application" in inspect(db.engine).get_table_names()
        db.engine.dispose()
