"""The technical-support page: find a trainee, reset a password, unlock, reopen — each with a reason."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain.passwords import token_hash
from app.extensions import db
from models import Account, Application, AuditLog, ReviewRecord, SmsLog
from models.application import Status
from models.clock import now
from tests.conftest import csrf_token
from tests.factories import PASSWORD, ApplicationFactory, BatchFactory
from tests.queries import counting_statements
from tests.portal_helpers import last_link

URL = "/admin/support/"


def act(client, trainee, action, reason="学员来电申请", **extra):
    token = csrf_token(client, URL)
    data = {"csrf_token": token, "action": action, "trainee_id": trainee.id, "reason": reason, "q": trainee.name}
    data.update(extra)
    return client.post(URL + "act/", data=data)


@pytest.fixture
def support(auth, world):
    auth.login("support", PASSWORD)
    return world


def masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


def test_search_by_id_number_phone_and_name_prefix(support, client):
    zy = support.trainees["zy"]
    for term in (zy.id_number, zy.mobile, "学员中"):
        html = client.get(URL, query_string={"q": term}).get_data(as_text=True)
        assert masked(zy.id_number) in html, term  # results show ID numbers masked
        assert masked(support.trainees["xg"].id_number) not in html, term
        assert "trainee_zy" in html and "已分配基地" in html
    html = client.get(URL, query_string={"q": "学员"}).get_data(as_text=True)
    assert all(masked(t.id_number) in html for t in support.trainees.values())
    assert "没有符合条件的学员" in client.get(URL, query_string={"q": "无此人"}).get_data(as_text=True)


def test_search_by_the_start_of_an_id_number(support, client):
    zy, xg = support.trainees["zy"], support.trainees["xg"]
    html = client.get(URL, query_string={"q": zy.id_number[:14]}).get_data(as_text=True)
    assert masked(zy.id_number) in html and masked(xg.id_number) not in html
    # five digits are too few to mean an ID number; a trailing x matches the upper-case X
    assert masked(zy.id_number) not in client.get(URL, query_string={"q": zy.id_number[:5]}).get_data(as_text=True)
    html = client.get(URL, query_string={"q": zy.id_number[:6] + "%"}).get_data(as_text=True)
    assert "没有符合条件的学员" in html


def test_reset_sends_a_one_time_link_not_a_password(support, client, auth):
    """Support's reset texts a link; the trainee sets the password; nobody else ever sees one."""
    zy = support.trainees["zy"]
    account = zy.account
    account.failed_logins = 3
    db.session.commit()
    old_hash = account.password_hash
    response = act(client, zy, "reset", reason="学员忘记密码")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert f"已通过短信向 {zy.mobile} 发送一次性重置密码链接，30分钟内有效" in page
    assert db.session.get(Account, account.id).password_hash == old_hash  # nothing changes until it is used
    link = last_link(zy.mobile)
    token = link.rsplit("/", 1)[1]
    log = db.session.scalars(select(SmsLog).where(SmsLog.purpose == "reset_link")).one()
    assert log.phone == zy.mobile and token not in log.content and "/portal/reset/****" in log.content
    assert token not in page
    rows = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "password_reset")).all()
    assert len(rows) == 1 and rows[0].reason == "学员忘记密码" and rows[0].actor_name == "support"
    assert token not in rows[0].new_value and token_hash(token) not in rows[0].new_value
    auth.logout()
    response = client.post(link, data={"password": "Mine.2025x", "confirm": "Mine.2025x",
                                       "csrf_token": csrf_token(client, link)})
    assert response.status_code == 302 and response.location.endswith("/login")
    account = db.session.get(Account, account.id)
    assert account.failed_logins == 0
    rows = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "account",
                                                     AuditLog.field_name == "password_hash")).all()
    assert len(rows) == 1 and rows[0].actor_name == "trainee_zy"
    assert rows[0].old_value == "******" and rows[0].new_value == "******"
    assert auth.login("trainee_zy", PASSWORD).status_code == 200  # the old password fails
    response = auth.login("trainee_zy", "Mine.2025x")
    assert response.status_code == 302 and "/login" not in response.location
    everything = " ".join(db.session.scalars(select(SmsLog.content))) + " ".join(
        str(r.new_value) + str(r.old_value) for r in db.session.scalars(select(AuditLog)))
    assert "Mine.2025x" not in everything and token not in everything


def test_unlock_lets_a_locked_account_log_in(support, client, auth):
    zy = support.trainees["zy"]
    zy.account.locked_until = now() + timedelta(minutes=30)
    db.session.commit()
    response = act(client, zy, "unlock", reason="本人确认")
    assert response.status_code == 302
    assert "账号已解锁" in client.get(response.location).get_data(as_text=True)
    account = db.session.get(Account, zy.account_id)
    assert account.locked_until is None
    row = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "account",
                                                    AuditLog.field_name == "locked_until")).one()
    assert row.reason == "本人确认" and row.new_value is None
    auth.logout()
    response = auth.login("trainee_zy", PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location


def fresh_submitted(world):
    application = ApplicationFactory(trainee=world.trainees["js"], batch=BatchFactory(),
                                     county=world.regions["js"], city=world.regions["zz"], unit_name="测试单位",
                                     status=Status.SUBMITTED)
    db.session.commit()
    return application


def test_reopen_returns_a_submitted_application_to_draft(support, client):
    application = fresh_submitted(support)
    response = act(client, support.trainees["js"], "reopen", reason="学员误提交", application_id=application.id)
    assert response.status_code == 302
    assert "已退回为草稿" in client.get(response.location).get_data(as_text=True)
    assert db.session.get(Application, application.id).status == Status.DRAFT
    record = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == application.id)).one()
    assert record.action == "support_reopen" and record.reason == "学员误提交"


def test_reopen_after_a_county_review_is_refused(support, client):
    application = support.applications["js"]  # submitted, but 中原区's reviewer has acted on it
    assert application.status == Status.SUBMITTED
    before = db.session.scalar(select(db.func.count(AuditLog.id)))
    response = act(client, support.trainees["js"], "reopen", reason="学员误提交", application_id=application.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "该报名已有审核记录，不能退回草稿。" in html
    assert "学员误提交" in html
    assert db.session.get(Application, application.id).status == Status.SUBMITTED
    assert db.session.scalar(select(db.func.count(AuditLog.id))) == before


def test_missing_reason_is_refused_next_to_the_field(support, client):
    zy = support.trainees["zy"]
    old_hash = zy.account.password_hash
    response = act(client, zy, "reset", reason="   ")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    field = html[html.index('id="reason-reset"'):]
    assert "is-invalid" in field[:200] and "请填写理由。" in field[:400]
    assert db.session.get(Account, zy.account_id).password_hash == old_hash
    assert db.session.scalars(select(SmsLog)).all() == []
    assert db.session.scalars(select(AuditLog)).all() == []


def test_post_without_csrf_is_refused(support, client):
    zy = support.trainees["zy"]
    response = client.post(URL + "act/", data={"action": "unlock", "trainee_id": zy.id, "reason": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("user", ["county_zy", "city_zz", "base_zz", "province", "trainee_zy"])
def test_other_roles_are_refused(world, auth, client, user):
    auth.login(user, PASSWORD)
    assert client.get(URL).status_code == 403
    token = csrf_token(client, "/admin/" if user != "trainee_zy" else "/portal/")
    response = client.post(URL + "act/", data={"csrf_token": token, "action": "unlock",
                                               "trainee_id": world.trainees["zy"].id, "reason": "x"})
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.location


def test_superuser_may_use_the_page(world, auth, client):
    auth.login("super", PASSWORD)
    assert client.get(URL, query_string={"q": "学员"}).status_code == 200


def test_support_cannot_review(support, client):
    application = support.applications["js"]
    token = csrf_token(client, URL)
    for action in ("county_approve", "city_approve", "province_approve"):
        response = client.post("/admin/application/review/", data={"csrf_token": token, "action": action,
                                                                   "ids": application.id, "reason": "x"})
        assert response.status_code == 403
    assert db.session.get(Application, application.id).status == Status.SUBMITTED


def test_search_runs_a_fixed_number_of_queries(support, client):
    with counting_statements() as counter:
        client.get(URL, query_string={"q": "学员"})
    assert len([s for s in counter.statements if "FROM application" in s]) <= 1
