"""Sessions end on the server: a cookie copied before logout, a password reset, a lock or unlock, a
disable or a change of role or scope opens nothing afterwards; idle and absolute timeouts; a fresh
session and CSRF token at login. Each test is the attack: the stolen cookie replayed."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import update

from app.domain.sessions import end_sessions
from app.extensions import db
from models import Account, Role
from models.clock import now
from tests.conftest import CSRF_RE, Auth, csrf_token
from tests.factories import PASSWORD
from tests.portal_helpers import last_code, last_link

TIMED_OUT = "登录已超时，请重新登录。"
SIGNED_OUT = "登录已失效"


def stolen_cookie(client) -> str:
    """The session cookie as an attacker would copy it from the victim's browser."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie: str, page: str):
    """A second browser that holds only the copied cookie opens ``page``."""
    attacker = app.test_client()
    attacker.set_cookie("session", cookie)
    return attacker.get(page)


def is_login_redirect(response, page: str | None = None) -> bool:
    if response.status_code != 302 or urlsplit(response.location).path != "/login":
        return False
    if page is not None:
        return parse_qs(urlsplit(response.location).query).get("next") == [page]
    return True


def opens(response) -> bool:
    return response.status_code == 200


def logged_in_as(client, username: str, page: str) -> str:
    response = Auth(client).login(username, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location, username
    assert opens(client.get(page))
    return stolen_cookie(client)


def stored(username: str) -> Account:
    db.session.rollback()
    return db.session.query(Account).filter_by(username=username).one()


# --- logout ------------------------------------------------------------------------------------

def test_cookie_copied_before_logout_no_longer_opens_the_back_office(world, app, client, auth):
    cookie = logged_in_as(client, "county_zy", "/admin/")
    assert opens(replay(app, cookie, "/admin/"))  # the copy works while the session lives
    assert auth.logout().status_code == 302
    response = replay(app, cookie, "/admin/application/")
    assert is_login_redirect(response, "/admin/application/?")
    assert is_login_redirect(client.get("/admin/"))


def test_logout_ends_the_sessions_on_other_devices_too(world, app, client, auth):
    office = logged_in_as(client, "city_zz", "/admin/")
    phone = app.test_client()
    assert Auth(phone).login("city_zz", PASSWORD).status_code == 302
    assert opens(phone.get("/admin/"))
    auth.logout()
    assert is_login_redirect(phone.get("/admin/"))
    assert is_login_redirect(replay(app, office, "/admin/"))


def test_trainee_cookie_copied_before_logout_no_longer_opens_the_portal(world, app, client, auth):
    cookie = logged_in_as(client, "trainee_zy", "/portal/")
    auth.logout("/portal/")
    response = replay(app, cookie, "/portal/profile/")
    assert is_login_redirect(response)
    assert "学员中原区" not in response.get_data(as_text=True)


def test_a_replayed_session_is_told_to_log_in_again(world, app, client, auth):
    cookie = logged_in_as(client, "county_zy", "/admin/")
    auth.logout()
    attacker = app.test_client()
    attacker.set_cookie("session", cookie)
    page = attacker.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert SIGNED_OUT in page and "用户名" in page


def test_end_sessions_ends_every_session_of_the_account_only(world, app, client):
    cookie = logged_in_as(client, "county_zy", "/admin/")
    other = app.test_client()
    other_cookie = logged_in_as(other, "county_xg", "/admin/")
    end_sessions(stored("county_zy"))
    db.session.commit()
    assert is_login_redirect(replay(app, cookie, "/admin/"))
    assert opens(replay(app, other_cookie, "/admin/"))


# --- password, lock, unlock, disable, role and scope ---------------------------------------------

def support_act(client, trainee, action: str, reason: str = "学员来电申请"):
    token = csrf_token(client, "/admin/support/")
    return client.post("/admin/support/act/", data={"csrf_token": token, "action": action, "trainee_id": trainee.id,
                                                     "reason": reason, "q": trainee.name})


def test_support_password_reset_ends_the_trainees_sessions(world, app, client):
    """Support texts a one-time link; the sessions end when the trainee sets the new password with it."""
    cookie = logged_in_as(client, "trainee_zy", "/portal/")
    support = app.test_client()
    Auth(support).login("support", PASSWORD)
    assert support_act(support, world.trainees["zy"], "reset", "学员称账号被盗").status_code == 302
    assert opens(replay(app, cookie, "/portal/"))  # the link alone changes nothing
    link = last_link(world.trainees["zy"].mobile)
    phone = app.test_client()
    assert phone.post(link, data={"password": "Mine.2025x", "confirm": "Mine.2025x",
                                  "csrf_token": csrf_token(phone, link)}).status_code == 302
    assert is_login_redirect(replay(app, cookie, "/portal/"))
    assert is_login_redirect(client.get("/portal/"))
    assert opens(support.get("/admin/support/"))  # support's own session goes on


def test_support_unlock_ends_the_sessions_opened_before(world, app, client):
    cookie = logged_in_as(client, "trainee_zy", "/portal/")
    account = stored("trainee_zy")
    account.failed_logins = 2  # an attacker has been guessing; support unlocks on the trainee's call
    db.session.commit()
    support = app.test_client()
    Auth(support).login("support", PASSWORD)
    assert support_act(support, world.trainees["zy"], "unlock", "本人来电确认").status_code == 302
    # the lock itself ends sessions as well
    account = stored("trainee_zy")
    account.locked_until = now() + timedelta(minutes=15)
    db.session.commit()
    assert is_login_redirect(replay(app, cookie, "/portal/"))


def test_a_lock_ends_the_sessions_of_the_account(world, app, client):
    cookie = logged_in_as(client, "trainee_zy", "/portal/")
    account = stored("trainee_zy")
    account.locked_until = now() + timedelta(minutes=15)
    db.session.commit()
    assert is_login_redirect(replay(app, cookie, "/portal/"))


def test_an_unlock_ends_the_sessions_of_the_account(world, app, client):
    account = stored("county_zy")
    account.locked_until = now() - timedelta(minutes=1)  # an old lock that has run out
    db.session.commit()
    cookie = logged_in_as(client, "county_zy", "/admin/")
    account = stored("county_zy")
    account.locked_until = now() + timedelta(minutes=15)  # locked …
    db.session.commit()
    account.locked_until = None  # … and unlocked again: the stolen cookie stays dead
    db.session.commit()
    assert is_login_redirect(replay(app, cookie, "/admin/"))


def test_the_forgotten_password_page_ends_the_old_sessions(world, app, client):
    cookie = logged_in_as(client, "trainee_zy", "/portal/")
    account = stored("trainee_zy")
    account.phone = "13900001111"
    db.session.commit()
    owner = app.test_client()
    token = csrf_token(owner, "/portal/forgot")
    owner.post("/portal/forgot", data={"mobile": "13900001111", "action": "send_code", "csrf_token": token})
    response = owner.post("/portal/forgot", data={"mobile": "13900001111", "code": last_code("13900001111"),
                                                  "password": "New.pass123", "confirm": "New.pass123",
                                                  "action": "reset", "csrf_token": token})
    assert response.status_code == 302
    assert stored("trainee_zy").check_password("New.pass123")
    assert is_login_redirect(replay(app, cookie, "/portal/"))


def test_any_password_change_ends_the_sessions(world, app, client):
    """Whatever page changes the password (now or later), the old sessions end."""
    cookie = logged_in_as(client, "province", "/admin/")
    account = stored("province")
    account.set_password("Changed.pass1")
    db.session.commit()
    assert is_login_redirect(replay(app, cookie, "/admin/"))


def account_form(account: Account, **changes) -> dict:
    form = {"username": account.username, "display_name": account.display_name, "password": "",
            "phone": account.phone or "", "role": account.role,
            "region": str(account.region_id) if account.region_id else "",
            "base": str(account.base_id) if account.base_id else "__None",
            "is_active_account": "y" if account.is_active_account else "",
            "locked_until": ""}
    form.update(changes)
    return {key: value for key, value in form.items() if value != ""}


def edit_account(admin, account: Account, **changes):
    token = csrf_token(admin, f"/admin/account/edit/?id={account.id}")
    return admin.post(f"/admin/account/edit/?id={account.id}",
                      data={"csrf_token": token, **account_form(account, **changes)})


@pytest.fixture
def admin(world, app):
    browser = app.test_client()
    assert Auth(browser).login("super", PASSWORD).status_code == 302
    return browser


def test_a_change_of_scope_in_the_account_admin_ends_the_sessions(world, app, client, admin):
    cookie = logged_in_as(client, "county_zy", "/admin/")
    response = edit_account(admin, stored("county_zy"), region=str(world.regions["js"].id))
    assert response.status_code == 302
    assert stored("county_zy").region_id == world.regions["js"].id
    assert is_login_redirect(replay(app, cookie, "/admin/application/"))


def test_a_scope_changed_and_changed_back_still_ends_the_sessions(world, app, client, admin):
    cookie = logged_in_as(client, "county_zy", "/admin/")
    assert edit_account(admin, stored("county_zy"), region=str(world.regions["js"].id)).status_code == 302
    assert edit_account(admin, stored("county_zy"), region=str(world.regions["zy"].id)).status_code == 302
    assert stored("county_zy").region_id == world.regions["zy"].id
    assert is_login_redirect(replay(app, cookie, "/admin/"))


def test_a_change_of_role_in_the_account_admin_ends_the_sessions(world, app, client, admin):
    cookie = logged_in_as(client, "base_zz", "/admin/")
    response = edit_account(admin, stored("base_zz"), role=Role.PROVINCE_ADMIN, base="__None")
    assert response.status_code == 302
    assert stored("base_zz").role == Role.PROVINCE_ADMIN
    assert is_login_redirect(replay(app, cookie, "/admin/"))


def test_a_change_of_base_ends_the_sessions(world, app, client):
    cookie = logged_in_as(client, "base_zz", "/admin/")
    db.session.execute(update(Account).where(Account.username == "base_zz").values(base_id=world.bases["ly"].id))
    db.session.commit()
    assert is_login_redirect(replay(app, cookie, "/admin/"))


def test_disabling_an_account_ends_its_sessions(world, app, client, admin):
    cookie = logged_in_as(client, "city_zz", "/admin/")
    response = edit_account(admin, stored("city_zz"), is_active_account="")
    assert response.status_code == 302
    assert not stored("city_zz").is_active_account
    assert is_login_redirect(replay(app, cookie, "/admin/"))


def test_editing_only_the_display_name_keeps_the_sessions(world, app, client, admin):
    cookie = logged_in_as(client, "city_zz", "/admin/")
    assert edit_account(admin, stored("city_zz"), display_name="郑州市审核员").status_code == 302
    assert stored("city_zz").display_name == "郑州市审核员"
    assert opens(replay(app, cookie, "/admin/"))


def test_failed_logins_of_an_attacker_do_not_end_the_users_session(world, app, client):
    cookie = logged_in_as(client, "county_zy", "/admin/")
    attacker = app.test_client()
    Auth(attacker).login("county_zy", "Wrong.pass1")
    assert stored("county_zy").failed_logins == 1
    assert opens(replay(app, cookie, "/admin/"))


# --- timeouts --------------------------------------------------------------------------------------

def test_staff_session_ends_after_30_idle_minutes_and_keeps_next(world, client, auth):
    with time_machine.travel(now().replace(microsecond=0).isoformat() + "+08:00", tick=False) as clock:
        logged_in_as(client, "county_zy", "/admin/")
        clock.shift(timedelta(minutes=29))
        assert opens(client.get("/admin/"))  # activity restarts the idle time
        clock.shift(timedelta(minutes=29))
        assert opens(client.get("/admin/"))
        clock.shift(timedelta(minutes=31))
        response = client.get("/admin/application/?page=1")
        assert is_login_redirect(response, "/admin/application/?page=1")
        page = client.get(response.location).get_data(as_text=True)
        assert TIMED_OUT in page
        response = client.post("/login?" + urlsplit(response.location).query,
                               data={"username": "county_zy", "password": PASSWORD,
                                     "csrf_token": CSRF_RE.search(page).group(1) or CSRF_RE.search(page).group(2)})
        assert response.status_code == 302 and response.location == "/admin/application/?page=1"


def test_last_seen_is_written_again_once_a_minute(world, client):
    """The cookie is sent again only when its "last seen" is a minute old: activity within the minute
    keeps the earlier time, so the idle limit counts from it (at most a minute early)."""
    with time_machine.travel(now().replace(microsecond=0).isoformat() + "+08:00", tick=False) as clock:
        logged_in_as(client, "trainee_zy", "/portal/")
        clock.shift(timedelta(seconds=59))
        response = client.get("/portal/")
        assert opens(response) and "Set-Cookie" not in response.headers  # the day before: not yet
        clock.shift(timedelta(seconds=1))
        response = client.get("/portal/")
        assert opens(response) and "session=" in response.headers.get("Set-Cookie", "")  # the day of: written
        clock.shift(timedelta(seconds=1))
        response = client.get("/portal/")
        assert opens(response) and "Set-Cookie" not in response.headers  # the day after: kept
        clock.shift(timedelta(minutes=120) - timedelta(seconds=1))
        assert opens(client.get("/portal/"))  # idle exactly 2 h since the last write (at 60 s): still in
        clock.shift(timedelta(minutes=120, seconds=1))
        assert is_login_redirect(client.get("/portal/profile/"))


def test_trainee_session_lasts_two_idle_hours(world, client):
    with time_machine.travel(now().replace(microsecond=0).isoformat() + "+08:00", tick=False) as clock:
        logged_in_as(client, "trainee_zy", "/portal/")
        clock.shift(timedelta(minutes=119))
        assert opens(client.get("/portal/"))
        clock.shift(timedelta(minutes=121))
        response = client.get("/portal/profile/")
        assert is_login_redirect(response)
        assert TIMED_OUT in client.get(response.location).get_data(as_text=True)


def test_idle_times_are_settings(world, app, client):
    app.config["SESSION_IDLE_MINUTES_STAFF"] = 5
    try:
        with time_machine.travel(now().replace(microsecond=0).isoformat() + "+08:00", tick=False) as clock:
            logged_in_as(client, "county_zy", "/admin/")
            clock.shift(timedelta(minutes=6))
            assert is_login_redirect(client.get("/admin/"))
    finally:
        app.config["SESSION_IDLE_MINUTES_STAFF"] = 30


def test_a_busy_session_still_ends_after_the_absolute_lifetime(world, app, client):
    assert app.config["SESSION_MAX_HOURS"] == 12
    with time_machine.travel(now().replace(microsecond=0).isoformat() + "+08:00", tick=False) as clock:
        logged_in_as(client, "county_zy", "/admin/")
        for _step in range(11 * 3):  # a click every 20 minutes for 11 hours
            clock.shift(timedelta(minutes=20))
            assert opens(client.get("/admin/"))
        clock.shift(timedelta(minutes=61))
        response = client.get("/admin/")
        assert is_login_redirect(response)
        assert TIMED_OUT in client.get(response.location).get_data(as_text=True)


# --- login: a fresh session ------------------------------------------------------------------------

def test_login_gives_a_new_csrf_token(world, client):
    before = csrf_token(client, "/login")
    response = client.post("/login", data={"username": "county_zy", "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    after = csrf_token(client, "/admin/application/")
    assert after != before
    # the token from before login no longer passes: the logout is refused, the session goes on
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert opens(client.get("/admin/"))


def test_login_drops_what_was_planted_in_the_session(world, client):
    with client.session_transaction() as session:
        session["planted"] = "attacker"
    Auth(client).login("county_zy", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_forged_session_without_the_servers_stamp_opens_nothing(world, app):
    """A session cookie signed with the right key but made up (no login) is refused."""
    forger = app.test_client()
    with forger.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(world.accounts["super"].id), True
    assert is_login_redirect(forger.get("/admin/"))
    with forger.session_transaction() as session:
        session["_user_id"] = "9" * 40
    assert is_login_redirect(forger.get("/admin/"))


@pytest.mark.parametrize("key,value", [("auth_stamp", "签名\x00" * 10), ("auth_stamp", None),
                                       ("auth_login_at", "2025-13-99"), ("auth_seen_at", 12345),
                                       ("_user_id", 7), ("_user_id", "١٢")])
def test_a_tampered_session_value_logs_out_without_an_error(world, client, key, value):
    logged_in_as(client, "county_zy", "/admin/")
    with client.session_transaction() as session:
        session[key] = value
    assert is_login_redirect(client.get("/admin/"))
