"""A season on the real calendar, through the real pages, with a moving clock (time-machine).

The registration window closes before county and city review happen: returned applications are
resubmitted after it, up to the batch's 退回修改截止; on-site confirmation closes at the batch's
deadline, with no grace. Each stage travels to its day and acts as the role that does it.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import time_machine
from flask import current_app
from sqlalchemy import select

from app.domain.review.verification import short_code
from app.domain.workflow import deadline_refusal
from app.extensions import db
from models import Application, Batch, SmsLog, Status
from models.clock import CST
from models.enums import BatchStatus, Program
from tests.conftest import csrf_token
from tests.factories import PASSWORD, AccountFactory, TraineeFactory, id_number, specialty
from tests.flows import (
    INTERNAL,
    SURGERY,
    apply_residency,
    post_review,
    ready_trainee,
    residency_batch,
    start_application,
    submit_application,
    submit_gp_without_claims,
)
from tests.portal_helpers import complete_profile

RESUBMIT_SEED = "报名状态为退回修改需依据原因重新维护信息进行再次上…报。"
CONFIRM_SEED = "务必于 5 月 22 日前，持该表到所报考的培训基地进行现场确认"
WINDOW_SEED = "报名阶段：5 月 6 日—22 日。"

OPENS, CLOSES = datetime(2025, 5, 6), datetime(2025, 5, 23)  # 报名阶段 5-6 … 5-22 (closes_at is exclusive)
RESUBMIT_BY, CONFIRM_BY = date(2025, 6, 5), date(2025, 5, 22)


def at(day: str, hour: int = 10):
    """Travel to ``day`` at ``hour`` o'clock China time; the clock stands still there."""
    moment = datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)
    return time_machine.travel(moment, tick=False)


def text(response) -> str:
    return response.get_data(as_text=True)


def login(client, username):
    """A new browser session of ``username`` (the old client is dropped)."""
    client = current_app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302, text(response)
    return client


def gp_trainee(world, username: str, name: str):
    account = AccountFactory(username=username, role="trainee")
    trainee = TraineeFactory(name=name, account=account, id_number=id_number("410102"))
    db.session.commit()
    complete_profile(trainee, world.regions["zy"], photo=world.attachments["zy"])
    return trainee


def gp_apply_and_submit(client, batch) -> int:
    application_id = start_application(client, batch)
    submit_gp_without_claims(client, application_id)
    return application_id


def resubmit(client, application_id) -> str:
    page = f"/portal/applications/{application_id}"
    return text(client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)}, follow_redirects=True))


@pytest.fixture
def season(world):
    """The GP and residency batches of a 2025 season: window 5-6 … 5-22, resubmission by 6-5,
    on-site confirmation by 5-22."""
    gp = db.session.get(Batch, world.batches["gp"].id)
    gp.opens_at, gp.closes_at, gp.resubmission_deadline = OPENS, CLOSES, RESUBMIT_BY
    residency = residency_batch(world)
    residency.opens_at, residency.closes_at = OPENS, CLOSES
    residency.resubmission_deadline, residency.confirmation_deadline = RESUBMIT_BY, CONFIRM_BY
    db.session.commit()
    return gp, residency


@pytest.mark.seed(RESUBMIT_SEED)
@pytest.mark.seed(CONFIRM_SEED)
def test_a_season_walked_with_a_moving_clock(world, client, season):
    gp, residency = season
    gp_trainee(world, "doctor_a", "甲医生")
    gp_trainee(world, "doctor_b", "乙医生")
    ready_trainee(world)  # trainee_zy applies for residency; trainee_xg too (confirmed after the deadline)
    ready_trainee(world, "xg")

    with at("2025-05-05"):  # the day before the window: nothing to apply for
        client = login(client, "doctor_a")
        assert gp.name not in text(client.get("/portal/apply"))

    with at("2025-05-10"):  # inside the window: everyone applies (a session does not last for days)
        client = login(client, "doctor_a")
        a = gp_apply_and_submit(client, gp)
        client = login(client, "doctor_b")
        b = gp_apply_and_submit(client, gp)
        residency_ids = []
        for username in ("trainee_zy", "trainee_xg"):
            client = login(client, username)
            application_id = apply_residency(client, residency, world.bases["zz"].id,
                                             [specialty(INTERNAL).id, specialty(SURGERY).id])
            submit_application(client, application_id)
            assert db.session.get(Application, application_id).status == Status.SUBMITTED
            residency_ids.append(application_id)

    with at("2025-05-26"):  # the window has closed: the county reviews and returns both GP applications
        client = login(client, "county_zy")
        response = post_review(client, "county_return", [a, b], reason="外出参培证明未盖章，请重新上传")
        assert response.status_code == 200
        assert {db.session.get(Application, i).status for i in (a, b)} == {Status.RETURNED}
        sms = db.session.scalars(select(SmsLog.content).order_by(SmsLog.id.desc())).first()
        assert "2025年6月5日" in sms and "重新提交" in sms
        client = login(client, "doctor_a")
        page = text(client.get(f"/portal/applications/{a}"))
        assert "2025年6月5日" in page and "区县卫健委" in page and "外出参培证明未盖章" in page

    with at("2025-06-05", hour=23):  # the deadline day, late in the evening: resubmission goes through
        client = login(client, "doctor_a")
        html = resubmit(client, a)
        assert db.session.get(Application, a).status == Status.SUBMITTED, html

    with at("2025-06-06", hour=8):  # the day after: refused in Chinese, the application kept as it was
        client = login(client, "doctor_b")
        html = resubmit(client, b)
        assert db.session.get(Application, b).status == Status.RETURNED
        assert "退回修改截止日期为 2025年6月5日，已过截止时间" in html

    with at("2025-05-20"):  # residency: the base approves both
        client = login(client, "base_zz")
        post_review(client, "base_approve", residency_ids)
        assert {db.session.get(Application, i).status for i in residency_ids} == {Status.BASE_APPROVED}

    on_time, late = residency_ids
    with at("2025-05-22", hour=17):  # the confirmation deadline: confirmed
        client = login(client, "base_zz")
        assert _confirm(client, on_time) == Status.CONFIRMED
    with at("2025-05-23", hour=9):  # the day after: refused, and the code on the form says so
        client = login(client, "base_zz")
        page = text(client.get("/admin/confirm/", query_string={"code": _code(late)}))
        assert "现场确认已于 2025年5月22日 截止" in page
        assert _confirm(client, late) == Status.BASE_APPROVED


def _code(application_id) -> str:
    with current_app.test_request_context("/"):
        return short_code(db.session.get(Application, application_id))


def _confirm(client, application_id) -> str:
    code = _code(application_id)
    page = text(client.get("/admin/confirm/", query_string={"code": code}))
    materials = re.findall(r'name="materials" value="([^"]+)"', page) or ["form"]
    client.post("/admin/confirm/", data={"code": code, "materials": materials,
                                         "csrf_token": csrf_token(client, "/admin/confirm/")})
    return db.session.get(Application, application_id).status


# --- each deadline on both sides, at the function that owns them --------------------------------

def batch_on_calendar(**fields) -> Batch:
    values = {"name": "日历", "year": 2025, "program": Program.GP_TRANSFER, "status": BatchStatus.OPEN,
              "opens_at": OPENS, "closes_at": CLOSES, "resubmission_deadline": RESUBMIT_BY,
              "confirmation_deadline": CONFIRM_BY, "report_deadline": date(2025, 7, 31)}
    values.update(fields)
    return Batch(**values)


@pytest.mark.seed(WINDOW_SEED)
@pytest.mark.parametrize("moment, refused", [(datetime(2025, 5, 5, 23, 59), True), (datetime(2025, 5, 6, 0, 0), False),
                                             (datetime(2025, 5, 22, 23, 59), False), (datetime(2025, 5, 23, 0, 0), True)])
def test_submission_inside_the_registration_window(app, moment, refused):
    with app.test_request_context():
        assert bool(deadline_refusal(batch_on_calendar(), "submit", moment)) is refused


@pytest.mark.seed(RESUBMIT_SEED)
@pytest.mark.parametrize("day, refused", [(date(2025, 6, 4), False), (date(2025, 6, 5), False),
                                          (date(2025, 6, 6), True)])
def test_resubmission_until_the_deadline_after_the_window(app, day, refused):
    moment = datetime.combine(day, datetime.min.time()).replace(hour=12)
    with app.test_request_context():
        assert bool(deadline_refusal(batch_on_calendar(), "resubmit", moment)) is refused
        closed = batch_on_calendar(status=BatchStatus.CLOSED)  # the province closed the batch after the window
        assert bool(deadline_refusal(closed, "resubmit", moment)) is refused


@pytest.mark.seed(CONFIRM_SEED)
@pytest.mark.parametrize("day, refused", [(date(2025, 5, 21), False), (date(2025, 5, 22), False),
                                          (date(2025, 5, 23), True)])
def test_confirmation_until_the_deadline_without_grace(app, day, refused):
    moment = datetime.combine(day, datetime.min.time()).replace(hour=23, minute=59)
    with app.test_request_context():
        assert bool(deadline_refusal(batch_on_calendar(), "confirm_onsite", moment)) is refused


def test_without_a_resubmission_deadline_resubmission_follows_the_window(app):
    batch = batch_on_calendar(resubmission_deadline=None)
    with app.test_request_context():
        assert deadline_refusal(batch, "resubmit", datetime(2025, 5, 20)) is None
        assert "未设置退回修改截止" in deadline_refusal(batch, "resubmit", datetime(2025, 5, 24))




@pytest.mark.seed("已参加住院医师规范化培训 3 年内未通过结业考核者，如再…次申请结业考核，需重新参加住院医师规范化培训，培训相关费用由个人承担。")
def test_the_retrain_flag_is_shown_to_the_trainee_the_base_and_the_province(world, season):
    _gp, residency = season
    trainee = ready_trainee(world)
    trainee.prior_residency_base, trainee.prior_residency_ended_on = "某住培基地", date(2021, 6, 30)
    trainee.prior_residency_passed = False
    db.session.commit()
    flag = "需重新参加住院医师规范化培训，培训相关费用由个人承担"
    with at("2025-05-10"):
        client = login(None, "trainee_zy")
        application_id = apply_residency(client, residency, world.bases["zz"].id, [specialty(INTERNAL).id],
                                         prior_residency_base="某住培基地", prior_residency_ended_on="2021-06-30",
                                         prior_residency_passed="no")
        check = text(client.get(f"/portal/applications/{application_id}/step/5"))
        assert flag in check and "！" in check
        submit_application(client, application_id)  # a flag never blocks
        assert db.session.get(Application, application_id).status == Status.SUBMITTED
        assert flag in text(client.get(f"/portal/applications/{application_id}"))
        for username in ("base_zz", "province"):
            client = login(None, username)
            page = text(client.get(f"/admin/application/details/?id={application_id}"))
            assert flag in page, username
