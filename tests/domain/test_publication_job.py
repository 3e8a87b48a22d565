"""Admission publication of any size: over ``PUBLISH_JOB_APPLICANTS`` it runs as one job (publication's
own checks first), in chunks through ``transition_many`` in one transaction, idempotent, with no size
limit left."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain.admission import publication, publish
from app.extensions import db
from app.infra import jobs, queue
from models import Application, AuditLog, Batch, Job, ReviewRecord, SmsLog, Status
from tests.admission_scene import PAGE, candidate, residency_batch, scene  # noqa: F401
from tests.conftest import csrf_token
from tests.factories import PASSWORD

PUBLISH = PAGE + "publish/"
# the scenes' registration is still open: the province gives its reason for publishing now
REASON = "测试：按计划提前发布"


@pytest.fixture
def as_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLISH_JOB_APPLICANTS", 0)


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def post_publish(client, batch):
    html = client.get(f"{PUBLISH}?batch_id={batch.id}").get_data(as_text=True)
    fingerprint = html.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    return client.post(PUBLISH, data={"batch_id": str(batch.id), "fingerprint": fingerprint, "reason": REASON,
                                      "csrf_token": csrf_token(client, PAGE)})


def test_a_big_publication_runs_as_a_job_and_shows_its_result(scene, client, auth, as_job):
    batch, people = scene
    auth.login("province", PASSWORD)
    response = post_publish(client, batch)
    [job] = db.session.scalars(select(Job)).all()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/jobs/{job.id}/")
    assert (job.kind, job.state, job.total) == ("admission_publish", "done", 6)
    page = client.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)
    assert "发布录取结果：测试住培批次（6 人）" in page and "已完成" in page and "录取结果已发布" in page
    assert db.session.get(Application, people["top"].id).status == Status.ADMITTED
    assert db.session.get(Application, people["waiting"].id).status == Status.BASE_APPROVED
    assert db.session.get(Batch, batch.id).admission_published_at is not None
    # the reason for publishing while registration is open is audited with the publication
    audit = db.session.scalars(select(AuditLog).where(AuditLog.field_name == "publication_reason")).one()
    assert audit.reason == REASON and audit.actor_name == "province" and "报名" in (audit.old_value or "")


def test_two_publications_still_give_one_result(scene, client, auth, as_job, monkeypatch):
    batch, _people = scene
    auth.login("province", PASSWORD)
    monkeypatch.setattr(queue, "enqueue", lambda *args, **kwargs: "later")  # two jobs queued before either runs
    post_publish(client, batch)
    post_publish(client, batch)
    first, second = db.session.scalars(select(Job).order_by(Job.id)).all()
    assert jobs.run(first.id) == "done" and jobs.run(second.id) == "failed"
    db.session.expire_all()
    assert "已经发布" in db.session.get(Job, second.id).error
    assert count(ReviewRecord, ReviewRecord.action.in_(("admit", "not_admit"))) == 6
    assert count(SmsLog) == 6


def test_publication_checks_run_before_the_job_is_queued(world, client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLISH_JOB_APPLICANTS", -1)  # even an empty batch goes the job's way
    batch = residency_batch(world)  # nobody confirmed on site: publication refuses
    auth.login("province", PASSWORD)
    response = client.post(PUBLISH, data={"batch_id": str(batch.id), "reason": REASON,
                                          "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 409 and "还没有通过现场确认的报名" in response.get_data(as_text=True)
    assert count(Job) == 0


def test_queue_down_queues_no_publication(scene, client, auth, as_job, monkeypatch):
    batch, _people = scene
    auth.login("province", PASSWORD)

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(queue, "enqueue", down)
    response = post_publish(client, batch)
    assert response.status_code == 503 and "任务队列暂时不可用" in response.get_data(as_text=True)
    assert count(Job) == 0 and db.session.get(Batch, batch.id).admission_published_at is None


def test_publication_works_in_chunks_with_progress_and_in_one_transaction(world, monkeypatch):
    """Every chunk goes through transition_many, with progress after each; one commit at the end."""
    batch = residency_batch(world, capacities={("zz", "0100"): 3})
    for index in range(5):
        candidate(world, batch, "zz", ["0100"], 90 - index, minutes=index)
    monkeypatch.setattr(publication, "PUBLISH_CHUNK", 2)
    seen, commits = [], []
    original_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit", lambda: (commits.append(list(seen)), original_commit()))
    result = publish(db.session.get(Batch, batch.id), world.accounts["province"],
                     progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)] and (result.admitted, result.candidates) == (3, 5)
    assert commits[-1] == seen  # the publication's commit comes after the last chunk
    assert count(Application, Application.batch_id == batch.id, Application.status == Status.ADMITTED) == 3


def test_the_size_limit_is_gone():
    source = Path(publication.__file__).read_text(encoding="utf-8")
    assert "30000" not in source and "Too many applications" not in source
    ast.parse(source)
