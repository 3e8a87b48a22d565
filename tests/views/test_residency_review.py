"""住培 in the back office: the base reviews its own applicants with the shared transition function,
and records 报到 of admitted trainees by the deadline; the province sees who has not reported."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.workflow import TransitionError, transition, transition_many
from app.extensions import db
from models import AccessLog, Application, ApplicationChoice, Quota, ReviewRecord, Status
from app.domain.privacy import mask_id_number
from models.clock import now
from models.enums import AdmissionResult, BatchRound, Identity, Program
from tests.conftest import csrf_token
from tests.factories import PASSWORD, BatchFactory, TraineeFactory, id_number, specialty
from tests.flows import INTERNAL, apply_residency, ready_trainee, residency_batch, submit_application
from tests.notices import accepted_notice
from tests.queries import statements

LIST = "/admin/application/"
REVIEW = "/admin/application/review/"


def applicant(world, batch, base_key, status=Status.SUBMITTED):
    trainee = TraineeFactory(id_number=id_number(world.regions["zy"].code))
    application = Application(trainee=trainee, batch=batch, base=world.bases[base_key], status=status,
                              identity=Identity.OPEN_ENTRY, submitted_at=now() - timedelta(days=1),
                              no_postgrad_pledge=True)
    application.choices.append(ApplicationChoice(rank=1, specialty=specialty(INTERNAL)))
    if status in (Status.ADMITTED, Status.REPORTED):
        application.admission_result = AdmissionResult.ADMITTED
        application.admitted_specialty = specialty(INTERNAL)
    db.session.add(application)
    db.session.commit()
    return application


def post(client, action, ids, **extra):
    data = {"action": action, "ids": [str(i) for i in ids], "csrf_token": csrf_token(client, LIST), **extra}
    return client.post(REVIEW, data=data)


def test_base_reviews_only_its_own_applicants(world, client, auth):
    batch = residency_batch(world)
    mine, other = applicant(world, batch, "zz"), applicant(world, batch, "ly")
    auth.login("base_zz", PASSWORD)
    html = client.get(LIST).get_data(as_text=True)
    assert mask_id_number(mine.trainee.id_number) in html and mask_id_number(other.trainee.id_number) not in html
    assert client.get(f"{LIST}details/?id={other.id}").status_code in (302, 404)
    html = post(client, "base_approve", [mine.id, other.id]).get_data(as_text=True)
    assert "review-done" in html and "review-refused" in html
    assert db.session.get(Application, mine.id).status == Status.BASE_APPROVED
    assert db.session.get(Application, other.id).status == Status.SUBMITTED
    record = db.session.scalar(select(ReviewRecord).where(ReviewRecord.application_id == mine.id))
    assert record.action == "base_approve" and record.actor_id == world.accounts["base_zz"].id


def test_base_return_needs_a_reason(world, client, auth):
    batch = residency_batch(world)
    mine = applicant(world, batch, "zz")
    auth.login("base_zz", PASSWORD)
    response = post(client, "base_return", [mine.id], reason="")
    assert "请填写理由" in response.get_data(as_text=True) or "理由" in response.get_data(as_text=True)
    assert db.session.get(Application, mine.id).status == Status.SUBMITTED
    response = post(client, "base_return", [mine.id], reason="学历证书照片不清晰")
    assert "review-done" in response.get_data(as_text=True)
    assert db.session.get(Application, mine.id).status == Status.RETURNED


def test_county_and_city_reviewers_cannot_act_for_the_base(world, client, auth):
    batch = residency_batch(world)
    mine = applicant(world, batch, "zz")
    for username in ("county_zy", "city_zz"):
        auth.login(username, PASSWORD)
        assert post(client, "base_approve", [mine.id]).status_code == 403
        auth.logout()
    assert db.session.get(Application, mine.id).status == Status.SUBMITTED


def test_base_records_reporting_and_the_province_sees_who_has_not(world, client, auth):
    batch = residency_batch(world)
    batch.report_deadline = (now() + timedelta(days=5)).date()
    db.session.commit()
    reported, waiting, elsewhere = (applicant(world, batch, "zz", Status.ADMITTED),
                                    applicant(world, batch, "zz", Status.ADMITTED),
                                    applicant(world, batch, "ly", Status.ADMITTED))
    for application in (reported, elsewhere):
        accepted_notice(application)  # 报到 requires an accepted admission
    auth.login("base_zz", PASSWORD)
    html = client.get(LIST).get_data(as_text=True)
    assert 'value="report"' in html
    html = post(client, "report", [reported.id, elsewhere.id]).get_data(as_text=True)
    assert "review-done" in html and "review-refused" in html
    row = db.session.get(Application, reported.id)
    assert row.status == Status.REPORTED and row.reported_at is not None
    assert db.session.get(Application, elsewhere.id).status == Status.ADMITTED
    auth.logout()
    auth.login("province", PASSWORD)
    links = dict((label, href.replace("&amp;", "&")) for href, label in re.findall(
        r'<a[^>]+href="([^"]*flt1_program_equals[^"]*)"[^>]*>\s*([^<（]+?)（\d+）\s*</a>', client.get("/admin/").get_data(as_text=True)))
    html = client.get(links["已录取未报到"]).get_data(as_text=True)
    assert mask_id_number(waiting.trainee.id_number) in html and mask_id_number(elsewhere.trainee.id_number) in html
    assert mask_id_number(reported.trainee.id_number) not in html


def test_reporting_after_the_deadline_is_refused(world, client, auth):
    batch = residency_batch(world)
    batch.report_deadline = (now() - timedelta(days=1)).date()
    db.session.commit()
    late = applicant(world, batch, "zz", Status.ADMITTED)
    auth.login("base_zz", PASSWORD)
    html = post(client, "report", [late.id]).get_data(as_text=True)
    assert "报到已截止" in html
    assert db.session.get(Application, late.id).status == Status.ADMITTED


def test_province_gives_a_round_two_batch_the_seats_left(world, client, auth):
    first = residency_batch(world, name="第一阶段")
    applicant(world, first, "zz", Status.ADMITTED)
    second = BatchFactory(name="调剂补录", program=Program.RESIDENCY, round=BatchRound.SUPPLEMENTARY,
                          previous_batch=first)
    db.session.commit()
    data = {"action": "round_two_seats", "rowid": [str(second.id)], "url": "/admin/batch/"}
    auth.login("city_zz", PASSWORD)
    client.post("/admin/batch/action/", data={**data, "csrf_token": csrf_token(client, "/admin/quota/")})
    assert db.session.scalars(select(Quota).where(Quota.batch_id == second.id)).all() == []
    auth.logout()
    auth.login("province", PASSWORD)
    response = client.post("/admin/batch/action/", data={**data, "csrf_token": csrf_token(client, "/admin/batch/")},
                           follow_redirects=True)
    assert "有剩余名额" in response.get_data(as_text=True)
    left = {(q.base_id, q.specialty.code): q.capacity
            for q in db.session.scalars(select(Quota).where(Quota.batch_id == second.id))}
    assert left[(world.bases["zz"].id, INTERNAL)] == 2 and left[(world.bases["ly"].id, INTERNAL)] == 3
    # a first-round batch has no previous round: refused with the reason, nothing created
    response = client.post("/admin/batch/action/", data={**data, "rowid": [str(first.id)],
                                                         "csrf_token": csrf_token(client, "/admin/batch/")},
                           follow_redirects=True)
    assert "调剂补录批次" in response.get_data(as_text=True)


def test_export_has_choices_scores_and_results_without_a_query_per_row(world, client, auth):
    batch = residency_batch(world)
    admitted = applicant(world, batch, "zz", Status.ADMITTED)
    admitted.choices.append(ApplicationChoice(rank=2, specialty=specialty("0900")))
    admitted.theory_score, admitted.skills_score, admitted.combined_score = (Decimal("80"), Decimal("90"),
                                                                            Decimal("85"))
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    url = f"/admin/application/export/xlsx/?flt0_batch_equals={batch.id}"
    few = statements(client, url)
    for _i in range(12):
        applicant(world, batch, "zz")
    many = statements(client, url)
    assert many == few
    response = client.get(url)
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    header = rows[0]
    row = next(r for r in rows[1:] if mask_id_number(admitted.trainee.id_number) in r)
    values = dict(zip(header, row))
    assert values["报名志愿"] == "1. 内科；2. 外科"
    # scores are number cells (sortable and summable in the spreadsheet), 缺考 is text
    assert (values["理论成绩"], values["技能成绩"], values["综合成绩"]) == (80, 90, 85)
    assert values["录取结果"] == "已录取" and values["录取专业"] == "内科"
    assert sum(1 for r in rows[1:] if dict(zip(header, r))["招收批次"] == batch.name) == 13


def test_a_draft_naming_the_base_stays_private_until_submitted(world, client, auth):
    """The trainee picks the base while writing the draft; the base sees nothing before submission."""
    batch = residency_batch(world)
    draft = applicant(world, batch, "zz", Status.DRAFT)
    auth.login("base_zz", PASSWORD)
    assert mask_id_number(draft.trainee.id_number) not in client.get(LIST).get_data(as_text=True)
    assert client.get(f"{LIST}details/?id={draft.id}").status_code in (302, 404)
    assert client.get(f"/admin/trainee/details/?id={draft.trainee_id}").status_code in (302, 404)
    assert mask_id_number(draft.trainee.id_number) not in client.get("/admin/trainee/").get_data(as_text=True)


def test_county_and_city_commissions_do_not_see_residency_applications(world, client, auth):
    batch = residency_batch(world)
    application = applicant(world, batch, "zz")
    application.county, application.city = world.regions["zy"], world.regions["zz"]  # the trainee's employer
    db.session.commit()
    for username in ("county_zy", "city_zz"):
        auth.login(username, PASSWORD)
        assert mask_id_number(application.trainee.id_number) not in client.get(LIST).get_data(as_text=True)
        assert client.get(f"{LIST}details/?id={application.id}").status_code in (302, 404)
        export = client.get("/admin/application/export/xlsx/")
        assert application.trainee.id_number.encode() not in export.data
        auth.logout()


def test_nothing_re_enters_a_batch_whose_admission_is_published(world, client, auth):
    """After publication a late base approval or confirmation would strand the applicant: refused."""
    batch = residency_batch(world)
    waiting, approved = applicant(world, batch, "zz"), applicant(world, batch, "zz", Status.BASE_APPROVED)
    batch.admission_published_at = now()
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    html = post(client, "base_approve", [waiting.id]).get_data(as_text=True)
    assert "录取结果已经发布" in html
    assert db.session.get(Application, waiting.id).status == Status.SUBMITTED
    try:
        transition(db.session.get(Application, approved.id), "confirm_onsite", world.accounts["base_zz"])
    except TransitionError as error:
        assert "录取结果已经发布" in str(error)
    else:
        raise AssertionError("confirmation after publication was allowed")
    db.session.rollback()
    assert db.session.get(Application, approved.id).status == Status.BASE_APPROVED


def test_bulk_transitions_check_what_single_ones_check(world):
    """transition_many refuses a reopen after a review, columns beyond the admission results, and
    rows changed since they were read."""
    reviewed = world.applications["js"]  # submitted, with a county record
    with pytest.raises(TransitionError, match="已有审核"):
        transition_many({"support_reopen": [reviewed]}, world.accounts["support"], reasons={reviewed.id: "来电"})
    db.session.rollback()
    assert db.session.get(Application, reviewed.id).status == Status.SUBMITTED
    batch = residency_batch(world)
    confirmed = applicant(world, batch, "zz", Status.CONFIRMED)
    with pytest.raises(ValueError):
        transition_many({"admit": [confirmed]}, world.accounts["province"], values={confirmed.id: {"status": "draft"}})
    db.session.rollback()
    # someone else changed the row after it was read: the bulk change is refused
    seen = db.session.get(Application, confirmed.id)
    db.session.execute(Application.__table__.update().where(Application.id == confirmed.id)
                       .values(version=Application.version + 1, theory_score=99))
    with pytest.raises(TransitionError, match="刷新"):
        transition_many({"admit": [seen]}, world.accounts["province"])
    db.session.rollback()


def test_the_base_can_reprint_the_form_of_its_own_applicants_only(world, client, auth):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id], identity="graduate")
    submit_application(client, application_id)
    auth.logout()
    url = f"/admin/application/registration-form/?id={application_id}"
    auth.login("base_zz", PASSWORD)
    assert "报名表（PDF）" in client.get(f"{LIST}details/?id={application_id}").get_data(as_text=True)
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get("/admin/application/registration-form/?id=abc").status_code == 404
    auth.logout()
    for username in ("base_ly", "county_zy"):
        auth.login(username, PASSWORD)
        assert client.get(url).status_code == 404
        auth.logout()
    # each PDF handed out is a read of personal information, written to the access log; refusals are not
    pdfs = db.session.scalars(select(AccessLog).where(AccessLog.action == "pdf")).all()
    assert [(r.actor_name, r.record_type, r.record_id) for r in pdfs] == [("base_zz", "application",
                                                                            str(application_id))]
