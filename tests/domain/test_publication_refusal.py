"""Publishing admission is refused while registration is open or while confirmed applicants have no
combined score, unless the province gives a reason, which is audited (publication_refusal)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.domain.admission import publication_refusal
from app.extensions import db
from models import Application, AuditLog, Batch, ReviewRecord, Status
from models.clock import now
from tests.admission_scene import PAGE, candidate, residency_batch
from tests.factories import PASSWORD
from tests.conftest import csrf_token

PUBLISH = "/admin/admission/publish/"
WINDOW_SEED = "报名阶段：5 月 6 日—22 日。本年度统一采用网上报名"


@pytest.fixture
def scored(world):
    """A residency batch whose registration has closed, with two scored confirmed applicants."""
    batch = residency_batch(world)
    batch.closes_at = now() - timedelta(days=1)
    db.session.commit()
    people = [candidate(world, batch, "zz", ["0100"], 80, name="甲一"), candidate(world, batch, "zz", ["0100"], 70, name="乙二")]
    return batch, people


def post_publish(client, batch, reason=""):
    confirm = client.get(f"{PUBLISH}?batch_id={batch.id}").get_data(as_text=True)
    fingerprint = confirm.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    return client.post(PUBLISH, data={"batch_id": str(batch.id), "fingerprint": fingerprint, "reason": reason,
                                      "csrf_token": csrf_token(client, PAGE)})


def published(batch) -> bool:
    return db.session.get(Batch, batch.id).admission_published_at is not None


def admission_records(batch) -> int:
    return db.session.scalar(select(func.count(ReviewRecord.id)).join(Application).where(
        Application.batch_id == batch.id, ReviewRecord.action.in_(("admit", "not_admit"))))


def reason_rows():
    return db.session.scalars(select(AuditLog).where(AuditLog.field_name == "publication_reason")).all()


@pytest.mark.seed(WINDOW_SEED)
def test_registration_open_refuses_until_the_window_closes(scored):
    """报名阶段：5 月 6 日—22 日 — the window's closing time is the boundary: a minute before it publishing
    needs a reason, at it and the day after it does not."""
    batch, _ = scored
    closes = batch.closes_at = now().replace(microsecond=0) + timedelta(days=2)
    with_window = publication_refusal(batch, "", closes - timedelta(minutes=1))
    assert with_window and "报名尚未结束" in with_window
    assert publication_refusal(batch, "", closes - timedelta(days=1)) is not None
    assert publication_refusal(batch, "", closes) is None
    assert publication_refusal(batch, "", closes + timedelta(days=1)) is None
    assert publication_refusal(batch, "省里决定提前公布", closes - timedelta(minutes=1)) is None


def test_a_publication_without_reason_while_registration_is_open_is_refused_and_nothing_changes(scored, client, auth):
    batch, people = scored
    batch.closes_at = now() + timedelta(days=3)
    db.session.commit()
    auth.login("province", PASSWORD)
    confirm = client.get(f"{PUBLISH}?batch_id={batch.id}").get_data(as_text=True)
    assert "报名尚未结束" in confirm and "现在公布的理由" in confirm
    response = post_publish(client, batch, reason="   ")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "暂不能公布录取结果：报名尚未结束" in html and "请稍后再公布，或填写现在公布的理由" in html
    assert not published(batch) and admission_records(batch) == 0 and reason_rows() == []
    assert {db.session.get(Application, p.id).status for p in people} == {Status.CONFIRMED}


def test_unscored_confirmed_applicants_refuse_a_publication_without_reason(scored, client, auth, world):
    batch, _ = scored
    candidate(world, batch, "zz", ["0100"], None, name="丙三")
    auth.login("province", PASSWORD)
    response = post_publish(client, batch)
    assert response.status_code == 409
    assert "1 名已现场确认的考生尚无综合成绩" in response.get_data(as_text=True)
    assert not published(batch) and admission_records(batch) == 0


def test_a_reason_lets_the_province_publish_and_is_audited(scored, client, auth, world):
    batch, people = scored
    candidate(world, batch, "zz", ["0100"], None, name="丙三")
    auth.login("province", PASSWORD)
    response = post_publish(client, batch, reason="丙三缺考，按时公布")
    assert response.status_code == 302
    assert published(batch) and admission_records(batch) == 3
    rows = reason_rows()
    assert [(r.reason, r.actor_name, r.record_id) for r in rows] == [("丙三缺考，按时公布", "province", str(batch.id))]
    assert "1 名已现场确认的考生尚无综合成绩" in rows[0].old_value
    log = client.get("/admin/audit_log/").get_data(as_text=True)
    assert "说明理由后公布录取结果" in log and "丙三缺考，按时公布" in log


def test_nothing_stops_a_publication_when_registration_is_over_and_everyone_is_scored(scored, client, auth):
    batch, _ = scored
    auth.login("province", PASSWORD)
    confirm = client.get(f"{PUBLISH}?batch_id={batch.id}").get_data(as_text=True)
    assert "暂不能公布" not in confirm
    assert post_publish(client, batch).status_code == 302
    assert published(batch) and reason_rows() == []


@pytest.mark.parametrize("reason, message", [("原因\x00", "理由无法保存"), ("=HYPERLINK(1)", "理由无法保存"),
                                             ("长" * 501, "理由过长")])
def test_a_reason_that_cannot_be_stored_is_refused_and_kept_on_the_form(scored, client, auth, world, reason, message):
    batch, _ = scored
    batch.closes_at = now() + timedelta(days=3)
    db.session.commit()
    auth.login("province", PASSWORD)
    response = post_publish(client, batch, reason=reason)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and message in html
    assert not published(batch) and reason_rows() == []
    if "\x00" not in reason:
        assert reason[:20] in html
