"""Opened businesses (业务) decide what a trainee may apply for; 我的业务 opens another one later."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select

from app.domain.enrollment import EnrollmentError, submit
from app.extensions import db
from models import AccountBusiness, Application, AuditLog, Trainee
from models.enums import AuditAction, Business
from tests.conftest import csrf_token
from tests.factories import PASSWORD, AccountFactory, TraineeFactory, id_number
from tests.flows import residency_batch, start_application
from tests.portal_helpers import complete_profile

GUIDE_OPEN = "选择业务处，点击“全科转岗培训”开通。然后选择“学员”角色。"


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip()
            for m in re.findall(r'<div class="alert alert-[a-z]+" role="alert">(.*?)</div>', html, re.S)]


def trainee_with(auth, username: str, businesses: list[str]) -> Trainee:
    account = AccountFactory(username=username, role="trainee", businesses=businesses)
    trainee = TraineeFactory(name=f"学员{username}", account=account, id_number=id_number("410102"))
    db.session.commit()
    auth.login(username, PASSWORD)
    return trainee


def post_apply(client, batch):
    return client.post("/portal/apply", data={"batch_id": batch.id, "csrf_token": csrf_token(client, "/portal/apply")})


def open_business(client, business: str, follow: bool = True):
    return client.post("/portal/businesses", data={"business": business,
                                                   "csrf_token": csrf_token(client, "/portal/businesses")},
                       follow_redirects=follow)


def applications_of(trainee) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(Application.trainee_id == trainee.id))


@pytest.mark.seed(GUIDE_OPEN)
def test_without_gp_transfer_no_gp_batch_is_offered_and_a_forged_start_is_refused(world, client, auth):
    trainee = trainee_with(auth, "only_res", [Business.RESIDENCY])
    html = text(client.get("/portal/apply"))
    assert world.batches["gp"].name not in html
    notice = re.search(r'id="businesses-to-open">(.*?)</div>', html, re.S).group(1)
    assert "全科转岗培训" in notice and "我的业务" in notice and "/portal/businesses" in notice
    response = post_apply(client, world.batches["gp"])
    assert response.status_code == 302
    assert "须先在“我的业务”中开通“全科转岗培训”业务" in " ".join(flashes(text(client.get(response.location))))
    assert applications_of(trainee) == 0


@pytest.mark.seed(GUIDE_OPEN)
def test_without_residency_no_residency_batch_is_offered_and_a_forged_start_is_refused(world, client, auth):
    batch = residency_batch(world)
    trainee = trainee_with(auth, "only_gp", [Business.GP_TRANSFER])
    html = text(client.get("/portal/apply"))
    assert world.batches["gp"].name in html and batch.name not in html
    assert "住院医师规范化培训" in re.search(r'id="businesses-to-open">(.*?)</div>', html, re.S).group(1)
    response = post_apply(client, batch)
    assert response.status_code == 302
    assert "开通“住院医师规范化培训”" in " ".join(flashes(text(client.get(response.location))))
    assert applications_of(trainee) == 0


def test_with_both_businesses_both_batches_are_offered_and_no_notice(world, client, auth):
    batch = residency_batch(world)
    trainee_with(auth, "both", [Business.GP_TRANSFER, Business.RESIDENCY])
    html = text(client.get("/portal/apply"))
    assert world.batches["gp"].name in html and batch.name in html
    assert 'id="businesses-to-open"' not in html


def test_opening_a_business_is_immediate_audited_and_makes_the_batch_appear(world, client, auth):
    trainee = trainee_with(auth, "late_gp", [Business.CME])
    assert world.batches["gp"].name not in text(client.get("/portal/apply"))
    html = text(open_business(client, Business.GP_TRANSFER))
    assert "“全科转岗培训”开通成功。" in flashes(html)
    rows = db.session.scalars(select(AccountBusiness.business).where(
        AccountBusiness.account_id == trainee.account_id)).all()
    assert sorted(rows) == sorted([Business.CME, Business.GP_TRANSFER])
    [audit] = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "account_business")).all()
    assert audit.action == AuditAction.CREATE and audit.actor_id == trainee.account_id
    assert audit.record_id == f"{trainee.account_id},{Business.GP_TRANSFER}"
    assert world.batches["gp"].name in text(client.get("/portal/apply"))
    response = post_apply(client, world.batches["gp"])
    assert response.status_code == 302 and "/step/2" in response.location
    assert applications_of(trainee) == 1


@pytest.mark.seed("显示“已开通”后，点击“下一步”。")
def test_my_businesses_lists_the_seven_with_opened_or_open(world, client, auth):
    trainee_with(auth, "lister", [Business.GP_TRANSFER])
    html = text(client.get("/portal/"))
    assert 'href="/portal/businesses"' in html and "我的业务" in html
    html = text(client.get("/portal/businesses"))
    items = re.findall(r'<li class="list-group-item[^"]*" id="business-([a-z_]+)">(.*?)</li>', html, re.S)
    assert [value for value, _ in items] == Business.values()
    shown = {value: body for value, body in items}
    assert "已开通" in shown[Business.GP_TRANSFER] and "<form" not in shown[Business.GP_TRANSFER]
    for value in Business.values():
        if value != Business.GP_TRANSFER:
            assert "开通" in shown[value] and f'name="business" value="{value}"' in shown[value]
            assert 'name="csrf_token"' in shown[value]
    assert "继续医学教育" in html and "其他业务" in html


def test_opening_twice_says_so_and_keeps_one_row(world, client, auth):
    trainee = trainee_with(auth, "twice", [Business.GP_TRANSFER])
    response = open_business(client, Business.GP_TRANSFER)
    assert response.status_code == 200
    assert "您已开通“全科转岗培训”，无需重复开通。" in flashes(text(response))
    assert db.session.scalar(select(func.count()).select_from(AccountBusiness).where(
        AccountBusiness.account_id == trainee.account_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.table_name == "account_business")) == 0


@pytest.mark.parametrize("value", ["admin", "GP_TRANSFER", "", "gp_transfer\x00", "cme' OR 1=1"])
def test_a_forged_business_value_is_refused_in_chinese(world, client, auth, value):
    trainee = trainee_with(auth, "forger", [Business.GP_TRANSFER])
    response = open_business(client, value)
    assert response.status_code == 200
    assert "该业务不存在。" in flashes(text(response))
    assert db.session.scalar(select(func.count()).select_from(AccountBusiness).where(
        AccountBusiness.account_id == trainee.account_id)) == 1


def test_opening_needs_the_csrf_token_and_a_trainee(world, client, auth):
    trainee_with(auth, "nocsrf", [Business.GP_TRANSFER])
    response = client.post("/portal/businesses", data={"business": Business.RESIDENCY})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AccountBusiness).where(
        AccountBusiness.business == Business.RESIDENCY)) == 0
    auth.logout(page="/portal/")
    assert client.get("/portal/businesses").status_code == 302  # to the login page
    auth.login("province", PASSWORD)
    assert client.get("/portal/businesses").location.endswith("/admin/")


def test_a_draft_of_a_business_no_longer_opened_is_not_submitted(world, client, auth):
    """The rule is checked again at submission (a draft started before, or a forged state)."""
    trainee = trainee_with(auth, "lapsed", [Business.GP_TRANSFER])
    complete_profile(db.session.get(Trainee, trainee.id), world.regions["zy"], photo=world.attachments["zy"])
    application_id = start_application(client, world.batches["gp"])
    db.session.execute(delete(AccountBusiness).where(AccountBusiness.account_id == trainee.account_id))
    db.session.commit()
    page = f"/portal/applications/{application_id}"
    assert "须先在“我的业务”中开通“全科转岗培训”业务" in text(client.get(page))
    response = client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)}, follow_redirects=True)
    assert response.status_code == 200
    assert db.session.get(Application, application_id).status == "draft"
    with pytest.raises(EnrollmentError, match="全科转岗培训"):
        submit(db.session.get(Application, application_id), trainee.account)
    db.session.rollback()
    assert db.session.get(Application, application_id).status == "draft"
