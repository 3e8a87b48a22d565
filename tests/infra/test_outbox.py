"""The SMS outbox and the task queue: a notification is written with the change that causes it, sent by
the worker with retries and an idempotency key, never twice, never for a rolled-back change, and not
lost when the web process dies or the queue storage is down."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app import create_app
from app.config import PROJECT_ROOT
from app.domain.workflow import transition
from app.extensions import db
from app.infra import notify, queue
from app.infra.sms import SmsSendError
from models import Application, AuditLog, SmsLog, Status
from models.clock import now
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.portal_helpers import OutboxSender, texts_to

APPROVED_TEXT = "【河南省卫生健康培训招收平台】您报名的测试全科批次：待市级审核。"


def outbox() -> list[SmsLog]:
    db.session.expire_all()
    return db.session.scalars(select(SmsLog).order_by(SmsLog.id)).all()


def submitted(world):
    """trainee_zy's application to the GP batch, submitted (committed)."""
    application = world.applications["zy"]
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(status=Status.SUBMITTED).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(application)
    return application


def approve(world):
    """The county reviewer approves trainee_zy's submitted application (the caller commits)."""
    transition(submitted(world), "county_approve", world.accounts["county_zy"])


class FlakySender(OutboxSender):
    """Refuses the first ``failures`` attempts, then delivers; remembers each key it was given."""

    failures = 2
    keys: list[str] = []

    def send(self, phone, text, idempotency_key=None):
        FlakySender.keys.append(idempotency_key)
        if len(FlakySender.keys) <= FlakySender.failures:
            raise SmsSendError("网关超时")
        super().send(phone, text)
        return f"msg-{len(FlakySender.keys)}"


@pytest.fixture
def flaky(app):
    FlakySender.keys = []
    backend = app.config["SMS_BACKEND"]
    app.config["SMS_BACKEND"] = "tests.infra.test_outbox:FlakySender"
    yield FlakySender
    app.config["SMS_BACKEND"] = backend


@pytest.fixture
def no_hint():
    """The web process 'dies' right after its commit: no after-commit hook runs."""
    event.remove(Session, "after_commit", notify._hint_after_commit)
    yield
    event.listen(Session, "after_commit", notify._hint_after_commit)


# --- retries, idempotency -------------------------------------------------------------------------

def test_the_provider_failing_twice_then_succeeding_delivers_once(world, flaky):
    mobile = world.trainees["zy"].mobile
    approve(world)
    db.session.commit()  # the hint runs the first attempt at once (immediate queue in tests)
    [row] = outbox()
    assert (row.state, row.attempts, row.error) == ("pending", 1, "网关超时")
    first_retry = row.next_attempt_at
    assert notify.deliver_outbox(moment=first_retry - timedelta(seconds=1))["sent"] == 0  # not due yet
    notify.deliver_outbox(moment=first_retry)
    [row] = outbox()
    assert (row.state, row.attempts) == ("pending", 2)
    assert row.next_attempt_at - first_retry == timedelta(seconds=60)  # 30 s, then 60 s: the wait doubles
    notify.deliver_outbox(moment=row.next_attempt_at)
    [row] = outbox()
    assert (row.state, row.attempts, row.succeeded, row.provider_answer, row.error) == ("sent", 3, True, "msg-3", None)
    assert texts_to(mobile) == [APPROVED_TEXT]  # one message on the phone
    assert flaky.keys == [row.idempotency_key] * 3  # every attempt carried the same key
    assert notify.deliver_outbox(moment=now() + timedelta(hours=2)) == {"sent": 0, "pending": 0, "failed": 0}
    assert texts_to(mobile) == [APPROVED_TEXT]


def test_a_message_fails_for_good_after_the_last_attempt(world, flaky, app):
    flaky.failures = 99
    try:
        approve(world)
        db.session.commit()
        for _attempt in range(app.config["OUTBOX_MAX_ATTEMPTS"]):
            notify.deliver_outbox(moment=now() + timedelta(hours=3 + _attempt))
    finally:
        flaky.failures = 2
    [row] = outbox()
    assert (row.state, row.attempts, row.succeeded) == ("failed", app.config["OUTBOX_MAX_ATTEMPTS"], False)
    assert row.provider_answer == "网关超时" and row.next_attempt_at is None
    assert texts_to(world.trainees["zy"].mobile) == []


def test_a_row_left_sending_by_a_killed_worker_is_sent_later_with_the_same_key(world, no_hint, flaky):
    flaky.failures = 0
    try:
        approve(world)
        db.session.commit()
        [claimed] = notify.claim(now(), 10)  # the worker claims it, then dies before sending
        assert [r.state for r in outbox()] == ["sending"]
        assert notify.deliver_outbox()["sent"] == 0  # another worker leaves a fresh claim alone
        notify.deliver_outbox(moment=now() + timedelta(minutes=6))
    finally:
        flaky.failures = 2
    [row] = outbox()
    assert row.state == "sent" and flaky.keys == [claimed[3]] == [row.idempotency_key]


# --- the web process dies, a rollback, two workers ------------------------------------------------

def test_the_web_process_dying_after_commit_loses_nothing(world, no_hint):
    mobile = world.trainees["zy"].mobile
    approve(world)
    db.session.commit()
    [row] = outbox()
    assert row.state == "pending" and texts_to(mobile) == []  # committed with the change, not sent
    assert notify.deliver_outbox() == {"sent": 1, "pending": 0, "failed": 0}  # the worker's periodic sweep
    assert [r.state for r in outbox()] == ["sent"] and texts_to(mobile) == [APPROVED_TEXT]


def test_a_rolled_back_change_leaves_nothing_to_send(world):
    approve(world)
    assert [r.state for r in outbox_in_session()] == ["pending"]  # written in the change's transaction
    db.session.rollback()
    assert outbox() == []
    assert notify.deliver_outbox() == {"sent": 0, "pending": 0, "failed": 0}
    assert OutboxSender.sent == []
    assert db.session.get(Application, world.applications["zy"].id).status == Status.SUBMITTED


def outbox_in_session() -> list[SmsLog]:
    return db.session.scalars(select(SmsLog)).all()


def test_two_workers_claiming_at_once_never_send_a_message_twice(world, app, no_hint):
    phones = [f"1390000{n:04d}" for n in range(40)]
    notify.queue_many(db.session(), [(phone, f"通知 {phone}") for phone in phones])
    db.session.commit()
    sent: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    class SlowSender(OutboxSender):
        def send(self, phone, text, idempotency_key=None):
            time.sleep(0.005)
            with lock:
                sent.append(idempotency_key)

    def worker():
        try:
            with app.app_context():
                app.extensions["sms_sender"] = (app.config["SMS_BACKEND"], SlowSender(app.config))
                start.wait()
                notify.deliver_outbox(batch=5)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    app.extensions.pop("sms_sender", None)
    assert not errors, errors
    rows = outbox()
    assert sorted(sent) == sorted(r.idempotency_key for r in rows)  # each message once, none twice
    assert len(set(sent)) == len(sent) == 40
    assert {(r.state, r.attempts) for r in rows} == {("sent", 1)}


# --- the SMS log in the back office: states and resend --------------------------------------------

def failed_notification(world) -> SmsLog:
    notify.queue_sms(db.session(), world.trainees["zy"].mobile, APPROVED_TEXT)
    db.session.flush()
    row = db.session.scalars(select(SmsLog)).one()
    row_id = row.id
    db.session.execute(SmsLog.__table__.update().where(SmsLog.id == row_id).values(
        state="failed", attempts=5, error="网关拒绝", provider_answer="网关拒绝"))
    db.session.commit()
    return db.session.get(SmsLog, row_id)


def post_resend(client, ids):
    return client.post("/admin/sms_log/action/", data={
        "action": "resend", "rowid": ids, "csrf_token": csrf_token(client, "/admin/sms_log/")},
        follow_redirects=True)


def test_the_sms_log_shows_each_state_in_chinese_and_a_superuser_resends_a_failed_one(world, client, auth, no_hint):
    row = failed_notification(world)
    notify.queue_sms(db.session(), "13900000001", "另一条通知")
    db.session.commit()
    auth.login("super", PASSWORD)
    html = client.get("/admin/sms_log/").get_data(as_text=True)
    assert "发送失败" in html and "等待发送" in html and "重新发送" in html
    event.listen(Session, "after_commit", notify._hint_after_commit)  # the web process lives this time
    try:
        html = post_resend(client, [str(row.id)]).get_data(as_text=True)
    finally:
        event.remove(Session, "after_commit", notify._hint_after_commit)
    assert "1 条通知将重新发送。" in html
    again = db.session.get(SmsLog, row.id)
    assert (again.state, again.attempts, again.idempotency_key) == ("sent", 1, row.idempotency_key)
    assert texts_to(world.trainees["zy"].mobile) == [APPROVED_TEXT]
    [audit] = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "sms_log")).all()
    assert (audit.record_id, audit.old_value, audit.new_value, audit.actor_id) == (
        str(row.id), "failed", "pending", world.accounts["super"].id)


def test_resend_refuses_bad_input_in_chinese(world, client, auth):
    row = failed_notification(world)
    auth.login("super", PASSWORD)
    for forged in (["abc"], ["99999999999999999999999"], ["1\x00"], ["x" * 10000], [str(row.id), "-1"]):
        response = post_resend(client, forged)
        assert response.status_code == 200 and "记录编号无效。" in response.get_data(as_text=True), forged
    response = post_resend(client, ["987654321"])  # no such message
    assert "只有发送失败的通知短信可以重新发送。" in response.get_data(as_text=True)
    notify.deliver_outbox()
    sent = failed_notification_sent(world)
    response = post_resend(client, [str(sent.id)])  # a message that went is not sent again
    assert "只有发送失败的通知短信可以重新发送。" in response.get_data(as_text=True)
    assert db.session.get(SmsLog, row.id).state == "failed"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.table_name == "sms_log")) == 0


def failed_notification_sent(world) -> SmsLog:
    notify.queue_sms(db.session(), "13900000002", "已发送的通知")
    db.session.commit()
    notify.deliver_outbox()
    return db.session.scalars(select(SmsLog).where(SmsLog.phone == "13900000002")).one()


def test_only_a_superuser_opens_the_sms_log_or_resends(world, client, auth):
    row = failed_notification(world)
    auth.login("province", PASSWORD)
    assert client.get("/admin/sms_log/").status_code == 403
    response = client.post("/admin/sms_log/action/", data={
        "action": "resend", "rowid": [str(row.id)], "csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 403
    assert db.session.get(SmsLog, row.id).state == "failed"


# --- the queue storage down, readiness and metrics ------------------------------------------------

def test_the_queue_storage_down_loses_nothing(world, app):
    down = create_app({**{k: v for k, v in app.config.items() if k.isupper()},
                       "HUEY_URL": "redis://127.0.0.1:1/0"})  # nothing listens there
    application_id = submitted(world).id
    with down.app_context():
        application = db.session.get(Application, application_id)
        transition(application, "county_approve", db.session.get(type(world.accounts["county_zy"]),
                                                                   world.accounts["county_zy"].id))
        db.session.commit()  # the hint cannot be queued: logged, not raised
        ready = down.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["checks"]["queue_storage"] == {"ok": False, "detail": "ConnectionError"}
        assert ready.get_json()["checks"]["database"]["ok"] is True
        metrics = down.test_client().get("/metrics").get_data(as_text=True)
        assert "platform_queue_up 0.0" in metrics
    rows = outbox()
    assert [r.state for r in rows] == ["pending"]
    assert db.session.get(Application, application_id).status == Status.COUNTY_APPROVED
    assert notify.deliver_outbox()["sent"] == 1  # the sweep, once a worker runs again
    assert texts_to(world.trainees["zy"].mobile) == [APPROVED_TEXT]


def test_readyz_and_metrics_show_the_queue(client, world, no_hint):
    body = client.get("/readyz").get_json()
    assert body["checks"]["queue_storage"] == {"ok": True, "detail": "ok"}
    approve(world)
    db.session.commit()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'platform_sms_outbox{state="pending"} 1.0' in metrics
    assert 'platform_queue_depth{kind="pending"} 0.0' in metrics and "platform_queue_up 1.0" in metrics


@pytest.mark.xdist_group("redis")  # shares Redis database 14 with the other Redis tests
def test_a_redis_queue_holds_the_hint_until_a_worker_takes_it(app):
    redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()  # fails when Redis is missing
    shared = create_app({**{k: v for k, v in app.config.items() if k.isupper()},
                         "HUEY_URL": "redis://127.0.0.1:6379/14"})
    with shared.app_context():
        huey = queue.get_huey()
        huey.flush()
        task_id = queue.hint(notify.DELIVER)
        assert task_id and queue.pending_count() == 1
        assert shared.test_client().get("/readyz").get_json()["checks"]["queue_storage"]["ok"] is True
        huey.flush()


def test_a_queue_url_nobody_knows_is_refused():
    with pytest.raises(queue.QueueConfigError):
        queue.make_huey("amqp://broker", "instance")


# --- a real worker process ------------------------------------------------------------------------

def test_flask_worker_sends_what_the_web_process_left_and_logs_each_task(world, app, tmp_path, no_hint):
    mobile = world.trainees["zy"].mobile
    approve(world)
    db.session.commit()
    assert [r.state for r in outbox()] == ["pending"]
    environment = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                   "HUEY_URL": f"sqlite:///{tmp_path / 'queue.db'}", "HUEY_TICK_SECONDS": "1",
                   "UPLOAD_FOLDER": str(tmp_path / "uploads"), "SMS_BACKEND": "console", "APP_ENV": "development"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "2"],
                              cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [r.state for r in outbox()] != ["sent"]:
            time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGINT)  # a graceful stop
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output[-3000:]
    [row] = outbox()
    assert (row.state, row.attempts, row.backend) == ("sent", 1, "console"), output[-3000:]
    assert f"SMS to {mobile}: {APPROVED_TEXT}" in output  # the worker's console sender
    assert "outbox sweep: 1 sent, 0 to retry, 0 failed" in output  # the sweep that found the message
    assert "task notify.sweep" not in output  # sweeps each tick: their start and end are DEBUG lines
    assert "Executing app.infra.queue" not in output and "Enqueueing periodic task" not in output  # nor Huey's
