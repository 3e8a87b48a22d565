"""The one-time password reset link technical support sends by SMS, tried as an attacker would: the
link works once, then is refused; an expired one is refused (clock moved with time-machine); forged,
huge or malformed tokens get a Chinese message, never a 500; only the token's hash is stored."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from app.extensions import db
from models import Account, PasswordReset, SmsLog
from models.clock import CST
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.portal_helpers import last_code, last_link

SUPPORT = "/admin/support/"
START = datetime(2025, 3, 3, 9, 0, tzinfo=CST)


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def send_link(app, trainee) -> str:
    """Support sends a reset link (in a client of its own); returns its path as the phone shows it."""
    support = app.test_client()
    token = csrf_token(support, "/login")
    support.post("/login", data={"username": "support", "password": PASSWORD, "csrf_token": token})
    response = support.post(SUPPORT + "act/", data={"csrf_token": csrf_token(support, SUPPORT), "action": "reset",
                                                    "trainee_id": trainee.id, "reason": "学员来电"})
    assert response.status_code == 302
    return last_link(trainee.mobile)


def set_password(client, link: str, password: str = "Mine.2025x"):
    return client.post(link, data={"password": password, "confirm": password, "csrf_token": csrf_token(client, link)})


def password_hash(trainee) -> str:
    return db.session.get(Account, trainee.account_id).password_hash


def test_a_link_works_once_then_is_refused(world, app, client, auth, clock):
    zy = world.trainees["zy"]
    link = send_link(app, zy)
    form = client.get(link)
    assert form.status_code == 200 and "trainee_zy" in page(form) and "设置新密码" in page(form)
    assert form.headers["Referrer-Policy"] == "no-referrer" and "no-store" in form.headers["Cache-Control"]
    assert set_password(client, link).status_code == 302
    changed = password_hash(zy)
    again = client.get(link)
    assert again.status_code == 410 and "该重置密码链接已使用过" in page(again) and "忘记密码" in page(again)
    response = client.post(link, data={"password": "Other.2025x", "confirm": "Other.2025x",
                                       "csrf_token": csrf_token(client, "/portal/forgot")})
    assert response.status_code == 410 and "已使用过" in page(response)
    assert password_hash(zy) == changed
    assert auth.login("trainee_zy", "Mine.2025x").location.endswith("/portal/")


def test_an_expired_link_is_refused(world, app, client, clock):
    zy = world.trainees["zy"]
    before = password_hash(zy)
    link = send_link(app, zy)
    token = csrf_token(client, link)
    clock.shift(timedelta(minutes=29))
    assert client.get(link).status_code == 200
    clock.shift(timedelta(minutes=1, seconds=1))
    response = client.get(link)
    assert response.status_code == 410 and "该重置密码链接已过期" in page(response)
    response = client.post(link, data={"password": "Mine.2025x", "confirm": "Mine.2025x", "csrf_token": token})
    assert response.status_code == 410 and "已过期" in page(response)
    assert password_hash(zy) == before


def test_the_validity_is_a_setting(world, app, client, clock):
    app.config["PASSWORD_RESET_LINK_MINUTES"] = 5
    try:
        link = send_link(app, world.trainees["zy"])
        assert "5分钟内" in db.session.scalars(select(SmsLog.content)).one()
        clock.shift(timedelta(minutes=5))
        assert client.get(link).status_code == 410
    finally:
        app.config["PASSWORD_RESET_LINK_MINUTES"] = 30


def test_a_new_link_or_a_reset_by_code_voids_the_earlier_link(world, app, client, clock):
    zy = world.trainees["zy"]
    first = send_link(app, zy)
    clock.shift(61)
    second = send_link(app, zy)
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    account = db.session.get(Account, zy.account_id)
    account.phone = zy.mobile
    db.session.commit()
    token = csrf_token(client, "/portal/forgot")
    client.post("/portal/forgot", data={"mobile": zy.mobile, "action": "send_code", "csrf_token": token})
    response = client.post("/portal/forgot", data={"mobile": zy.mobile, "code": last_code(zy.mobile),
                                                   "password": "Code.2025x", "confirm": "Code.2025x",
                                                   "action": "reset", "csrf_token": token})
    assert response.status_code == 302
    assert client.get(second).status_code == 410


def test_the_new_password_follows_the_registration_rules_and_keeps_the_link(world, app, client):
    zy = world.trainees["zy"]
    before = password_hash(zy)
    link = send_link(app, zy)
    for password, problem in (("Ab.1234", "8-20"), ("Abcd12345", "特殊字符")):
        response = set_password(client, link, password)
        assert response.status_code == 200 and problem in page(response)
    response = client.post(link, data={"password": "Mine.2025x", "confirm": "Mine.2025y",
                                       "csrf_token": csrf_token(client, link)})
    assert response.status_code == 200 and "两次输入的密码不一致" in page(response)
    assert password_hash(zy) == before
    assert set_password(client, link).status_code == 302


@pytest.mark.parametrize("token", ["A" * 43, "A" * 42, "x" * 10_000, "abc%00def", "%E2%80%AE" + "A" * 40,
                                   "😀" * 11, "99999999999999999999999999999999999999999999"])
def test_forged_or_malformed_links_get_a_chinese_message_not_a_500(world, client, token):
    response = client.get("/portal/reset/" + token)
    assert response.status_code == 404
    assert "该重置密码链接无效" in page(response)
    response = client.post("/portal/reset/" + token, data={"password": "Mine.2025x", "confirm": "Mine.2025x",
                                                           "csrf_token": csrf_token(client, "/portal/forgot")})
    assert response.status_code == 404


def test_only_the_hash_of_the_token_is_stored_and_the_log_is_masked(world, app):
    zy = world.trainees["zy"]
    link = send_link(app, zy)
    token = link.rsplit("/", 1)[1]
    [row] = db.session.execute(text("SELECT * FROM password_reset")).all()
    assert not any(token in str(value) for value in row)
    assert db.session.scalars(select(PasswordReset)).one().expires_at == db.session.scalars(
        select(PasswordReset)).one().created_at + timedelta(minutes=30)
    for table in ("sms_log", "audit_log"):
        for stored in db.session.execute(text(f"SELECT * FROM {table}")).all():
            assert not any(token in str(value) for value in stored), table
