"""Text messages: the pluggable sender and its log, verification codes (hashed, once, limited),
and the superuser's SMS log in the back office."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

import app.infra.sms as sms
from app.config import Config
from app.extensions import db
from app.infra.audit import acting_as
from app.infra.sms import (
    ConsoleSender,
    SmsCodeError,
    SmsConfigError,
    SmsRateError,
    SmsSender,
    SmsSendError,
    get_sender,
    issue_code,
    seconds_until_resend,
    send_sms,
    verify_code,
)
from models import AuditLog, SmsCode, SmsLog, SmsPurpose
from tests.conftest import OUTBOX_SENDER
from tests.factories import PASSWORD

PHONE = "13912345678"
REG = SmsPurpose.REGISTER
CODE_TEXT = re.compile(r"^【河南省卫生健康培训招收平台】您的验证码是 (\d{6})，5分钟内有效。请勿泄露。$")


class RecordingSender(SmsSender):
    """Keeps what it was asked to send; reads its own key from the config it was built with."""

    name = "recording"
    sent: list[tuple[str, str]] = []

    def __init__(self, config):
        super().__init__(config)
        self.api_key = config.get("SMS_API_KEY")

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> None:
        RecordingSender.sent.append((phone, text))


class FailingSender(SmsSender):
    name = "failing"

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> None:
        raise SmsSendError("网关超时")


class BrokenSender(SmsSender):
    name = "broken"

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> None:
        raise ConnectionError("connection refused")


class NotASender:
    pass


@pytest.fixture
def backend(app):
    """Point SMS_BACKEND at a sender for one test; the previous settings come back afterwards."""
    saved = {key: app.config.get(key) for key in ("SMS_BACKEND", "SMS_API_KEY")}
    RecordingSender.sent = []

    def use(path: str, **settings):
        app.config["SMS_BACKEND"] = path
        app.config.update(settings)
    yield use
    for key, value in saved.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value


@pytest.fixture
def recording(backend):
    backend("tests.infra.test_sms:RecordingSender")
    return RecordingSender.sent


class Clock:
    def __init__(self):
        self.moment = sms.now().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the SMS module's time; ``clock.advance(s)`` moves it on."""
    frozen = Clock()
    monkeypatch.setattr(sms, "now", frozen)
    return frozen


def last_code(recording) -> str:
    match = CODE_TEXT.match(recording[-1][1])
    assert match, recording[-1][1]
    return match.group(1)


def stored_logs() -> list[SmsLog]:
    db.session.rollback()
    return list(db.session.scalars(select(SmsLog).order_by(SmsLog.id)))


def stored_codes() -> list[SmsCode]:
    db.session.rollback()
    return list(db.session.scalars(select(SmsCode).order_by(SmsCode.id)))


def refused(call, *args) -> str:
    with pytest.raises(SmsCodeError) as info:
        call(*args)
    return str(info.value)


# --- senders and the log ----------------------------------------------------------------------

def test_console_sender_is_the_default_and_every_message_is_logged(app, backend, caplog):
    assert Config.SMS_BACKEND == "console"
    backend("console")  # the suite's own sender is the console sender that also keeps what it sends
    assert type(get_sender()) is ConsoleSender
    caplog.set_level(logging.INFO, logger=app.logger.name)
    log = send_sms(PHONE, "您的报名已通过审核。", SmsPurpose.NOTIFY)
    db.session.commit()
    assert "SMS to 13912345678: 您的报名已通过审核。" in caplog.text
    [row] = stored_logs()
    assert row.id == log.id
    assert (row.phone, row.purpose, row.content, row.backend, row.succeeded, row.error) == (
        PHONE, "notify", "您的报名已通过审核。", "console", True, None)
    assert abs(row.created_at - sms.now()) < timedelta(seconds=5)


def test_a_backend_named_by_dotted_path_is_built_with_the_config(recording, backend):
    backend("tests.infra.test_sms:RecordingSender", SMS_API_KEY="k-123")
    sender = get_sender()
    assert isinstance(sender, RecordingSender) and sender.api_key == "k-123"
    log = send_sms(PHONE, "测试短信", SmsPurpose.NOTIFY)
    db.session.commit()
    assert recording == [(PHONE, "测试短信")]
    assert get_sender() is sender  # built once
    [row] = stored_logs()
    assert (row.id, row.backend, row.succeeded) == (log.id, "recording", True)


def test_the_backend_setting_is_restored_after_the_test(app):
    assert app.config["SMS_BACKEND"] == OUTBOX_SENDER
    assert "SMS_API_KEY" not in app.config
    assert isinstance(get_sender(), ConsoleSender)


def test_a_failing_provider_is_logged_not_raised(backend):
    backend("tests.infra.test_sms:FailingSender")
    log = send_sms(PHONE, "测试短信", SmsPurpose.NOTIFY)
    assert log.succeeded is False
    backend("tests.infra.test_sms:BrokenSender")
    log = send_sms(PHONE, "第二条", SmsPurpose.NOTIFY)
    assert log.succeeded is False
    db.session.commit()
    first, second = stored_logs()
    assert (first.backend, first.succeeded, first.error, first.content) == ("failing", False, "网关超时", "测试短信")
    assert (second.backend, second.succeeded, second.error) == ("broken", False,
                                                               "ConnectionError: connection refused")


def test_a_misconfigured_backend_is_refused_clearly(backend):
    for path in ("nonsense", "tests.infra.test_sms:NotASender", "tests.infra.test_sms:Missing", "no.such.module:Sender"):
        backend(path)
        with pytest.raises(SmsConfigError):
            get_sender()


def test_phone_and_purpose_are_checked(recording):
    for phone in ("1391234567", "139123456789", "23912345678", "1391234567x", ""):
        with pytest.raises(ValueError):
            send_sms(phone, "测试", SmsPurpose.NOTIFY)
    with pytest.raises(ValueError):
        send_sms(PHONE, "测试", "marketing")
    assert recording == [] and stored_logs() == []


# --- codes ------------------------------------------------------------------------------------

def test_a_code_is_sent_and_only_its_hash_is_stored(app, recording):
    record = issue_code(PHONE, REG, "10.0.0.1")
    code = last_code(recording)
    assert recording[-1][0] == PHONE
    [row] = stored_codes()
    assert row.id == record.id
    expected = hmac.new(b"test-secret", f"{PHONE}\x1f{REG}\x1f{code}".encode(), hashlib.sha256).hexdigest()
    assert row.code_hash == expected and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(seconds=300)
    assert (row.phone, row.purpose, row.address, row.attempts, row.used_at) == (PHONE, REG, "10.0.0.1", 0, None)
    stored = db.session.execute(text("SELECT * FROM sms_code")).one()
    assert not any(code in str(value) for value in stored)
    [log] = stored_logs()  # the message is logged with the code masked; the phone got it in clear
    assert (log.purpose, log.succeeded) == (REG, True) and code not in log.content
    assert log.content == recording[-1][1].replace(code, "****")
    assert log.content == "【河南省卫生健康培训招收平台】您的验证码是 ****，5分钟内有效。请勿泄露。"
    stored = db.session.execute(text("SELECT * FROM sms_log")).one()
    assert not any(code in str(value) for value in stored)


def test_the_console_prints_the_code_for_development_but_the_log_row_is_masked(app, backend, caplog):
    backend("console")
    caplog.set_level(logging.INFO, logger=app.logger.name)
    issue_code(PHONE, REG)
    code = re.search(r"验证码是 (\d{6})", caplog.text).group(1)
    [log] = stored_logs()
    assert code not in log.content and "****" in log.content


def test_a_request_for_an_unregistered_number_sends_nothing_but_counts_alike(recording, clock):
    """deliver=False: no message, no log row; an unusable code under the same countdown and limits."""
    issue_code(PHONE, SmsPurpose.RESET_PASSWORD, "10.0.0.1", deliver=False)
    assert recording == [] and stored_logs() == []
    [row] = stored_codes()
    assert (row.phone, row.address, row.attempts) == (PHONE, "10.0.0.1", 0)
    assert seconds_until_resend(PHONE, SmsPurpose.RESET_PASSWORD) == 60
    with pytest.raises(SmsRateError):
        issue_code(PHONE, SmsPurpose.RESET_PASSWORD, "10.0.0.1", deliver=False)
    for guess in ("000000", "123456"):
        assert refused(verify_code, PHONE, SmsPurpose.RESET_PASSWORD, guess).startswith("验证码错误")


def test_codes_are_random(recording, clock):
    codes = set()
    for _ in range(5):
        issue_code(PHONE, REG)
        codes.add(last_code(recording))
        clock.advance(61)
    assert len(codes) > 1


def test_the_right_code_verifies_once(recording):
    issue_code(PHONE, REG, "10.0.0.1")
    code = last_code(recording)
    assert verify_code(PHONE, REG, code) is True
    db.session.commit()
    [row] = stored_codes()
    assert row.used_at is not None
    assert refused(verify_code, PHONE, REG, code) == "该验证码已使用过，请重新获取。"


def test_a_code_is_bound_to_its_phone_and_purpose(recording):
    issue_code(PHONE, REG)
    code = last_code(recording)
    assert refused(verify_code, "13900000000", REG, code) == "请先获取短信验证码。"
    assert refused(verify_code, PHONE, SmsPurpose.RESET_PASSWORD, code) == "请先获取短信验证码。"
    assert verify_code(PHONE, REG, code) is True


def test_no_code_sent(app):
    assert refused(verify_code, PHONE, REG, "123456") == "请先获取短信验证码。"


def test_wrong_codes_are_counted_and_five_kill_the_code(recording):
    issue_code(PHONE, REG)
    code = last_code(recording)
    wrong = "000000" if code != "000000" else "111111"
    assert refused(verify_code, PHONE, REG, wrong) == "验证码错误，您还可以再试 4 次。"
    db.session.rollback()  # the caller gives up: the attempt still counts
    assert stored_codes()[0].attempts == 1
    assert refused(verify_code, PHONE, REG, "12ab") == "验证码错误，您还可以再试 3 次。"
    assert refused(verify_code, PHONE, REG, "") == "验证码错误，您还可以再试 2 次。"
    assert refused(verify_code, PHONE, REG, wrong) == "验证码错误，您还可以再试 1 次。"
    assert refused(verify_code, PHONE, REG, wrong) == "验证码输错次数过多，已失效，请重新获取。"
    assert refused(verify_code, PHONE, REG, code) == "验证码输错次数过多，已失效，请重新获取。"
    assert stored_codes()[0].attempts == 5


def test_an_expired_code_is_refused(recording):
    issue_code(PHONE, REG)
    code = last_code(recording)
    db.session.execute(update(SmsCode).values(expires_at=sms.now() - timedelta(seconds=1)))
    db.session.commit()
    assert refused(verify_code, PHONE, REG, code) == "验证码已过期，请重新获取。"
    assert stored_codes()[0].attempts == 0  # not counted as a wrong attempt


def test_a_code_expires_after_five_minutes(recording, clock):
    issue_code(PHONE, REG)
    code = last_code(recording)
    clock.advance(299)
    assert verify_code(PHONE, REG, code) is True
    issue_code(PHONE, SmsPurpose.RESET_PASSWORD)
    code = last_code(recording)
    clock.advance(300)
    assert refused(verify_code, PHONE, SmsPurpose.RESET_PASSWORD, code) == "验证码已过期，请重新获取。"


def test_a_new_code_replaces_the_previous_one(recording, clock):
    issue_code(PHONE, REG)
    old = last_code(recording)
    clock.advance(61)
    issue_code(PHONE, REG)
    new = last_code(recording)
    if old != new:
        assert refused(verify_code, PHONE, REG, old) == "验证码错误，您还可以再试 4 次。"
    assert verify_code(PHONE, REG, new) is True


def test_two_concurrent_checks_cannot_both_succeed(recording, monkeypatch):
    """The second check read the code before the first marked it used: the conditional update refuses it."""
    issue_code(PHONE, REG)
    code = last_code(recording)
    stale = stored_codes()[0]
    db.session.expunge(stale)
    assert verify_code(PHONE, REG, code) is True
    db.session.commit()
    monkeypatch.setattr(sms, "_latest", lambda phone, purpose: stale)
    assert stale.used_at is None
    assert refused(verify_code, PHONE, REG, code) == "该验证码已使用过，请重新获取。"


def test_a_failed_send_stores_no_code_and_does_not_block_a_retry(backend, recording):
    backend("tests.infra.test_sms:FailingSender")
    with pytest.raises(SmsSendError) as info:
        issue_code(PHONE, REG, "10.0.0.1")
    assert str(info.value) == "短信发送失败，请稍后重试。"
    assert info.value.log.succeeded is False
    assert stored_codes() == []
    [log] = stored_logs()
    assert (log.succeeded, log.error, log.purpose) == (False, "网关超时", REG)
    assert seconds_until_resend(PHONE, REG) == 0
    backend("tests.infra.test_sms:RecordingSender")
    issue_code(PHONE, REG, "10.0.0.1")
    assert verify_code(PHONE, REG, last_code(recording)) is True


def test_codes_and_messages_stay_out_of_the_audit_log(world, recording):
    with acting_as(world.accounts["support"]):
        issue_code(PHONE, SmsPurpose.RESET_PASSWORD)
        send_sms(PHONE, "重置链接 https://example.cn/portal/reset/abc", SmsPurpose.RESET_LINK, hide=("abc",))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


# --- limits -----------------------------------------------------------------------------------

def test_a_resend_within_a_minute_is_refused_with_a_countdown(recording, clock):
    assert seconds_until_resend(PHONE, REG) == 0
    issue_code(PHONE, REG)
    assert seconds_until_resend(PHONE, REG) == 60
    clock.advance(25)
    assert seconds_until_resend(PHONE, REG) == 35
    with pytest.raises(SmsRateError) as info:
        issue_code(PHONE, REG)
    assert str(info.value) == "验证码刚刚已发送，请 35 秒后再重新获取。"
    assert info.value.seconds == 35
    assert len(recording) == 1 and len(stored_codes()) == 1  # nothing sent, nothing stored
    assert seconds_until_resend(PHONE, SmsPurpose.RESET_PASSWORD) == 0  # per purpose
    clock.advance(35)
    assert seconds_until_resend(PHONE, REG) == 0
    issue_code(PHONE, REG)
    assert len(recording) == 2


def test_at_most_ten_codes_per_phone_a_day(recording, clock):
    purposes = [REG, SmsPurpose.RESET_PASSWORD]
    for n in range(10):
        issue_code(PHONE, purposes[n % 2], f"10.0.0.{n}")
        clock.advance(3600)  # 10 codes over 10 hours
    with pytest.raises(SmsRateError) as info:
        issue_code(PHONE, REG, "10.0.1.1")
    wait = 14 * 3600  # the first code leaves the 24-hour window 14 hours from now
    assert info.value.seconds == wait
    assert str(info.value) == f"该手机号 24 小时内获取验证码的次数过多，请 {wait} 秒后再试。"
    issue_code("13900000001", REG, "10.0.1.1")  # another phone is not affected
    clock.advance(wait)
    issue_code(PHONE, REG, "10.0.1.1")
    assert len(stored_codes()) == 12


def test_at_most_twenty_codes_per_address_an_hour(recording, clock):
    for n in range(20):
        issue_code(f"1380000{n:04d}", REG, "203.0.113.9")
        clock.advance(60)
    with pytest.raises(SmsRateError) as info:
        issue_code("13811110000", REG, "203.0.113.9")
    assert info.value.seconds == 3600 - 20 * 60
    assert str(info.value) == "您所在的网络 1 小时内获取验证码的次数过多，请 2400 秒后再试。"
    issue_code("13811110000", REG, "203.0.113.10")  # another address is not affected
    clock.advance(2400)
    issue_code("13811110001", REG, "203.0.113.9")


def test_limits_follow_the_settings(app, recording, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_RESEND_SECONDS", 10)
    monkeypatch.setitem(app.config, "SMS_CODE_TTL_SECONDS", 120)
    issue_code(PHONE, REG)
    assert seconds_until_resend(PHONE, REG) == 10
    assert recording[-1][1].endswith("2分钟内有效。请勿泄露。")


# --- the back office --------------------------------------------------------------------------

def make_logs():
    rows = [SmsLog(phone="13911112222", purpose=SmsPurpose.REGISTER, content="验证码短信甲", backend="console",
                   succeeded=True, created_at=datetime(2025, 3, 1, 9, 30)),
            SmsLog(phone="13933334444", purpose=SmsPurpose.NOTIFY, content="通知短信乙", backend="aliyun",
                   succeeded=False, state="failed", error="余额不足", created_at=datetime(2025, 4, 2, 10, 0))]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_superuser_reads_the_sms_log(world, client, auth):
    first, second = make_logs()
    auth.login("super", PASSWORD)
    html = client.get("/admin/sms_log/").get_data(as_text=True)
    for label in ("创建时间", "发送时间", "手机号", "用途", "短信内容", "发送通道", "状态", "尝试次数", "失败原因", "短信记录"):
        assert label in html
    for value in ("139****2222", "注册验证码", "验证码短信甲", "139****4444", "通知", "通知短信乙", "aliyun",
                  "余额不足", "2025年4月2日 10:00", "已发送", "发送失败"):
        assert value in html
    assert "13911112222" not in html  # mobiles are masked in the list; the details page reveals them
    assert html.index("通知短信乙") < html.index("验证码短信甲")  # newest first
    assert "/admin/sms_log/new/" not in html and "/admin/sms_log/edit/" not in html
    details = client.get(f"/admin/sms_log/details/?id={second.id}").get_data(as_text=True)
    assert "余额不足" in details and "通知" in details
    assert client.get("/admin/sms_log/new/").status_code in (302, 403)
    assert client.get(f"/admin/sms_log/edit/?id={first.id}").status_code in (302, 403)
    export = client.get("/admin/sms_log/export/xlsx/")
    assert export.status_code == 200 and "spreadsheetml" in export.content_type


def test_the_sms_log_searches_by_exact_phone_and_filters(world, client, auth):
    make_logs()
    auth.login("super", PASSWORD)
    html = client.get("/admin/sms_log/?search=13911112222").get_data(as_text=True)
    assert "验证码短信甲" in html and "通知短信乙" not in html
    html = client.get("/admin/sms_log/?search=1391111").get_data(as_text=True)
    assert "验证码短信甲" not in html and "通知短信乙" not in html
    html = client.get("/admin/sms_log/?flt1_purpose_equals=notify").get_data(as_text=True)
    assert "通知短信乙" in html and "验证码短信甲" not in html
    html = client.get("/admin/sms_log/?flt1_created_at_between=2025-03-01+to+2025-03-31").get_data(as_text=True)
    assert "验证码短信甲" in html and "通知短信乙" not in html
    html = client.get("/admin/sms_log/?flt1_sent_successfully_equals=0").get_data(as_text=True)
    assert "通知短信乙" in html and "验证码短信甲" not in html
    for odd in ("?search=%00", "?search=" + "9" * 300, "?flt1_purpose_equals=nonsense", "?page=-1",
                "?flt1_created_at_between=garbage", "?sort=99"):
        assert client.get("/admin/sms_log/" + odd).status_code == 200, odd
    assert client.get("/admin/sms_log/details/?id=abc").status_code in (302, 404)


@pytest.mark.parametrize("username", ["province", "support", "county_zy", "city_zz", "base_zz", "trainee_zy"])
def test_nobody_else_opens_the_sms_log(world, client, auth, username):
    first, _second = make_logs()
    auth.login(username, PASSWORD)
    for url in ("/admin/sms_log/", f"/admin/sms_log/details/?id={first.id}", "/admin/sms_log/export/xlsx/"):
        assert client.get(url).status_code == 403, url
    if username != "trainee_zy":
        assert "/admin/sms_log/" not in client.get("/admin/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get("/admin/sms_log/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
