"""住培 through the portal: identity, one base, one or two specialties, the eligibility pre-check,
submission, the 报名表 link, and the round-2 (调剂补录) guard."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.domain.enrollment.residency import create_round_two_quotas
from app.extensions import db
from models import AccessLog, Application, Quota, Status
from models.enums import AdmissionResult, BatchRound, Identity, Program
from tests.conftest import csrf_token
from tests.factories import PASSWORD, BatchFactory, specialty
from tests.flows import (  # noqa: F401  (DENTAL_GENERAL: for the modules that import it from here)
    DENTAL_GENERAL,
    INTERNAL,
    PAEDIATRICS,
    SURGERY,
    apply_residency,
    post_choices,
    post_identity,
    ready_trainee,
    residency_batch,
    step_url,
)
from tests.flows import start_application as start
from tests.flows import submit_application as submit


def test_a_commissioned_trainee_applies_checks_eligibility_and_submits(world, client, auth):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    assert batch.name in client.get("/portal/apply").get_data(as_text=True)
    application_id = start(client, batch)

    # ② a commissioned trainee must name the unit; what was typed stays
    response = post_identity(client, application_id, identity="commissioned", commissioning_unit="  ",
                             residency_withdrawn_on="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "必须填写委派单位" in html
    assert 'value="commissioned" checked' in html or re.search(r'checked[^>]*value="commissioned"', html)
    response = post_identity(client, application_id, identity="commissioned", commissioning_unit="测试委派医院")
    assert response.status_code == 302 and response.location.endswith(step_url(application_id, 3))

    # ④ one base, two ordered specialties
    html = client.get(step_url(application_id, 4)).get_data(as_text=True)
    assert world.bases["zz"].name in html and "儿科（紧缺）" in html
    assert "录取规则" in html and "按综合成绩从高到低" in html  # the published tie-break
    base = world.bases["zz"]
    response = post_choices(client, application_id, [base.id], [specialty(INTERNAL).id, specialty(SURGERY).id])
    assert response.status_code == 302 and response.location.endswith(step_url(application_id, 5))

    # ⑤ every rule is shown in Chinese, and all pass
    html = client.get(step_url(application_id, 5)).get_data(as_text=True)
    assert "符合" in html and "✘" not in html
    assert "研究生" in html  # the pledge and graduate-student rules are listed

    response = submit(client, application_id)
    assert response.status_code == 302
    application = db.session.get(Application, application_id)
    assert application.status == Status.SUBMITTED
    assert application.identity == Identity.COMMISSIONED and application.commissioning_unit == "测试委派医院"
    assert application.base_id == base.id
    assert [(c.rank, c.specialty.code) for c in application.choices] == [(1, INTERNAL), (2, SURGERY)]
    assert application.eligibility and all(r["passed"] for r in application.eligibility if r["hard"])
    html = client.get(f"/portal/applications/{application_id}").get_data(as_text=True)
    assert "待基地审核" in html and f"/portal/applications/{application_id}/registration-form.pdf" in html
    assert "第一志愿" in html and "内科" in html and "外科" in html


def test_a_third_specialty_or_a_second_base_is_refused_and_nothing_is_saved(world, client, auth):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = start(client, batch)
    zz, ly = world.bases["zz"], world.bases["ly"]
    three = [specialty(INTERNAL).id, specialty(SURGERY).id, specialty(PAEDIATRICS).id]
    response = post_choices(client, application_id, [zz.id], three)
    assert response.status_code == 400 and "最多选择两个专业" in response.get_data(as_text=True)
    response = post_choices(client, application_id, [zz.id, ly.id], three[:1])
    assert response.status_code == 400 and "只能选择一个培训基地" in response.get_data(as_text=True)
    response = post_choices(client, application_id, [zz.id], [three[0], three[0]])
    assert response.status_code == 400 and "第二志愿不能与第一志愿相同" in response.get_data(as_text=True)
    application = db.session.get(Application, application_id)
    assert application.base_id is None and application.choices == []


def test_a_specialty_without_places_at_the_base_is_refused(world, client, auth):
    batch = residency_batch(world)
    quota = db.session.scalar(select(Quota).where(Quota.batch_id == batch.id, Quota.base_id == world.bases["zz"].id,
                                                  Quota.specialty_id == specialty(SURGERY).id))
    quota.capacity = 0
    db.session.commit()
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = start(client, batch)
    for forged in (specialty(SURGERY).id, specialty("1900").id, 999999):
        response = post_choices(client, application_id, [world.bases["zz"].id], [forged])
        assert response.status_code == 400 and "该基地没有此专业的招收名额" in response.get_data(as_text=True)
    response = post_choices(client, application_id, [999999], [specialty(INTERNAL).id])
    assert response.status_code == 400 and "请选择本批次的培训基地" in response.get_data(as_text=True)
    assert db.session.get(Application, application_id).choices == []


def test_upgraded_bachelor_may_choose_only_shortage_specialties(world, client, auth):
    batch = residency_batch(world)
    trainee = ready_trainee(world)
    trainee.educations[0].upgraded_from_junior = True
    db.session.commit()
    auth.login("trainee_zy", PASSWORD)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id])
    html = client.get(step_url(application_id, 5)).get_data(as_text=True)
    assert "不能提交" in html and "专升本" in html
    submit(client, application_id)
    assert db.session.get(Application, application_id).status == Status.DRAFT
    html = client.get(f"/portal/applications/{application_id}").get_data(as_text=True)
    assert "专升本" in html
    # a shortage specialty passes
    post_choices(client, application_id, [world.bases["zz"].id], [specialty(PAEDIATRICS).id])
    assert submit(client, application_id).status_code == 302
    assert db.session.get(Application, application_id).status == Status.SUBMITTED


def test_missing_pledge_blocks_submission(world, client, auth):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id],
                                     identity="graduate", pledge=False)
    submit(client, application_id)
    assert db.session.get(Application, application_id).status == Status.DRAFT
    assert "不报考研究生" in client.get(f"/portal/applications/{application_id}").get_data(as_text=True) or \
        "研究生" in client.get(f"/portal/applications/{application_id}").get_data(as_text=True)


def test_open_entry_without_a_current_job_can_submit(world, client, auth):
    batch = residency_batch(world)
    trainee = ready_trainee(world)
    for row in list(trainee.employments):
        db.session.delete(row)
    db.session.commit()
    auth.login("trainee_zy", PASSWORD)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id])
    submit(client, application_id)
    assert db.session.get(Application, application_id).status == Status.SUBMITTED


def test_round_two_refuses_trainees_admitted_in_round_one(world, client, auth):
    first = residency_batch(world, name="第一阶段")
    second = residency_batch(world, name="调剂补录", round_=BatchRound.SUPPLEMENTARY, previous=first)
    ready_trainee(world)
    admitted = Application(trainee=world.trainees["zy"], batch=first, status=Status.ADMITTED, base=world.bases["zz"],
                           identity=Identity.OPEN_ENTRY, submitted_at=first.opens_at,
                           admission_result=AdmissionResult.ADMITTED, admitted_specialty=specialty(INTERNAL))
    db.session.add(admitted)
    db.session.commit()
    auth.login("trainee_zy", PASSWORD)
    html = client.get("/portal/apply").get_data(as_text=True)
    assert "已在第一阶段被录取" in html
    response = client.post("/portal/apply", data={"csrf_token": csrf_token(client, "/portal/apply"),
                                                  "batch_id": second.id}, follow_redirects=True)
    assert "已在第一阶段被录取" in response.get_data(as_text=True)
    assert db.session.scalar(select(Application).where(Application.batch_id == second.id)) is None
    # a trainee who was not admitted may apply
    admitted.status, admitted.admission_result = Status.NOT_ADMITTED, AdmissionResult.NOT_ADMITTED
    db.session.commit()
    assert start(client, second)


def test_round_two_quotas_are_the_seats_left(world):
    first = residency_batch(world, name="第一阶段", codes=(INTERNAL,))
    for _ in range(2):
        db.session.add(Application(trainee=None or world.trainees["zy" if _ == 0 else "js"], batch=first,
                                   status=Status.ADMITTED, base=world.bases["zz"], submitted_at=first.opens_at,
                                   admitted_specialty=specialty(INTERNAL)))
    second = BatchFactory(name="调剂补录", program=Program.RESIDENCY, round=BatchRound.SUPPLEMENTARY,
                          previous_batch=first)
    db.session.commit()
    assert create_round_two_quotas(second) == 2
    left = {(q.base_id, q.specialty.code): q.capacity for q in second.quotas}
    assert left == {(world.bases["zz"].id, INTERNAL): 1, (world.bases["ly"].id, INTERNAL): 3}


def test_registration_form_is_for_the_owner_after_submission(world, client, auth):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = start(client, batch)
    url = f"/portal/applications/{application_id}/registration-form.pdf"
    response = client.get(url, follow_redirects=True)
    assert "提交后" in response.get_data(as_text=True)  # a draft has no form yet
    post_identity(client, application_id, identity="graduate")
    post_choices(client, application_id, [world.bases["zz"].id], [specialty(INTERNAL).id])
    submit(client, application_id)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    auth.logout()
    auth.login("trainee_xg", PASSWORD)
    assert client.get(url).status_code == 404
    assert client.get(step_url(application_id, 4)).status_code == 404
    # the form keeps full values (it is the trainee's own) and each copy handed out is logged
    pdfs = db.session.scalars(select(AccessLog).where(AccessLog.action == "pdf")).all()
    assert [(r.actor_name, r.record_id) for r in pdfs] == [("trainee_zy", str(application_id))]
