"""Signing in, tried as an attacker would: simultaneous wrong passwords, a guesser at one address
against the real user at another, the picture sum, unlocking by SMS, the staff's second factor and
the remembered browser, and the first change of an administrator's password.

The concurrent tests run threads against the test database (SQLite, or PostgreSQL with
TEST_DATABASE_URL); each thread is a browser of its own at an address of its own.
"""
from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, update

from app.config import Config
from app.extensions import db
from app.infra import throttle
from models import Account, SmsCode, SmsLog
from models.clock import now
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.portal_helpers import last_code

WRONG = "用户名或密码错误。"
LOCKED = "登录失败次数过多，账号已被锁定"
PICTURE_MISSING = "请填写图中算式的计算结果。"
PICTURE_WRONG = "计算结果错误，请按新图片重新填写。"
WAIT = "登录尝试过于频繁，请"
CODE_WRONG = "验证码错误或已过期。"
NO_PHONE = "该账号未登记手机号。请联系系统管理员登记手机号。"
STAFF_PHONE = "13700000004"
TRAINEE_PHONE = "13900000001"
NEW_PASSWORD = "Mine.pass9"


def stored(username: str) -> Account:
    db.session.rollback()
    return db.session.query(Account).filter_by(username=username).one()


def at(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def post_login(client, username, password, address="127.0.0.1", captcha=None, url="/login"):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client, "/login")}
    if captcha is not None:
        data["captcha"] = captcha
    return client.post(url, data=data, **at(address))


def picture_answer(client) -> str:
    """Load the picture, as the browser does, and read its answer (what the person calculates)."""
    response = client.get("/login/captcha.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    with client.session_transaction() as session:
        challenge = session["login_captcha"]
    answer = throttle.challenge_answer(challenge)
    assert answer is not None
    return str(answer)


def in_back_office(client) -> bool:
    return client.get("/admin/").status_code == 200


def sms_count(phone: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SmsLog).where(SmsLog.phone == phone))


def set_phone(username: str, phone: str, verified: bool = True) -> None:
    db.session.execute(update(Account).where(Account.username == username)
                       .values(phone=phone, phone_verified_at=now() if verified else None))
    db.session.commit()


def run_together(app, requests: list[tuple[str, dict]]) -> list:
    """Post each (username, environ) at the same moment from a browser of its own; the responses."""
    # plain clients: the suite's isolated client expires the test's session after each request, which a
    # thread of its own has no app context for
    # (each thread opens the page itself: requests in the test's thread would share its app context)
    clients = [FlaskClient(app, app.response_class, use_cookies=True) for _ in requests]
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def attempt(index: int) -> None:
        username, environ = requests[index]
        token = csrf_token(clients[index], "/login")
        barrier.wait()
        try:
            response = clients[index].post("/login", data={"username": username, "password": "Wrong.pass1",
                                                           "csrf_token": token}, environ_base=environ)
            results[index] = (response.status_code, response.get_data(as_text=True))
        except Exception as error:  # noqa: BLE001  (reported below, with the others)
            results[index] = (500, repr(error))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    return [(status, html if status != 200 else " | ".join(re.findall(r'invalid-feedback d-block">([^<]*)<', html)))
            for status, html in results]


# --- the count holds under concurrency ------------------------------------------------------------

def test_25_simultaneous_wrong_passwords_count_exactly_25(world, app, monkeypatch):
    """From 25 addresses at once (a spread-out guesser): each wrong password is counted, none lost."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 1000)
    monkeypatch.setitem(app.config, "LOGIN_CAPTCHA_AFTER_ACCOUNT", 1000)
    results = run_together(app, [("county_zy", {"REMOTE_ADDR": f"10.20.0.{i}"}) for i in range(25)])
    assert all(status == 200 and WRONG in html for status, html in results), results
    assert stored("county_zy").failed_logins == 25


def test_the_lock_is_set_even_when_the_failures_arrive_together(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
    monkeypatch.setitem(app.config, "LOGIN_CAPTCHA_AFTER_ACCOUNT", 1000)
    results = run_together(app, [("county_zy", {"REMOTE_ADDR": f"10.21.0.{i}"}) for i in range(25)])
    assert all(status == 200 for status, _html in results), results
    account = stored("county_zy")
    assert account.locked_until is not None and account.locked_until > now()
    # the lock takes effect on the 5th counted failure; later ones meet the lock and check nothing
    assert 5 <= account.failed_logins <= 25
    assert sum(LOCKED in html for _status, html in results) >= 1


def test_25_simultaneous_guesses_from_one_address_check_at_most_3_passwords(world, app):
    """The backoff per (name, address) is taken atomically in the limiter storage before the password is
    checked: however many arrive at once, the first tier (3 per minute) lets only 3 through."""
    results = run_together(app, [("county_zy", {"REMOTE_ADDR": "10.22.0.1"})] * 25)
    assert all(status == 200 for status, _html in results), results
    assert 1 <= stored("county_zy").failed_logins <= 3
    refused = [html for _status, html in results if WRONG not in html]
    assert len(refused) >= 22
    assert all(WAIT in html or PICTURE_MISSING in html for html in refused)


# --- the guesser does not keep the real user out --------------------------------------------------

def test_a_guesser_at_one_address_does_not_stop_the_real_user_at_another(world, client, app):
    guesser = app.test_client()
    outcomes = []
    for attempt in range(20):  # answers every picture, as a determined guesser would
        answer = picture_answer(guesser) if throttle.captcha_needed("county_zy", "10.30.0.1") else None
        outcomes.append(post_login(guesser, "county_zy", f"Guess.{attempt}", "10.30.0.1", answer)
                        .get_data(as_text=True))
    assert sum(WRONG in html for html in outcomes) == 3  # then the guesser waits
    assert WAIT in outcomes[-1] and LOCKED not in outcomes[-1]
    assert not in_back_office(guesser)
    account = stored("county_zy")
    assert account.failed_logins == 3 and account.locked_until is None

    # the real user, elsewhere, signs in at once: no wait, no picture, no lock
    response = post_login(client, "county_zy", PASSWORD, "10.30.0.2")
    assert response.status_code == 302 and response.location == "/admin/"
    assert in_back_office(client)
    # and the guesser still waits
    assert WAIT in post_login(guesser, "county_zy", PASSWORD, "10.30.0.1",
                              picture_answer(guesser)).get_data(as_text=True)


def test_the_wait_grows_for_whoever_keeps_guessing(world, client, app, monkeypatch):
    """Each tier of LOGIN_BACKOFF used up refuses for longer: a minute, then the rest of 15 minutes,
    then the rest of the hour."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 1000)
    address = "10.31.0.1"
    waits = []
    with time_machine.travel(time.time(), tick=True) as clock:
        for _round in range(6):
            html = ""
            for attempt in range(12):
                answer = picture_answer(client) if throttle.captcha_needed("city_zz", address) else None
                html = post_login(client, "city_zz", f"Guess.{attempt}", address, answer).get_data(as_text=True)
                if WAIT in html:
                    break
            assert WAIT in html
            waits.append(int(html.split(WAIT)[1].split("秒")[0].strip()))
            clock.shift(timedelta(seconds=waits[-1] + 1))
    assert waits[0] <= 60, waits
    assert any(60 < wait <= 900 for wait in waits), waits
    assert any(wait > 900 for wait in waits), waits
    assert stored("city_zz").failed_logins <= 20  # the day tier


def test_staff_with_two_factor_are_never_locked_by_failures(world, client, app, monkeypatch):
    """A password alone opens nothing for them: failures from everywhere slow the guessers but never
    lock the account, and the real user still signs in."""
    monkeypatch.setitem(app.config, "STAFF_TWO_FACTOR", True)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 3)
    set_phone("county_zy", STAFF_PHONE)
    for number in range(9):
        guesser = app.test_client()
        address = f"10.32.0.{number}"
        answer = picture_answer(guesser) if throttle.captcha_needed("county_zy", address) else None
        assert WRONG in post_login(guesser, "county_zy", "Wrong.pass1", address, answer).get_data(as_text=True)
    account = stored("county_zy")
    assert account.failed_logins == 9 and account.locked_until is None
    # the name is now asked for a picture from every address: the real user answers it
    assert throttle.captcha_needed("county_zy", "10.32.1.1")
    response = post_login(client, "county_zy", PASSWORD, "10.32.1.1", picture_answer(client))
    assert response.status_code == 302 and response.location == "/login/verify"


# --- the picture ----------------------------------------------------------------------------------

def test_the_picture_appears_after_two_failures_and_a_wrong_answer_refuses(world, client, app):
    assert "图中算式的结果" not in client.get("/login").get_data(as_text=True)
    for attempt in range(2):
        html = post_login(client, "city_ly", f"Wrong.{attempt}").get_data(as_text=True)
    assert WRONG in html and 'id="captcha"' in html and "/login/captcha.png" in html

    # the right password without the picture: refused, and the password was not even checked
    html = post_login(client, "city_ly", PASSWORD).get_data(as_text=True)
    assert PICTURE_MISSING in html
    assert not in_back_office(client)
    assert stored("city_ly").failed_logins == 2

    # the picture is a PNG drawn here
    image = Image.open(io.BytesIO(client.get("/login/captcha.png").data))
    assert image.format == "PNG" and image.size == (160, 54)

    answer = picture_answer(client)
    html = post_login(client, "city_ly", PASSWORD, captcha=str(int(answer) + 1)).get_data(as_text=True)
    assert PICTURE_WRONG in html and 'id="captcha"' in html
    assert not in_back_office(client)

    # answered right, the right password signs in
    response = post_login(client, "city_ly", PASSWORD, captcha=picture_answer(client))
    assert response.status_code == 302 and response.location == "/admin/"


def test_a_picture_answers_once_and_the_answer_never_reaches_the_browser(world, client):
    for attempt in range(2):
        post_login(client, "city_ly", f"Wrong.{attempt}")
    response = client.get("/login/captcha.png")
    assert response.headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        challenge = session["login_captcha"]
        cookie_values = list(session.values())
    answer = throttle.challenge_answer(challenge)
    assert str(answer) not in [str(value) for value in cookie_values]
    assert throttle.check_challenge(challenge, str(answer)) is True
    assert throttle.check_challenge(challenge, str(answer)) is False  # used
    assert throttle.check_challenge("forged", "1") is False


def test_unknown_names_meet_the_same_picture_and_messages(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 3)
    pages = {}
    for name in ("city_ly", "nobody_here"):
        seen = []
        for attempt in range(3):
            address = f"10.40.{len(pages)}.{attempt}"
            answer = picture_answer(client) if throttle.captcha_needed(name, address) else None
            seen.append(post_login(client, name, f"Wrong.{attempt}", address, answer).get_data(as_text=True))
        pages[name] = seen
    for real, unknown in zip(pages["city_ly"], pages["nobody_here"]):
        assert (WRONG in real) == (WRONG in unknown)
        assert (LOCKED in real) == (LOCKED in unknown)
    assert LOCKED in pages["nobody_here"][-1]


# --- trainees unlock by SMS -----------------------------------------------------------------------

def lock(username: str) -> None:
    db.session.execute(update(Account).where(Account.username == username)
                       .values(locked_until=now() + timedelta(minutes=15), failed_logins=20))
    db.session.commit()


def unlock_post(client, **data):
    return client.post("/unlock", data={"csrf_token": csrf_token(client, "/unlock"), **data})


def test_a_locked_trainee_unlocks_with_an_sms_code(world, client):
    set_phone("trainee_zy", TRAINEE_PHONE)
    lock("trainee_zy")
    html = post_login(client, "trainee_zy", PASSWORD).get_data(as_text=True)
    assert LOCKED in html and 'href="/unlock"' in html
    page = client.get("/unlock").get_data(as_text=True)
    assert "解锁账号" in page and "Unlock" not in page

    html = unlock_post(client, username="trainee_zy", mobile=TRAINEE_PHONE, action="send_code",
                       code="").get_data(as_text=True)
    assert "验证码已发送至 139****0001" in html
    assert sms_count(TRAINEE_PHONE) == 1
    code = last_code(TRAINEE_PHONE)

    wrong = "000000" if code != "000000" else "111111"
    html = unlock_post(client, username="trainee_zy", mobile=TRAINEE_PHONE, code=wrong,
                       action="unlock").get_data(as_text=True)
    assert CODE_WRONG in html and stored("trainee_zy").is_locked()

    response = unlock_post(client, username="trainee_zy", mobile=TRAINEE_PHONE, code=code, action="unlock")
    assert response.status_code == 302 and response.location == "/login"
    assert "账号已解锁，请登录。" in client.get("/login").get_data(as_text=True)
    account = stored("trainee_zy")
    assert account.locked_until is None and account.failed_logins == 0
    response = post_login(client, "trainee_zy", PASSWORD)
    assert response.status_code == 302 and response.location == "/portal/"


@pytest.mark.parametrize("username,mobile", [("trainee_zy", "13900000002"), ("nobody_here", TRAINEE_PHONE),
                                             ("county_zy", STAFF_PHONE)])
def test_the_unlock_page_answers_the_same_and_texts_no_one_else(world, client, username, mobile):
    set_phone("trainee_zy", TRAINEE_PHONE)
    set_phone("county_zy", STAFF_PHONE)
    lock("trainee_zy")
    lock("county_zy")
    html = unlock_post(client, username=username, mobile=mobile, action="send_code", code="").get_data(as_text=True)
    assert f"验证码已发送至 {mobile[:3]}****{mobile[-4:]}" in html
    assert sms_count(mobile) == 0 and sms_count(TRAINEE_PHONE) == 0
    html = unlock_post(client, username=username, mobile=mobile, code="123456", action="unlock").get_data(
        as_text=True)
    assert CODE_WRONG in html
    assert stored("trainee_zy").is_locked() and stored("county_zy").is_locked()


def test_the_unlock_page_refuses_bad_input_in_chinese(world, client):
    for data in ({"username": "x" * 10000, "mobile": TRAINEE_PHONE}, {"username": "a\x00b", "mobile": "1" * 40},
                 {"username": "trainee_zy", "mobile": TRAINEE_PHONE, "code": "9" * 40}):
        response = unlock_post(client, action="unlock", **{"code": "", **data})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert any(message in html for message in ("最多20个字符。", "请输入以1开头的11位手机号码。", "最多6个字符。"))


# --- the second factor ----------------------------------------------------------------------------

@pytest.fixture
def two_factor(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_TWO_FACTOR", True)
    set_phone("county_zy", STAFF_PHONE, verified=False)
    return world


def verify_post(client, **data):
    return client.post("/login/verify", data={"csrf_token": csrf_token(client, "/login/verify"), **data})


def test_staff_need_the_sms_code_when_two_factor_is_on(two_factor, client):
    response = post_login(client, "county_zy", PASSWORD)
    assert response.status_code == 302 and response.location == "/login/verify"
    assert not in_back_office(client)
    page = client.get("/login/verify").get_data(as_text=True)
    assert "登录验证" in page and "137****0004" in page
    code = last_code(STAFF_PHONE)

    wrong = "000000" if code != "000000" else "111111"
    html = verify_post(client, code=wrong, action="verify").get_data(as_text=True)
    assert "验证码错误" in html
    assert not in_back_office(client)

    response = verify_post(client, code=code, action="verify")
    assert response.status_code == 302 and response.location == "/admin/"
    assert in_back_office(client)
    assert stored("county_zy").phone_verified_at is not None  # the code proved the number
    assert "remembered_device" not in response.headers.get("Set-Cookie", "")


def test_an_expired_login_code_is_refused(two_factor, client):
    post_login(client, "county_zy", PASSWORD)
    code = last_code(STAFF_PHONE)
    db.session.execute(update(SmsCode).values(expires_at=now() - timedelta(seconds=1)))
    db.session.commit()
    html = verify_post(client, code=code, action="verify").get_data(as_text=True)
    assert "验证码已过期" in html
    assert not in_back_office(client)


def test_the_code_step_cannot_be_skipped(two_factor, client):
    post_login(client, "county_zy", PASSWORD)
    assert not in_back_office(client)
    for page in ("/admin/", "/admin/application/", "/portal/"):
        response = client.get(page)
        assert response.status_code == 302 and response.location.startswith("/login"), page
    # a code step opened without a password goes back to the login
    other = client.application.test_client()
    response = other.get("/login/verify")
    assert response.status_code == 302 and response.location == "/login"


def test_a_remembered_browser_skips_the_code_until_the_password_changes(two_factor, client, auth, app):
    post_login(client, "county_zy", PASSWORD)
    response = verify_post(client, code=last_code(STAFF_PHONE), action="verify", remember="y")
    assert response.status_code == 302
    cookie = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("remembered_device=")]
    assert cookie and "HttpOnly" in cookie[0] and f"Max-Age={30 * 86400}" in cookie[0]
    auth.logout()
    sent = sms_count(STAFF_PHONE)

    response = post_login(client, "county_zy", PASSWORD)
    assert response.status_code == 302 and response.location == "/admin/"
    assert sms_count(STAFF_PHONE) == sent

    # another account on the same browser is still asked
    set_phone("city_zz", "13700000005")
    auth.logout()
    response = post_login(client, "city_zz", PASSWORD)
    assert response.location == "/login/verify"
    client.get("/login")  # leave the half-done sign-in behind

    # the password changes: the remembered browser is forgotten
    assert post_login(client, "county_zy", PASSWORD).location == "/admin/"
    response = client.post("/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD,
                                              "csrf_token": csrf_token(client, "/password")})
    assert response.status_code == 302
    auth.logout()
    response = post_login(client, "county_zy", NEW_PASSWORD)
    assert response.status_code == 302 and response.location == "/login/verify"


def test_a_forged_device_cookie_is_ignored(two_factor, client):
    client.set_cookie("remembered_device", "eyJhIjo0fQ.forged.signature")
    response = post_login(client, "county_zy", PASSWORD)
    assert response.location == "/login/verify"


def test_staff_without_a_mobile_are_told_to_ask_the_administrator(two_factor, client):
    set_phone("city_ly", None, verified=False)
    response = post_login(client, "city_ly", PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and NO_PHONE in html
    assert client.get("/login/verify").location == "/login"
    assert not in_back_office(client)


def test_trainees_sign_in_with_the_password_alone(two_factor, client):
    response = post_login(client, "trainee_zy", PASSWORD)
    assert response.status_code == 302 and response.location == "/portal/"


def test_two_factor_is_off_in_development_and_tests_by_default(app):
    assert Config.STAFF_TWO_FACTOR is False and app.config["STAFF_TWO_FACTOR"] is False
    assert Config.STAFF_TWO_FACTOR_REMEMBER_DAYS == 30


# --- first login with an administrator's password -------------------------------------------------

def create_account(client) -> None:
    form = {"username": "county_new", "display_name": "新审核员", "password": "Admin.set1", "phone": "",
            "role": "county_reviewer", "region": str(db.session.scalar(
                select(Account.region_id).where(Account.username == "county_zy"))),
            "base": "__None", "is_active_account": "y", "locked_until": ""}
    response = client.post("/admin/account/new/", data={**form, "csrf_token": csrf_token(client, "/admin/account/new/")})
    assert response.status_code == 302


def test_an_account_made_by_the_administrator_must_choose_its_own_password(world, client, auth, app):
    auth.login("super", PASSWORD)
    create_account(client)
    assert stored("county_new").must_change_password is True
    auth.logout()

    response = post_login(client, "county_new", "Admin.set1")
    assert response.status_code == 302 and response.location == "/password"
    for page in ("/admin/", "/admin/application/", "/admin/trainee/", "/portal/"):
        response = client.get(page)
        assert response.status_code == 302 and response.location == "/password", page
    page = client.get("/password").get_data(as_text=True)
    assert "您的密码由管理员设置" in page

    def change(current, new, confirm=None):
        return client.post("/password", data={"current": current, "password": new, "confirm": confirm or new,
                                              "csrf_token": csrf_token(client, "/password")})

    assert "当前密码错误。" in change("Wrong.pass1", NEW_PASSWORD).get_data(as_text=True)
    assert "新密码不能与当前密码相同。" in change("Admin.set1", "Admin.set1").get_data(as_text=True)
    assert "两次输入的密码不一致" in change("Admin.set1", NEW_PASSWORD, "Other.pass1").get_data(as_text=True)
    assert "密码长度须为8-20位。" in change("Admin.set1", "short").get_data(as_text=True)
    assert stored("county_new").must_change_password is True

    response = change("Admin.set1", NEW_PASSWORD)
    assert response.status_code == 302 and response.location == "/admin/"
    account = stored("county_new")
    assert account.must_change_password is False and account.check_password(NEW_PASSWORD)
    assert in_back_office(client)


def test_an_administrator_changing_someone_elses_password_makes_them_choose_again(world, client, auth):
    auth.login("super", PASSWORD)
    account_id = stored("city_zz").id
    url = f"/admin/account/edit/?id={account_id}"
    page = client.get(url)
    assert page.status_code == 200
    form = {"username": "city_zz", "display_name": "city_zz", "password": "Admin.set2", "phone": "",
            "role": "city_reviewer", "region": str(stored("city_zz").region_id), "base": "__None",
            "is_active_account": "y", "locked_until": ""}
    response = client.post(url, data={**form, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert stored("city_zz").must_change_password is True
    assert stored("super").must_change_password is False


def test_the_login_form_refuses_bad_input_in_chinese(world, client):
    for username, password, captcha in (("x" * 10000, PASSWORD, None), ("sup\x00port", PASSWORD, None),
                                        ("support", "p" * 10000, None), ("support", "Wrong.1", "9" * 10000)):
        response = post_login(client, username, password, captcha=captcha)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert any(text in html for text in ("最多20个字符。", "最多128个字符。", WRONG, "最多6个字符。")), html
        assert not in_back_office(client)


def test_the_superuser_unlocks_a_locked_staff_account(world, client, auth):
    lock("county_zy")
    auth.login("super", PASSWORD)
    response = client.post("/admin/account/action/", data={
        "action": "unlock", "rowid": str(stored("county_zy").id),
        "csrf_token": csrf_token(client, "/admin/account/")})
    assert response.status_code == 302
    assert "已解除 1 个账号的锁定。" in client.get("/admin/account/").get_data(as_text=True)
    account = stored("county_zy")
    assert account.locked_until is None and account.failed_logins == 0
