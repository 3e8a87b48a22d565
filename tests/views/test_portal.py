"""The trainee portal through the client: registration, profile, application, submission, access."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.domain.workflow import transition
from app.extensions import db
from models import Account, Application, Attachment, AuditLog, ExemptionRequest, ReviewRecord, SmsCode, Status, Trainee
from models.clock import now
from tests.conftest import csrf_token
from tests.factories import PASSWORD, id_number
from tests.flows import (  # noqa: F401  (applicant is a fixture)
    applicant,
    claim_gp_exemptions,
    submit_gp_with_claims,
    submit_gp_without_claims,
    upload,
    upload_gp_evidence,
)
from tests.flows import start_gp as start
from tests.portal_helpers import last_code, png_bytes

REG = "/portal/register"


def text(response) -> str:
    return response.get_data(as_text=True)


def errors(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", e).strip() for e in re.findall(r'invalid-feedback d-block[^"]*">(.*?)</div>', html, re.S)]


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", e).strip() for e in re.findall(r'<div class="alert alert-[a-z]+" role="alert">(.*?)</div>',
                                                                 html, re.S)]


def step1(client, name="王医生", number=None, mobile="13912345678", code="", action="next"):
    return client.post(REG, data={"name": name, "id_number": number or id_number("410102"), "mobile": mobile,
                                  "code": code, "action": action, "csrf_token": csrf_token(client, REG)})


def register(client, mobile="13912345678", number=None, username="wangys", password="Abc.12345"):
    number = number or id_number("410102")
    step1(client, number=number, mobile=mobile, action="send_code")
    response = step1(client, number=number, mobile=mobile, code=last_code(mobile))
    assert response.status_code == 302, errors(text(response))
    token = csrf_token(client, REG)
    response = client.post(REG, data={"username": username, "password": password, "confirm": password,
                                      "csrf_token": token})
    assert response.status_code == 302, errors(text(response))
    response = client.post(REG, data={"businesses": ["gp_transfer"], "role": "trainee", "csrf_token": token})
    assert response.status_code == 302, errors(text(response))
    return number


# --- registration ------------------------------------------------------------------------------

def test_registration_in_four_steps_then_log_in(app, client, auth):
    page = text(client.get(REG))
    assert "个人信息验证" in page and "获取验证码" in page
    number = register(client)
    assert "注册完成" in text(client.get(REG))
    trainee = db.session.scalar(select(Trainee).where(Trainee.id_number == number))
    assert trainee.name == "王医生" and trainee.mobile == "13912345678" and trainee.birth_date is not None
    account = trainee.account
    assert account.username == "wangys" and account.role == "trainee" and account.businesses == ["gp_transfer"]
    assert account.phone_verified_at is not None
    response = auth.login("wangys", "Abc.12345")
    assert response.location.endswith("/portal/")


def test_code_is_sent_through_the_sms_log_and_page_counts_down(app, client):
    response = step1(client, action="send_code")
    html = text(response)
    assert any("验证码已发送" in f for f in flashes(html))
    assert re.search(r'data-wait="(5\d|60)"', html)
    assert db.session.scalar(select(func.count()).select_from(SmsCode)) == 1


@pytest.mark.parametrize("case", ["wrong", "expired", "reused", "missing"])
def test_bad_codes_are_refused_and_keep_what_was_typed(app, client, case):
    number = id_number("410102")
    step1(client, number=number, action="send_code")
    code = last_code("13912345678")
    if case == "wrong":
        code = "000000" if code != "000000" else "111111"
    if case == "expired":
        db.session.execute(update(SmsCode).values(expires_at=now() - timedelta(seconds=1)))
        db.session.commit()
    if case == "reused":
        assert step1(client, number=number, code=code).status_code == 302
        client.post("/portal/register/cancel", data={"csrf_token": csrf_token(client, REG)})
    if case == "missing":
        code = ""
    response = step1(client, number=number, code=code)
    html = text(response)
    assert response.status_code == 200
    assert errors(html), html
    assert any(word in " ".join(errors(html)) for word in ("验证码",)), errors(html)
    assert f'value="{number}"' in html and 'value="王医生"' in html


@pytest.mark.parametrize("password,problem", [("Ab.1234", "8-20"), ("Abcdefgh.123456789012", "8-20"),
                                              ("12345678.", "字母"), ("Abcdefgh.", "数字"),
                                              ("Abcd12345", "特殊字符"), ("Abcd 1234.", "只能包含")])
def test_password_rules_are_shown_and_enforced(app, client, password, problem):
    step1(client, action="send_code")
    step1(client, code=last_code("13912345678"))
    page = text(client.get(REG))
    assert ".#@!%$&amp;_-&#39;" in page or ".#@!%$&_-'" in page  # the rule is on the page
    response = client.post(REG, data={"username": "wangys", "password": password, "confirm": password,
                                      "csrf_token": csrf_token(client, REG)})
    assert response.status_code == 200
    assert any(problem in e for e in errors(text(response))), errors(text(response))
    assert 'value="wangys"' in text(response)


def test_duplicate_id_number_phone_and_username_are_refused_without_naming_the_owner(world, client):
    """The clash is told once the code proves the phone (tests/views/test_enumeration.py: not before)."""
    other, js = world.trainees["zy"], world.trainees["js"]
    step1(client, number=other.id_number, mobile=js.mobile, action="send_code")
    response = step1(client, number=other.id_number, mobile=js.mobile, code=last_code(js.mobile))
    assert response.status_code == 200
    found = " ".join(errors(text(response)))
    assert "身份证号码已注册" in found and "手机号码已注册" in found
    assert other.name not in text(response) and js.name not in text(response)
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == len(world.trainees)
    step1(client, action="send_code")
    step1(client, code=last_code("13912345678"))
    response = client.post(REG, data={"username": "county_zy", "password": "Abc.12345", "confirm": "Abc.12345",
                                      "csrf_token": csrf_token(client, REG)})
    assert "用户名已被使用" in " ".join(errors(text(response)))


@pytest.mark.seed("您必须选择一个业务进行开通，方能完成注册！")
def test_at_least_one_business_must_be_opened(app, client):
    step1(client, action="send_code")
    step1(client, code=last_code("13912345678"))
    token = csrf_token(client, REG)
    client.post(REG, data={"username": "wangys", "password": "Abc.12345", "confirm": "Abc.12345", "csrf_token": token})
    response = client.post(REG, data={"role": "trainee", "csrf_token": token})
    assert "您必须选择一个业务进行开通" in " ".join(errors(text(response)))
    assert db.session.scalar(select(func.count()).select_from(Account).where(Account.username == "wangys")) == 0


def test_forgotten_password_is_reset_by_sms_code(world, client, auth):
    account = world.accounts["trainee_zy"]
    account.phone = "13900001111"
    db.session.commit()
    token = csrf_token(client, "/portal/forgot")
    client.post("/portal/forgot", data={"mobile": "13900001111", "action": "send_code", "csrf_token": token})
    response = client.post("/portal/forgot", data={"mobile": "13900001111", "code": last_code("13900001111"),
                                                   "password": "New.pass123", "confirm": "New.pass123",
                                                   "action": "reset", "csrf_token": token})
    assert response.status_code == 302
    assert auth.login("trainee_zy", "New.pass123").location.endswith("/portal/")


# --- profile -------------------------------------------------------------------------------------

@pytest.fixture
def trainee_client(world, client, auth):
    auth.login("trainee_zy", PASSWORD)
    return client


def test_profile_tabs_save_and_refuse_bad_input(world, trainee_client):
    client = trainee_client
    url = "/portal/profile/contact"
    response = client.post(url, data={"email": "not-an-email", "address": "新地址", "emergency_contact": "张三",
                                      "emergency_phone": "138", "csrf_token": csrf_token(client, url)})
    html = text(response)
    assert "请输入有效的电子邮箱地址。" in errors(html) and "请输入有效的电话号码。" in errors(html)
    assert 'value="新地址"' in html
    db.session.refresh(world.trainees["zy"])
    assert world.trainees["zy"].address is None
    response = client.post(url, data={"email": "a@b.cn", "address": "新地址", "emergency_contact": "张三",
                                      "emergency_phone": "0371-65998221", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert db.session.get(Trainee, world.trainees["zy"].id).address == "新地址"


def test_typed_unit_needs_its_level_and_directory_unit_takes_its_county(world, trainee_client):
    client = trainee_client
    url = "/portal/profile/employment/new"
    data = {"unit_name": "自录入卫生院", "region_id": str(world.regions["js"].id), "department": "全科",
            "title": "attending", "title_grade": "intermediate", "start_date": "2015-01-01", "is_current": "y",
            "csrf_token": csrf_token(client, "/portal/profile/employment")}
    response = client.post(url, data=data)
    assert "自行录入的单位，请选择单位级别。" in errors(text(response))
    assert 'value="自录入卫生院"' in text(response)
    institution = world.institutions["xg"]
    response = client.post(url, data={**data, "unit_name": institution.name, "institution_id": str(institution.id)})
    assert response.status_code == 302
    trainee = db.session.get(Trainee, world.trainees["zy"].id)
    row = [e for e in trainee.employments if e.unit_name == institution.name][0]
    assert row.institution_id == institution.id and row.region_id == world.regions["xg"].id
    found = client.get("/portal/institutions?q=" + institution.name[:4]).get_json()
    assert any(item["id"] == institution.id for item in found)


def test_another_trainees_rows_cannot_be_edited_or_deleted(world, trainee_client):
    client = trainee_client
    foreign = world.trainees["js"].educations[0]
    assert client.get(f"/portal/profile/education/{foreign.id}/edit").status_code == 404
    response = client.post(f"/portal/profile/education/{foreign.id}/delete",
                           data={"csrf_token": csrf_token(client, "/portal/profile/education")})
    assert response.status_code == 404
    assert db.session.get(type(foreign), foreign.id) is not None


# --- applying --------------------------------------------------------------------------------------

def test_submission_lists_what_is_missing_then_succeeds(world, client, applicant):
    application = start(client, world)
    base = f"/portal/applications/{application.id}"
    token = claim_gp_exemptions(client, application.id)
    client.post(f"{base}/step/5", data={"csrf_token": token})
    response = client.post(f"{base}/submit", data={"csrf_token": token}, follow_redirects=True)
    html = text(response)
    assert "尚未提交" in html and "请上传外出参培证明。" in html and "请上传" in html
    assert db.session.get(Application, application.id).status == Status.DRAFT
    upload_gp_evidence(client, application.id)
    response = client.post(f"{base}/submit", data={"csrf_token": token}, follow_redirects=True)
    html = text(response)
    assert "提交成功" in html and "待区县审核" in html
    application = db.session.get(Application, application.id)
    assert application.status == Status.SUBMITTED and application.submitted_at is not None
    assert application.county_id == world.regions["zy"].id and application.city_id == world.regions["zz"].id
    assert application.snapshot["name"] == "申请人" and application.snapshot["employments"]
    for request in application.exemptions:
        assert request.rule_results and request.rules_passed is not None
    record = db.session.scalar(select(ReviewRecord).where(ReviewRecord.application_id == application.id))
    assert (record.action, record.status_before, record.status_after) == ("submit", "draft", "submitted")
    assert db.session.scalar(select(AuditLog).where(AuditLog.table_name == "application",
                                                    AuditLog.field_name == "status")) is not None


def test_reviewer_reads_the_rule_checks_in_chinese(world, client, applicant, auth):
    submit_gp_with_claims(client, start(client, world).id)
    request = db.session.scalar(select(ExemptionRequest).where(ExemptionRequest.type == 2)
                                .order_by(ExemptionRequest.id.desc()))
    auth.logout(page="/portal/")
    auth.login("county_zy", PASSWORD)
    html = text(client.get(f"/admin/exemption_request/details/?id={request.id}"))
    assert "规则核验结果" in html
    assert re.search(r"[✔✘] [^<]*2020年5月1日|[✔✘] [^<]*2020-05-01", html), html[html.find("规则核验结果"):][:800]


def test_nothing_can_change_after_submission(world, client, applicant):
    application = start(client, world)
    base = f"/portal/applications/{application.id}"
    assert submit_gp_without_claims(client, application.id).status_code == 302
    assert db.session.get(Application, application.id).status == Status.SUBMITTED
    token = csrf_token(client, "/portal/")
    files_before = db.session.scalar(select(func.count()).select_from(Attachment))
    response = upload(client, f"{base}/files", png_bytes(), "又一个.png", kind="outing_proof")
    assert "报名信息已提交，无法修改" in text(client.get(response.location))
    client.post(f"{base}/exemptions", data={"type": 1, "content": "x", "reason": "y", "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(ExemptionRequest).where(
        ExemptionRequest.application_id == application.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == files_before
    response = client.post("/portal/profile/contact", data={"address": "改", "emergency_contact": "a",
                                                            "emergency_phone": "13700000000", "csrf_token": token})
    assert "正在审核中" in text(client.get(response.location))
    assert db.session.get(Trainee, applicant.id).address != "改"
    assert client.post(f"{base}/submit", data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ReviewRecord)) == 1 + 3  # world's three + one submit


def test_returned_application_is_fixed_and_goes_to_the_county_again(world, client, applicant):
    application = start(client, world)
    base = f"/portal/applications/{application.id}"
    submit_gp_without_claims(client, application.id)
    token = csrf_token(client, "/portal/")
    application = db.session.get(Application, application.id)
    transition(application, "county_return", db.session.get(Account, world.accounts["county_zy"].id),
               reason="外出参培证明未盖章")
    db.session.commit()
    html = text(client.get(base))
    assert "退回修改" in html and "外出参培证明未盖章" in html and "重新提交" in html
    response = client.post(f"{base}/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "待区县审核" in text(response)
    actions = db.session.scalars(select(ReviewRecord.action).where(ReviewRecord.application_id == application.id)
                                 .order_by(ReviewRecord.id)).all()
    assert actions == ["submit", "county_return", "resubmit"]


def test_one_trainee_cannot_read_anothers_application_or_file(world, client, auth):
    auth.login("trainee_js", PASSWORD)
    other = world.applications["zy"]
    assert client.get(f"/portal/applications/{other.id}").status_code == 404
    assert client.get(f"/portal/applications/{other.id}/step/4").status_code == 404
    assert client.get(f"/files/{world.attachments['zy'].id}").status_code == 404
    response = client.post(f"/portal/applications/{other.id}/submit", data={"csrf_token": csrf_token(client, "/portal/")})
    assert response.status_code == 404


def test_a_text_file_renamed_jpg_is_refused_in_chinese(world, client, applicant):
    application = start(client, world)
    base = f"/portal/applications/{application.id}"
    response = upload(client, f"{base}/files", b"just some text, not an image", "证明.jpg", kind="outing_proof")
    html = text(client.get(response.location))
    assert any("JPG" in f or "PNG" in f for f in flashes(html)), flashes(html)
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.kind == "outing_proof")) == 0


def test_closed_batch_cannot_be_chosen(world, client, applicant):
    world_batch = world.batches["gp"]
    db.session.execute(update(type(world_batch)).values(closes_at=now() - timedelta(minutes=1),
                                                         opens_at=now() - timedelta(days=3)))
    db.session.commit()
    response = client.post("/portal/apply", data={"batch_id": world_batch.id, "csrf_token": csrf_token(client, "/portal/apply")},
                           follow_redirects=True)
    assert "不在报名时间内" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Application).where(
        Application.trainee_id == applicant.id)) == 0
