"""The migration that adds ``application.status_changed_at`` fills it for the applications already
there: the time of the last review that led to the current status, else the submission, else the
creation (a database of its own, SQLite)."""
from __future__ import annotations

from datetime import datetime

from flask_migrate import upgrade
from sqlalchemy import column, insert, select, table

from app import create_app
from app.config import TestConfig
from app.extensions import db
from models import Application


def _table(name: str, *names: str):
    return table(name, *(column(each) for each in names))


def test_existing_applications_get_the_moment_they_entered_their_status(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"
        UPLOAD_FOLDER = str(tmp_path)

    app = create_app(Config)
    with app.app_context():
        upgrade(revision="c4e8a1f2d7b3")
        created, submitted = datetime(2025, 3, 1, 8), datetime(2025, 3, 2, 9)
        db.session.execute(insert(_table(
            "trainee", "id", "name", "id_type", "id_number", "mobile", "is_graduate_student", "created_at",
            "updated_at")), [{"id": number, "name": "张三", "id_type": "resident",
                              "id_number": f"41010219900101123{number}", "mobile": f"1391234567{number}",
                              "is_graduate_student": False, "created_at": created, "updated_at": created}
                             for number in (1, 2, 3)])
        db.session.execute(insert(_table(
            "batch", "id", "name", "year", "program", "round", "status", "opens_at", "closes_at", "theory_weight",
            "skills_weight", "tie_break", "created_at")), [{
                "id": 1, "name": "2025年全科医生转岗培训", "year": 2025, "program": "gp_transfer", "round": "first",
                "status": "open", "opens_at": created, "closes_at": datetime(2025, 4, 1), "theory_weight": 0.5,
                "skills_weight": 0.5, "tie_break": "theory", "created_at": created}])
        applications = _table("application", "id", "trainee_id", "batch_id", "status", "no_postgrad_pledge",
                              "created_at", "updated_at", "submitted_at", "admission_result", "version")
        common = {"batch_id": 1, "no_postgrad_pledge": False, "created_at": created,
                  "updated_at": created, "admission_result": "pending", "version": 1}
        db.session.execute(insert(applications), [
            {**common, "id": 1, "trainee_id": 1, "status": "draft", "submitted_at": None},
            {**common, "id": 2, "trainee_id": 2, "status": "submitted", "submitted_at": submitted},
            {**common, "id": 3, "trainee_id": 3, "status": "county_approved", "submitted_at": submitted}])
        reviews = _table("review_record", "application_id", "level", "action", "created_at", "status_before",
                         "status_after")
        db.session.execute(insert(reviews), [
            {"application_id": 3, "level": "county", "action": "county_return", "created_at": datetime(2025, 3, 3),
             "status_before": "submitted", "status_after": "returned"},
            {"application_id": 3, "level": "county", "action": "county_approve",
             "created_at": datetime(2025, 3, 5, 10), "status_before": "submitted", "status_after": "county_approved"}])
        db.session.commit()
        upgrade()
        entered = dict(db.session.execute(select(Application.id, Application.status_changed_at)).all())
        assert entered == {1: created, 2: submitted, 3: datetime(2025, 3, 5, 10)}
        db.session.remove()
        db.engine.dispose()
