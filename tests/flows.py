"""What a trainee or a reviewer does through the pages, shared by the tests that need it.

Any program: ``start_application``, ``upload``, ``submit_application``. GP transfer (全科转岗): the
``applicant`` fixture, ``start_gp``, ``submit_gp_without_claims``, ``claim_gp_exemptions``,
``upload_gp_evidence``, ``submit_gp_with_claims``. Residency (住培): ``residency_batch``,
``ready_trainee``, ``post_identity``, ``post_choices``, ``apply_residency``. Review: ``post_review``.
The lower-level pieces (images, SMS codes, a complete profile) are in tests/portal_helpers.py."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from models import AccountBusiness, Application, Batch, ExemptionRequest, Quota, Status, Trainee
from models.enums import BatchRound, Business, Program
from tests.conftest import csrf_token
from tests.factories import PASSWORD, AccountFactory, BatchFactory, TraineeFactory, id_number, specialty
from tests.portal_helpers import complete_profile, file_upload, png_bytes

# --- GP transfer (全科转岗) -------------------------------------------------------------------------


@pytest.fixture
def applicant(world, client, auth):
    """A trainee of 中原区 with a complete profile and no application yet, logged in."""
    account = AccountFactory(username="applicant", role="trainee")
    trainee = TraineeFactory(name="申请人", account=account, id_number=id_number("410102"))
    db.session.commit()
    auth.login("applicant", PASSWORD)
    upload(client, "/portal/profile/photo", png_bytes(), "照片.png")
    complete_profile(db.session.get(Trainee, trainee.id), world.regions["zy"])
    return trainee


def upload(client, url, data, name, **fields):
    """Post one file (``data`` named ``name``) to ``url`` as the portal's upload forms do."""
    page = "/portal/profile/basic"
    return client.post(url, data={"file": file_upload(data, name), "csrf_token": csrf_token(client, page), **fields},
                       content_type="multipart/form-data")


def start_application(client, batch) -> int:
    """The logged-in trainee chooses ``batch`` (step ①); the new application's id."""
    response = client.post("/portal/apply", data={"csrf_token": csrf_token(client, "/portal/apply"),
                                                  "batch_id": batch.id})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/applications/(\d+)/step/2", response.location).group(1))


def start_gp(client, world) -> Application:
    """The logged-in trainee (the ``applicant``) starts an application to the world's GP batch."""
    return db.session.get(Application, start_application(client, world.batches["gp"]))


def submit_gp_without_claims(client, application_id):
    """Step ④ without an exemption claim, the 外出参培证明, step ⑤ and submission; the response of the
    submission (a redirect). The application is submitted afterwards."""
    base = f"/portal/applications/{application_id}"
    token = csrf_token(client, f"{base}/step/4")
    client.post(f"{base}/step/4", data={"claims_exemption": "no", "csrf_token": token})
    upload(client, f"{base}/files", png_bytes(), "外出参培证明.png", kind="outing_proof")
    return _step_five_and_submit(client, application_id, token)


def claim_gp_exemptions(client, application_id, certificate_dates=("2021-06-01", "2021-06-01")):
    """Step ④: claim exemption types 1 (基层医疗卫生实践) and 2 (全科医学基本理论知识培训), each with a
    reason and its certificate date. The CSRF token used (one per session)."""
    base = f"/portal/applications/{application_id}"
    token = csrf_token(client, f"{base}/step/4")
    client.post(f"{base}/step/4", data={"claims_exemption": "yes", "csrf_token": token})
    for (exemption_type, content), certificate_date in zip(((1, "基层医疗卫生实践"), (2, "全科医学基本理论知识培训")),
                                                           certificate_dates, strict=True):
        response = client.post(f"{base}/exemptions", data={"type": exemption_type, "content": content,
                                                           "reason": "符合条件", "certificate_date": certificate_date,
                                                           "csrf_token": token})
        assert response.status_code == 302
    return token


def submit_gp_with_claims(client, application_id):
    """Claims of types 1 and 2 with every file they need, step ⑤ and submission; the response of the
    submission (a redirect). The application is submitted afterwards."""
    token = claim_gp_exemptions(client, application_id)
    upload_gp_evidence(client, application_id)
    return _step_five_and_submit(client, application_id, token)


def _step_five_and_submit(client, application_id, token):
    base = f"/portal/applications/{application_id}"
    client.post(f"{base}/step/5", data={"csrf_token": token})
    response = client.post(f"{base}/submit", data={"csrf_token": token})
    assert db.session.get(Application, application_id).status == Status.SUBMITTED, response.location
    return response


def upload_gp_evidence(client, application_id):
    """Every file an application claiming exemption types 1 and 2 needs: the 外出参培证明, the work
    proof and title certificate of type 1 and the teacher certificate of type 2."""
    base = f"/portal/applications/{application_id}"
    requests = {r.type: r for r in db.session.scalars(select(ExemptionRequest).where(
        ExemptionRequest.application_id == application_id))}
    upload(client, f"{base}/files", png_bytes(), "外出参培证明.png", kind="outing_proof")
    upload(client, f"{base}/files", png_bytes(), "工作证明.png", kind="gp_work_proof", exemption_id=requests[1].id)
    upload(client, f"{base}/files", png_bytes(), "职称证.png", kind="title_cert", exemption_id=requests[1].id)
    upload(client, f"{base}/files", png_bytes(), "师资证.png", kind="teacher_cert", exemption_id=requests[2].id)


# --- residency (住培) -------------------------------------------------------------------------------

INTERNAL, SURGERY, PAEDIATRICS, DENTAL_GENERAL = "0100", "0900", "0200", "2800"


def residency_batch(world, name="测试住培批次", round_=BatchRound.FIRST, previous=None, codes=None) -> Batch:
    """A residency batch with quotas at both test bases; 儿科 is the only shortage specialty."""
    batch = BatchFactory(name=name, program=Program.RESIDENCY, year=2026, round=round_, previous_batch=previous)
    batch.shortage_specialties = [specialty(PAEDIATRICS)]
    for base in world.bases.values():
        for code in codes or (INTERNAL, SURGERY, PAEDIATRICS):
            db.session.add(Quota(batch=batch, base=base, specialty=specialty(code), capacity=3))
    db.session.commit()
    return batch


def ready_trainee(world, key="zy"):
    """A world trainee with a complete profile who also opened 住院医师规范化培训."""
    trainee = world.trainees[key]
    for row in list(trainee.educations) + list(trainee.employments) + list(trainee.licences):
        db.session.delete(row)
    trainee.account.business_rows.append(AccountBusiness(business=Business.RESIDENCY))
    db.session.commit()
    complete_profile(trainee, world.regions[key], photo=world.attachments[key])
    return trainee


def step_url(application_id, step):
    return f"/portal/applications/{application_id}/step/{step}"


def post_identity(client, application_id, **data):
    data.setdefault("csrf_token", csrf_token(client, step_url(application_id, 2)))
    return client.post(step_url(application_id, 2), data=data)


def post_choices(client, application_id, base_ids, specialty_ids, pledge=True):
    data = {"csrf_token": csrf_token(client, step_url(application_id, 4)),
            "base_id": [str(b) for b in base_ids], "specialty": [str(s) for s in specialty_ids]}
    if pledge:
        data["no_postgrad_pledge"] = "y"
    return client.post(step_url(application_id, 4), data=data)


def apply_residency(client, batch, base_id, specialty_ids, identity="open_entry", pledge=True, **identity_fields) -> int:
    """Start an application to ``batch``, give the identity (step ②) and the base and specialties
    (step ④); the application's id, not yet submitted."""
    application_id = start_application(client, batch)
    post_identity(client, application_id, identity=identity, **identity_fields)
    post_choices(client, application_id, [base_id], specialty_ids, pledge=pledge)
    return application_id


def submit_application(client, application_id):
    """The trainee's submit button on the application page."""
    page = f"/portal/applications/{application_id}"
    return client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)})


# --- review ------------------------------------------------------------------------------------------

APPLICATION_LIST = "/admin/application/"
REVIEW = "/admin/application/review/"


def post_review(client, action, ids, reason=None, token=None, fields=(), follow=False):
    """A reviewer's action on the applications ``ids`` from the application list."""
    data = {"action": action, "ids": [str(i) for i in ids], "csrf_token": token or csrf_token(client, APPLICATION_LIST)}
    if reason is not None:
        data["reason"] = reason
    if fields:
        data["fields_to_fix"] = list(fields)
    return client.post(REVIEW, data=data, follow_redirects=follow)
