"""One residency application from the trainee's submission to 报到, each step by its own role
through the pages they use: base review, 现场确认 by the form's code, the score template filled in
and imported, the province's dry run and publication, the trainee's result, and 报到."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from app.domain.review.verification import short_code
from app.domain.privacy import mask_id_number
from app.extensions import db
from models import Application, SkillItem, Status
from tests.conftest import csrf_token
from tests.factories import PASSWORD, specialty
from tests.notices import accepted_notice
from tests.flows import INTERNAL, SURGERY, apply_residency, ready_trainee, residency_batch, submit_application


def test_from_submission_to_reporting(world, client, auth):
    batch = residency_batch(world)
    batch.skill_items = [SkillItem(name="单人徒手心肺复苏", mandatory=True), SkillItem(name="体格检查")]
    db.session.commit()
    ready_trainee(world)

    # the trainee applies and submits
    auth.login("trainee_zy", PASSWORD)
    application_id = apply_residency(client, batch, world.bases["zz"].id,
                                     [specialty(INTERNAL).id, specialty(SURGERY).id])
    submit_application(client, application_id)
    assert client.get(f"/portal/applications/{application_id}/registration-form.pdf").status_code == 200
    auth.logout()

    # the base approves it from its queue
    auth.login("base_zz", PASSWORD)
    response = client.post("/admin/application/review/", data={
        "action": "base_approve", "ids": [str(application_id)], "csrf_token": csrf_token(client, "/admin/application/")})
    assert "review-done" in response.get_data(as_text=True)

    # 现场确认: the code printed on the form opens the application; the materials are ticked
    application = db.session.get(Application, application_id)
    code = short_code(application)
    page = client.get("/admin/confirm/", query_string={"code": code}).get_data(as_text=True)
    assert mask_id_number(application.trainee.id_number) in page
    materials = re.findall(r'name="materials" value="([^"]+)"', page)
    response = client.post("/admin/confirm/", data={"code": code, "materials": materials,
                                                    "csrf_token": csrf_token(client, "/admin/confirm/")})
    assert response.status_code in (200, 302)
    assert db.session.get(Application, application_id).status == Status.CONFIRMED

    # scores: the template lists the applicant; filled in and imported
    template = client.get("/admin/scores/template/", query_string={"batch": batch.id, "base": world.bases["zz"].id})
    book = load_workbook(io.BytesIO(template.data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if str(r[0].value) == str(application_id))
    for name, score in (("理论成绩", 88), ("单人徒手心肺复苏", 90), ("体格检查", 80)):
        row[header.index(name)].value = score
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post("/admin/scores/import/", data={
        "batch": batch.id, "base": world.bases["zz"].id, "csrf_token": csrf_token(client, "/admin/scores/"),
        "file": (io.BytesIO(buffer.getvalue()), "成绩.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 200
    application = db.session.get(Application, application_id)
    assert (application.theory_score, application.skills_score, application.combined_score) == (88, 85, 86.5)
    auth.logout()

    # the province looks at the dry run and publishes
    auth.login("province", PASSWORD)
    dry = client.get("/admin/admission/", query_string={"batch_id": batch.id}).get_data(as_text=True)
    assert application.trainee.name in dry and "第一志愿" in dry
    confirm = client.get("/admin/admission/publish/", query_string={"batch_id": batch.id}).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', confirm).group(1)
    assert "暂不能公布录取结果：报名尚未结束" in confirm  # the window is still open in this flow: a reason is needed
    client.post("/admin/admission/publish/", data={"batch_id": batch.id, "fingerprint": fingerprint,
                                                   "reason": "全部考生已有成绩，提前公布",
                                                   "csrf_token": csrf_token(client, "/admin/admission/")})
    application = db.session.get(Application, application_id)
    assert application.status == Status.ADMITTED and application.admitted_specialty.code == INTERNAL
    auth.logout()

    # the trainee sees the result
    auth.login("trainee_zy", PASSWORD)
    page = client.get(f"/portal/applications/{application_id}").get_data(as_text=True)
    assert "已录取" in page and "内科" in page
    auth.logout()

    accepted_notice(application)  # the trainee accepted the admission (报到 requires it)
    # the base records 报到
    auth.login("base_zz", PASSWORD)
    response = client.post("/admin/application/review/", data={
        "action": "report", "ids": [str(application_id)], "csrf_token": csrf_token(client, "/admin/application/")})
    assert "review-done" in response.get_data(as_text=True)
    application = db.session.get(Application, application_id)
    assert application.status == Status.REPORTED and application.reported_at is not None
