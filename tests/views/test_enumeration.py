"""User enumeration, tried as an attacker: an anonymous visitor must not learn from registration or
the forgotten-password page whether an ID number or a mobile number is registered. The pages answer
byte for byte alike (the CSRF token and what was typed aside) until an SMS code proves the phone."""
from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from models import SmsCode, SmsLog, Trainee
from models.clock import CST
from tests.conftest import csrf_token
from tests.factories import id_number
from tests.portal_helpers import OutboxSender, last_code, texts_to

REG = "/portal/register"
FORGOT = "/portal/forgot"
TOKEN_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')
NEW_PHONE, OTHER_NEW_PHONE = "13912340001", "13956780001"


def text(response) -> str:
    return response.get_data(as_text=True)


def normalized(response, *typed: str) -> tuple[int, str]:
    """Status and page with the CSRF token and the values the visitor typed (and their masked
    forms) replaced by placeholders: what is left must not depend on who is registered."""
    html = TOKEN_RE.sub(r"\1TOKEN\2", text(response))
    for value in sorted(typed, key=len, reverse=True):
        html = html.replace(value, "TYPED")
        if re.fullmatch(r"1\d{10}", value):
            html = html.replace(value[:3] + "****" + value[-4:], "TYPED")
    return response.status_code, html


@pytest.fixture
def frozen():
    """The clock stands still (countdowns are computed at the same instant for both visitors)."""
    with time_machine.travel(datetime(2025, 3, 3, 10, 0, tzinfo=CST), tick=False) as traveller:
        yield traveller


def identity_step(client, number: str, mobile: str, action: str, code: str = ""):
    return client.post(REG, data={"name": "王医生", "id_number": number, "mobile": mobile, "code": code,
                                  "action": action, "csrf_token": csrf_token(client, REG)})


def visitor(app):
    return app.test_client()


@pytest.mark.parametrize("taken", ["id_number", "mobile"])
def test_registration_answers_alike_for_a_taken_and_a_new_identity_before_the_code(world, app, frozen, taken):
    registered = world.trainees["zy"]
    attacker, newcomer = visitor(app), visitor(app)
    probe = (registered.id_number, NEW_PHONE) if taken == "id_number" else (id_number("410102"), registered.mobile)
    fresh = (id_number("410103"), OTHER_NEW_PHONE)
    assert normalized(attacker.get(REG)) == normalized(newcomer.get(REG))
    for action, code in (("send_code", ""), ("next", ""), ("next", "000000")):
        seen = normalized(identity_step(attacker, *probe, action=action, code=code), *probe)
        expected = normalized(identity_step(newcomer, *fresh, action=action, code=code), *fresh)
        assert seen == expected, action
    status, html = seen
    assert status == 200 and "已注册" not in html and registered.name not in html
    assert 'data-wait="60"' in html  # the same countdown for both
    # both phones were texted a code: sending does not depend on who is registered
    assert len(texts_to(probe[1])) == 1 and len(texts_to(fresh[1])) == 1


def test_the_clash_is_told_once_the_code_proves_the_phone(world, app, frozen):
    registered = world.trainees["zy"]
    attacker, newcomer = visitor(app), visitor(app)
    identity_step(attacker, registered.id_number, NEW_PHONE, "send_code")
    identity_step(newcomer, id_number("410103"), OTHER_NEW_PHONE, "send_code")
    response = identity_step(attacker, registered.id_number, NEW_PHONE, "next", last_code(NEW_PHONE))
    html = text(response)
    assert response.status_code == 200
    assert "该身份证号码已注册" in html and "忘记密码" in html and "联系技术支持" in html
    assert "不能重复注册" in html and 'href="/portal/forgot"' in html
    assert registered.name not in html and registered.mobile not in html
    assert f'value="{registered.id_number}"' in html and f'value="{NEW_PHONE}"' in html  # what was typed stays
    # the code is spent: probing another ID number costs another text message
    response = identity_step(attacker, id_number("410104"), NEW_PHONE, "next", last_code(NEW_PHONE))
    assert "已使用过" in text(response)
    response = identity_step(newcomer, id_number("410103"), OTHER_NEW_PHONE, "next", last_code(OTHER_NEW_PHONE))
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == len(world.trainees)


def test_a_registered_mobile_is_told_after_its_code_with_the_way_forward(world, app, frozen):
    registered = world.trainees["js"]
    client = visitor(app)
    number = id_number("410105")
    identity_step(client, number, registered.mobile, "send_code")
    html = text(identity_step(client, number, registered.mobile, "next", last_code(registered.mobile)))
    assert "该手机号码已注册" in html and "忘记密码" in html and "联系技术支持" in html
    assert "该身份证号码已注册" not in html


def forgot(client, mobile: str, action: str = "send_code", code: str = "", password: str = "New.pass123"):
    data = {"mobile": mobile, "action": action, "code": code, "csrf_token": csrf_token(client, FORGOT)}
    if action != "send_code":
        data.update(password=password, confirm=password)
    return client.post(FORGOT, data=data)


@pytest.fixture
def registered_phone(world):
    account = world.accounts["trainee_zy"]
    account.phone = "13900001111"
    db.session.commit()
    return account.phone


def test_forgot_password_answers_alike_for_a_registered_and_an_unregistered_number(app, registered_phone, frozen):
    owner, attacker = visitor(app), visitor(app)
    unregistered = "13900002222"
    assert normalized(owner.get(FORGOT)) == normalized(attacker.get(FORGOT))
    steps = [("send_code", ""), ("send_code", ""),  # the second is refused by the same countdown
             ("reset", "000000"), ("reset", "")]
    for action, code in steps:
        seen = normalized(forgot(attacker, unregistered, action, code), unregistered)
        expected = normalized(forgot(owner, registered_phone, action, code), registered_phone)
        assert seen == expected, (action, code)
    first = normalized(forgot(visitor(app), unregistered, "reset", "123456"), unregistered)[1]
    assert "验证码错误" in first
    html = normalized(forgot(visitor(app), unregistered), unregistered)[1]
    assert "请 60 秒后再重新获取" in html
    # the message says it cautiously; only the registered phone got a text, and only its text is logged
    html = normalized(forgot(visitor(app), "13900003333"), "13900003333")[1]
    assert "如该手机号已注册，验证码已发送至 TYPED" in html and 'data-wait="60"' in html
    assert len(texts_to(registered_phone)) == 1 and texts_to(unregistered) == []
    assert db.session.scalars(select(SmsLog.phone)).all() == [registered_phone]


def test_forgot_password_keeps_the_same_limits_for_an_unregistered_number(app, registered_phone, frozen):
    app.config["SMS_MAX_PER_PHONE_PER_DAY"] = 2
    try:
        answers = {}
        for phone in (registered_phone, "13900002222"):
            client = visitor(app)
            for _attempt in range(3):
                response = forgot(client, phone)
                frozen.shift(61)
            answers[phone] = normalized(response, phone)
        assert answers[registered_phone] == answers["13900002222"]
        assert "该手机号 24 小时内获取验证码的次数过多" in answers["13900002222"][1]
        assert db.session.scalar(select(func.count()).select_from(SmsCode)) == 4
    finally:
        app.config["SMS_MAX_PER_PHONE_PER_DAY"] = 10


def test_the_code_resets_the_password_only_for_the_registered_number(app, registered_phone, auth, client):
    forgot(client, registered_phone)
    response = forgot(client, registered_phone, "reset", last_code(registered_phone))
    assert response.status_code == 302 and response.location.endswith("/login")
    assert auth.login("trainee_zy", "New.pass123").location.endswith("/portal/")


class SlowSender(OutboxSender):
    """A provider that takes its time, as a real one does over the network."""

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> None:
        time.sleep(0.2)
        super().send(phone, text)


def test_forgot_password_takes_as_long_for_an_unregistered_number(app, registered_phone):
    saved = dict(app.config)
    app.config.update(SMS_BACKEND="tests.views.test_enumeration:SlowSender", SMS_ANSWER_MIN_SECONDS=0.4)
    try:
        durations = {}
        for phone in (registered_phone, "13900002222"):
            client = visitor(app)
            token = csrf_token(client, FORGOT)
            started = time.monotonic()
            response = client.post(FORGOT, data={"mobile": phone, "action": "send_code", "csrf_token": token})
            durations[phone] = time.monotonic() - started
            assert response.status_code == 200
        assert len(texts_to(registered_phone)) == 1
        assert min(durations.values()) >= 0.4, durations
    finally:
        app.config.update(SMS_BACKEND=saved["SMS_BACKEND"], SMS_ANSWER_MIN_SECONDS=saved["SMS_ANSWER_MIN_SECONDS"])
