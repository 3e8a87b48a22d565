"""No list page runs a query per row: 20 rows and 100 rows cost the same number of statements."""
import re
from datetime import datetime

import pytest
from sqlalchemy import delete, insert, select

from app.extensions import db
from app.seed.demo import ensure_fixtures, generate_trainees
from models import Attachment, AuditLog, Batch, PracticeScope, Region, Role, SmsLog, Trainee, TrainingBase
from tests.factories import PASSWORD, AccountFactory
from tests.queries import StatementCounter, statements_for  # noqa: F401  (StatementCounter: the old import path)

LIST_ENDPOINTS = ["application", "exemption_request", "application_choice", "attachment", "review_record",
                  "trainee", "education", "employment", "licence", "batch", "quota", "region", "institution",
                  "training_base", "specialty", "practice_scope", "account", "audit_log", "sms_log"]


@pytest.fixture
def crowded(app):
    """More than 100 rows in every list."""
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(130, random_seed=7, echo=lambda *a: None)
    trainees = db.session.scalars(select(Trainee.id)).all()
    db.session.execute(insert(Attachment), [
        {"kind": "photo", "trainee_id": t, "stored_name": f"n{t}.png", "original_name": "照片.png",
         "content_type": "image/png", "size": 1, "sha256": "0" * 64} for t in trainees])
    admin = AccountFactory(username="lister", role=Role.SUPERUSER)
    db.session.execute(insert(AuditLog), [
        {"actor_id": admin.id, "actor_name": "lister", "table_name": "trainee", "record_id": str(t),
         "action": "update", "field_name": "name", "old_value": "甲", "new_value": "乙"} for t in trainees])
    db.session.execute(insert(SmsLog), [
        {"phone": f"139{n:08d}", "purpose": "notify", "content": f"通知{n}", "backend": "console",
         "succeeded": n % 7 != 0, "error": None if n % 7 else "超时"} for n in range(130)])
    city = db.session.scalar(select(Region).where(Region.code == "410100"))
    db.session.execute(insert(Batch), [
        {"name": f"批次{n}", "year": 2000 + n, "program": "gp_transfer", "round": "first", "status": "closed",
         "opens_at": datetime(2000 + n, 1, 1), "closes_at": datetime(2000 + n, 2, 1)} for n in range(1, 30)])
    db.session.execute(insert(TrainingBase), [
        {"name": f"列表测试基地{n}", "city_id": city.id, "trains_gp_transfer": True, "trains_residency": False}
        for n in range(30)])
    db.session.execute(insert(PracticeScope), [
        {"code": f"9{n:02d}", "category": "clinical", "name": f"测试范围{n}"} for n in range(30)])
    db.session.commit()
    yield
    # practice scopes are reference data, which the per-test clean-up keeps
    db.session.execute(delete(PracticeScope).where(PracticeScope.code.like("9%")))
    db.session.commit()


ROW_RE = re.compile(r"<tr[ >]")


def rows_shown(html: str) -> int:
    if "model-list" not in html:
        return 0
    table = html.split("model-list", 1)[1]
    body = table.split("</thead>", 1)[1].split("</table>", 1)[0]
    return len(ROW_RE.findall(body))


def test_list_statement_count_does_not_grow_with_rows(crowded, client, auth):
    """Every back-office list, at 20 and at 100 rows per page, as the superuser (who sees all)."""
    auth.login("lister", PASSWORD)
    problems = []
    for endpoint in LIST_ENDPOINTS:
        client.get(f"/admin/{endpoint}/")  # warm-up
        small, small_html = statements_for(client, f"/admin/{endpoint}/?page_size=20")
        large, large_html = statements_for(client, f"/admin/{endpoint}/?page_size=100")
        shown_small, shown_large = rows_shown(small_html), rows_shown(large_html)
        if shown_small != 20 or shown_large <= 20:
            problems.append(f"{endpoint}: showed {shown_small} and {shown_large} rows")
        elif small != large:
            problems.append(f"{endpoint}: {small} statements at 20 rows, {large} at {shown_large} rows")
    assert problems == []
