"""Decisions on exemption claims (issue 14, item 2): county and city agree or refuse each claim, the
city sees the county's decisions, approval needs a decision on each claim, the trainee and the base
see the result."""
from __future__ import annotations

import io
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain.review.claims import decisions_text
from app.domain.workflow import transition
from app.extensions import db
from models import Account, Application, ClaimDecision, Role, Status
from tests.conftest import csrf_token
from tests.factories import PASSWORD, AccountFactory
from tests.review_queue import CLAIM, LOOP, QUEUE, claims_of, queue_of

CITY_QUEUE = "/admin/application/?flt1_program_equals=gp_transfer&flt2_status_equals=county_approved"


def details(client, application_id, list_url=QUEUE) -> str:
    response = client.get(f"/admin/application/details/?id={application_id}&url={quote(list_url, safe='')}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def decide(client, application_id, claim_id, agreed, reason="", list_url=QUEUE):
    token = csrf_token(client, "/admin/application/")
    return client.post(CLAIM, data={"csrf_token": token, "id": str(application_id), "claim": str(claim_id),
                                    "agreed": "1" if agreed else "0", "claim_reason": reason, "url": list_url},
                       follow_redirects=True)


def approve(client, application, list_url=QUEUE):
    application = db.session.get(Application, application.id)
    token = csrf_token(client, "/admin/application/")
    return client.post(LOOP, data={"csrf_token": token, "id": str(application.id), "seen": str(application.version),
                                   "url": list_url, "kind": "approve"}, follow_redirects=True)


def decisions_count():
    return db.session.scalar(select(func.count()).select_from(ClaimDecision))


def status_of(application_id):
    return db.session.scalar(select(Application.status).where(Application.id == application_id))


def test_approval_waits_for_a_decision_on_each_claim(world, client, auth):
    application = queue_of(world, 1, claims={0: (1, 3)})[0]
    one, three = claims_of(application.id)
    auth.login("county_zy", PASSWORD)
    html = approve(client, application).get_data(as_text=True)
    assert "请先对每项减免申请作出“同意”或“不同意”的决定" in html and "类型 1、3" in html
    assert status_of(application.id) == Status.SUBMITTED
    html = decide(client, application.id, three.id, False).get_data(as_text=True)
    assert "请填写不同意该项减免的理由" in html and decisions_count() == 0
    decide(client, application.id, one.id, True)
    html = decide(client, application.id, three.id, False, "职称证书为初级").get_data(as_text=True)
    assert "已记录减免审核意见：不同意" in html and "职称证书为初级" in html
    assert "（1）" in html and "同意，减免：减免内容1" in html
    # approved with one claim refused
    approve(client, application)
    assert status_of(application.id) == Status.COUNTY_APPROVED


def test_a_bulk_or_row_approve_also_waits_for_the_decisions(world, client, auth):
    application = queue_of(world, 1, claims={0: (2,)})[0]
    auth.login("county_zy", PASSWORD)
    token = csrf_token(client, QUEUE)
    html = client.post("/admin/application/review/", data={
        "csrf_token": token, "action": "county_approve", "ids": str(application.id),
        f"seen_{application.id}": str(application.version)}).get_data(as_text=True)
    assert "请先对每项减免申请作出" in html and status_of(application.id) == Status.SUBMITTED


def test_the_city_sees_the_county_decisions_and_its_own_stand(world, client, auth):
    application = queue_of(world, 1, claims={0: (5, 7)})[0]
    five, seven = claims_of(application.id)
    auth.login("county_zy", PASSWORD)
    decide(client, application.id, five.id, True)
    decide(client, application.id, seven.id, False, "师资证书取得时间早于2020年5月1日")
    approve(client, application)
    auth.logout()
    auth.login("city_zz", PASSWORD)
    html = details(client, application.id, CITY_QUEUE)
    assert "师资证书取得时间早于2020年5月1日" in html and html.count("claim-decision-form") == 2
    html = approve(client, application, CITY_QUEUE).get_data(as_text=True)
    assert "尚未决定：类型 5、7" in html and status_of(application.id) == Status.COUNTY_APPROVED
    decide(client, application.id, five.id, True)
    decide(client, application.id, seven.id, True)  # the city overrules the county
    approve(client, application, CITY_QUEUE)
    assert status_of(application.id) == Status.CITY_APPROVED
    text = decisions_text([application.id])[application.id]
    assert "（5）" in text and "（7）" in text and "免培训，直接考核" in text and "不同意" not in text


def test_the_trainee_and_the_assigned_base_see_the_result(world, client, auth):
    application = queue_of(world, 1, claims={0: (3, 8)})[0]
    three, eight = claims_of(application.id)
    application.trainee.account = AccountFactory(username="claim_trainee", role=Role.TRAINEE)
    db.session.commit()
    auth.login("county_zy", PASSWORD)
    decide(client, application.id, three.id, False, "执业范围与轮转科室不符")
    decide(client, application.id, eight.id, True)
    auth.logout()
    auth.login("claim_trainee", PASSWORD)
    html = client.get(f"/portal/applications/{application.id}").get_data(as_text=True)
    assert "减免审核结果" in html and "免培训、免考核，直接注册" in html and "执业范围与轮转科室不符" in html
    auth.logout()
    application = db.session.get(Application, application.id)
    county, city = (db.session.get(Account, world.accounts[k].id) for k in ("county_zy", "city_zz"))
    transition(application, "county_approve", county)
    db.session.commit()
    for claim in (three, eight):
        db.session.add(ClaimDecision(exemption_request_id=claim.id, application_id=application.id, level="city",
                                     agreed=claim.type == 8, reason="" if claim.type == 8 else "同意区县意见"))
    transition(application, "city_approve", city)
    application.base_id = world.bases["zz"].id
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    html = details(client, application.id, "/admin/application/")
    assert "减免审核结果" in html and "免培训、免考核，直接注册" in html and "同意区县意见" in html
    assert "claim-decision-form" not in html  # the base reads, it does not decide
    # and in its export, to plan the training
    sheet = load_workbook(io.BytesIO(client.get("/admin/application/export/xlsx/").data)).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    [row] = [dict(zip(header, values)) for values in rows if values[0] == application.id]
    assert "免培训、免考核，直接注册" in row["减免申请审核结果"] and "同意区县意见" in row["减免申请审核结果"]


def test_a_decision_on_a_claim_of_another_application_or_scope_is_refused(world, client, auth):
    mine, other = queue_of(world, 2, claims={0: (1,), 1: (2,)})
    theirs = queue_of(world, 1, county="xg", claims={0: (1,)}, names="西工")[0]
    other_claim, their_claim = claims_of(other.id)[0], claims_of(theirs.id)[0]
    auth.login("county_zy", PASSWORD)
    html = decide(client, mine.id, other_claim.id, True).get_data(as_text=True)
    assert "该减免申请不属于这条报名" in html
    html = decide(client, theirs.id, their_claim.id, True).get_data(as_text=True)
    assert "不存在或不在您的管辖范围内" in html
    for forged in ("99999999999999999999", "2147483648", "-1", "x\x00"):
        html = decide(client, mine.id, forged, True).get_data(as_text=True)
        assert "该减免申请不属于这条报名" in html
    assert decisions_count() == 0
    # the city may not decide while the county reviews; the county reason keeps what was typed
    auth.logout()
    auth.login("city_zz", PASSWORD)
    html = decide(client, mine.id, claims_of(mine.id)[0].id, False, "理由").get_data(as_text=True)
    assert "现在不由您审核" in html and decisions_count() == 0
