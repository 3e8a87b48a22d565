"""Logging in and out: Chinese messages, per-account lock-out, per-address rate limit, safe
redirects after login, CSRF on both forms, and who lands where."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from limits import parse as parse_limit

from app.extensions import db
from models import Account
from models.clock import now
from tests.conftest import csrf_token
from tests.factories import PASSWORD

WRONG = "用户名或密码错误。"
LOCKED = "登录失败次数过多，账号已被锁定"
DISABLED = "该账号已停用，请联系技术支持。"
TOO_MANY = "尝试次数过多，请稍等几分钟后再试。"
CSRF = "页面已过期或表单来源无效，本次操作未保存，请刷新页面后重试。"
FORBIDDEN = "您没有权限打开此页面。"


def stored(username: str) -> Account:
    """The account as the database holds it now (the test shares the requests' session)."""
    db.session.rollback()
    return db.session.query(Account).filter_by(username=username).one()


def logged_in(client) -> bool:
    """Whether the client's session is logged in: the back office or the portal opens."""
    response = client.get("/portal/")
    return response.status_code in (200, 302) and not (response.location or "").startswith("/login")


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def post_login(client, username: str, password: str, url: str = "/login", **kwargs):
    return client.post(url, data={"username": username, "password": password,
                                  "csrf_token": csrf_token(client, "/login")}, **kwargs)


# --- the page and wrong passwords -------------------------------------------------------------

def test_login_page_is_chinese(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "<title>登录 · 河南省卫生健康培训招收平台</title>" in html
    for text in ("用户名", "密码", "登录"):
        assert text in html
    assert "Log in" not in html and "Username" not in html


def test_empty_form_says_what_is_missing(client):
    response = post_login(client, "", "")
    html = response.get_data(as_text=True)
    assert "请输入用户名、身份证号或手机号。" in html and "请输入密码。" in html


def test_wrong_password_is_refused_in_chinese(world, client):
    response = post_login(client, "support", "Wrong.123")
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert not logged_in(client)
    assert stored("support").failed_logins == 1


def test_unknown_username_gets_the_same_message(world, client):
    response = post_login(client, "nobody", PASSWORD)
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert not logged_in(client)


def test_username_is_not_case_sensitive(world, client):
    response = post_login(client, "SUPPORT", PASSWORD)
    assert response.status_code == 302 and response.location == "/admin/"


# --- lock-out per account ---------------------------------------------------------------------

def test_account_locks_after_too_many_failures(world, client, app, monkeypatch):
    """The last resort: every LOGIN_MAX_FAILURES_PER_ACCOUNT failures in a row (here from as many
    addresses, so the per-address backoff does not stop them first) lock the account."""
    assert app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 20
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
    monkeypatch.setitem(app.config, "LOGIN_CAPTCHA_AFTER_ACCOUNT", 100)
    limit = 5
    for attempt in range(1, limit):
        html = post_login(client, "county_zy", f"Wrong.{attempt}",
                          environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"}).get_data(as_text=True)
        assert WRONG in html
        assert stored("county_zy").locked_until is None
        assert stored("county_zy").failed_logins == attempt
    before = now()
    html = post_login(client, "county_zy", "Wrong.last", environ_base={"REMOTE_ADDR": "10.0.0.99"}).get_data(
        as_text=True)
    assert LOCKED in html
    account = stored("county_zy")
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    assert account.locked_until is not None
    assert before + timedelta(minutes=minutes - 1) < account.locked_until <= now() + timedelta(minutes=minutes)

    # while locked, even the right password is refused, with the lock message and the ways out
    response = post_login(client, "county_zy", PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert LOCKED in html and f"锁定 {minutes} 分钟" in html and "联系技术支持" in html
    assert 'href="/unlock"' in html
    assert not logged_in(client)
    assert stored("county_zy").last_login_at is None

    # other accounts are not affected
    assert post_login(client, "city_zz", PASSWORD).status_code == 302


def test_lock_ends_when_its_time_is_up(world, client):
    account = stored("county_zy")
    account.locked_until = now() - timedelta(seconds=1)
    db.session.commit()
    response = post_login(client, "county_zy", PASSWORD)
    assert response.status_code == 302 and response.location == "/admin/"
    assert stored("county_zy").locked_until is None


def test_successful_login_resets_the_failure_count(world, client):
    for attempt in range(3):
        post_login(client, "base_zz", f"Wrong.{attempt}", environ_base={"REMOTE_ADDR": f"10.0.1.{attempt}"})
    assert stored("base_zz").failed_logins == 3
    response = post_login(client, "base_zz", PASSWORD)
    assert response.status_code == 302
    account = stored("base_zz")
    assert account.failed_logins == 0 and account.locked_until is None
    assert account.last_login_at is not None and now() - account.last_login_at < timedelta(minutes=1)


def test_disabled_account_cannot_log_in(world, client):
    account = stored("city_ly")
    account.is_active_account = False
    db.session.commit()
    response = post_login(client, "city_ly", PASSWORD)
    assert response.status_code == 200
    assert DISABLED in response.get_data(as_text=True)
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302


def test_account_disabled_during_a_session_loses_the_back_office(world, client, auth):
    auth.login("province", PASSWORD)
    assert client.get("/admin/").status_code == 200
    account = stored("province")
    account.is_active_account = False
    db.session.commit()
    response = client.get("/admin/trainee/")
    assert is_login_redirect(response)  # a disabled account counts as logged out
    assert "学员中原区" not in response.get_data(as_text=True)


# --- limit per address ------------------------------------------------------------------------

def test_too_many_login_posts_from_one_address_are_refused(world, client, app):
    allowed = parse_limit(app.config["LOGIN_LIMIT_PER_ADDRESS"]).amount
    token = csrf_token(client, "/login")
    for attempt in range(allowed):
        response = client.post("/login", data={"username": f"nobody{attempt}", "password": "x",
                                               "csrf_token": token})
        assert response.status_code == 200, attempt
    response = client.post("/login", data={"username": "support", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert TOO_MANY in html and "错误代码：429" in html
    assert not logged_in(client)
    # the page itself still opens, and from another address the same person may log in
    assert client.get("/login").status_code == 200
    response = client.post("/login", data={"username": "support", "password": PASSWORD, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302 and response.location == "/admin/"


def test_address_limit_follows_the_configuration(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per minute")
    for attempt in range(3):
        assert post_login(client, "nobody", "x").status_code == 200
    response = post_login(client, "support", PASSWORD)
    assert response.status_code == 429 and TOO_MANY in response.get_data(as_text=True)
    assert stored("support").last_login_at is None


# --- where people land ------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["/admin/", "/admin/trainee/?page=1&sort=2", "/admin/account/"])
def test_back_office_without_login_goes_to_login_and_back(world, client, page):
    response = client.get(page)
    assert is_login_redirect(response)
    target = parse_qs(urlsplit(response.location).query)["next"][0]
    assert urlsplit(target).path == urlsplit(page).path
    login_page = client.get(response.location)
    assert login_page.status_code == 200 and "登录" in login_page.get_data(as_text=True)
    response = post_login(client, "super", PASSWORD, url=response.location)
    assert response.status_code == 302
    assert urlsplit(response.location).path == urlsplit(page).path
    assert parse_qs(urlsplit(response.location).query) == parse_qs(urlsplit(page).query)


def test_staff_land_in_the_back_office(world, client):
    response = post_login(client, "county_zy", PASSWORD)
    assert response.location == "/admin/"
    assert "工作台" in client.get("/admin/").get_data(as_text=True)


def test_trainee_lands_in_the_portal_and_is_kept_out_of_the_back_office(world, client):
    response = post_login(client, "trainee_zy", PASSWORD)
    assert response.status_code == 302 and response.location == "/portal/"
    assert client.get("/portal/").status_code == 200
    for page in ("/admin/", "/admin/trainee/", "/admin/application/", "/admin/account/new/"):
        response = client.get(page)
        assert response.status_code == 403, page
        assert FORBIDDEN in response.get_data(as_text=True)


def test_trainee_sent_to_the_back_office_by_next_is_still_refused(world, client):
    response = post_login(client, "trainee_zy", PASSWORD, url="/login?next=/admin/trainee/")
    assert response.location == "/admin/trainee/"
    assert client.get("/admin/trainee/").status_code == 403


OFF_SITE = ["//evil.example", "//evil.example/admin/", "https://evil.example", "http://evil.example/login",
            "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "evil.example", "///evil.example",
            "https:evil.example"]


def is_same_site(location: str) -> bool:
    """A path on this site (``/%5Cevil.example`` is one: browsers do not read ``%5C`` as a slash)."""
    parts = urlsplit(location)
    return (parts.scheme in ("", "http") and parts.netloc in ("", "localhost")
            and location.startswith(("/", "http://localhost/")) and not location.startswith(("//", "/\\")))


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leads_off_site(world, client, target):
    response = client.post("/login", query_string={"next": target},
                           data={"username": "support", "password": PASSWORD,
                                 "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert is_same_site(response.location), response.location
    # already logged in: the login page sends you home, not to ``next``
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 302 and is_same_site(response.location), response.location


# --- CSRF -------------------------------------------------------------------------------------

def test_logout_needs_a_post_with_csrf(world, client, auth):
    auth.login("support", PASSWORD)
    response = client.get("/logout")
    assert response.status_code == 405 and "不允许此操作。" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 400 and CSRF in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 200
    response = auth.logout()
    assert is_login_redirect(response)
    assert "您已退出登录。" in client.get("/login").get_data(as_text=True)
    assert is_login_redirect(client.get("/admin/"))


def test_login_without_csrf_token_does_not_log_in(world, client):
    response = client.post("/login", data={"username": "support", "password": PASSWORD})
    assert response.status_code == 400 and CSRF in response.get_data(as_text=True)
    assert is_login_redirect(client.get("/admin/"))
    response = client.post("/login", data={"username": "support", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert is_login_redirect(client.get("/admin/"))
    assert stored("support").last_login_at is None


def test_login_from_a_page_of_the_site_without_token_is_sent_back_with_the_message(world, client):
    response = client.post("/login", data={"username": "support", "password": PASSWORD},
                           headers={"Referer": "http://localhost/login"}, follow_redirects=True)
    assert response.status_code == 200
    assert CSRF in response.get_data(as_text=True)
    assert is_login_redirect(client.get("/admin/"))
