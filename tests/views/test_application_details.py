"""The reviewers' application details page: the frozen snapshot, rule checks in Chinese, evidence
files shown in the page, the review history, changes since a return, and scope."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.domain.enrollment.snapshot_diff import snapshot_changes
from app.domain.workflow import transition
from app.domain.privacy import mask_id_number
from app.extensions import db
from models import Account, Application, Attachment, Employment, ExemptionRequest, Trainee
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.flows import applicant, start_gp, submit_gp_with_claims, submit_gp_without_claims  # noqa: F401  (a fixture)


def text(response) -> str:
    return response.get_data(as_text=True)


def details(client, application_id) -> str:
    response = client.get(f"/admin/application/details/?id={application_id}")
    assert response.status_code == 200
    return text(response)


def submitted_with_exemptions(world, client) -> Application:
    """The applicant's submitted application claiming exemption types 1 and 2, with every file."""
    application = start_gp(client, world)
    submit_gp_with_claims(client, application.id)
    return db.session.get(Application, application.id)


def as_reviewer(client, auth, username="county_zy"):
    auth.logout(page="/portal/")
    auth.login(username, PASSWORD)


def test_page_shows_the_frozen_snapshot_not_the_live_profile(world, client, applicant, auth):
    application = submitted_with_exemptions(world, client)
    trainee = db.session.get(Trainee, applicant.id)
    trainee.address = "后来改的地址"
    db.session.scalar(select(Employment).where(Employment.trainee_id == trainee.id)).department = "后来的科室"
    db.session.commit()
    as_reviewer(client, auth)
    html = details(client, application.id)
    masked = trainee.id_number[:6] + "********" + trainee.id_number[-4:]
    assert "申请人" in html and masked in html and trainee.id_number not in html and "测试全科批次" in html
    assert "待区县审核" in html  # status label
    assert "郑州市测试路1号" in html and "后来改的地址" not in html
    assert "全科医学科" in html and "后来的科室" not in html
    assert "测试人民医院" in html and "二级医院" in html  # unit and its level label
    assert "测试医学院" in html and "临床医学" in html and "P123" in html and "Q123" in html


def test_claims_show_rule_checks_in_chinese_and_files_open_in_the_page(world, client, applicant, auth):
    application = submitted_with_exemptions(world, client)
    as_reviewer(client, auth)
    html = details(client, application.id)
    requests = db.session.scalars(select(ExemptionRequest).where(ExemptionRequest.application_id == application.id)
                                  .order_by(ExemptionRequest.type)).all()
    for request in requests:
        assert request.content in html
    assert "（1）" in html and "（2）" in html
    results = re.findall(r'<li class="text-(?:success|danger)">([✔✘][^<]*)</li>', html)
    assert results and all(re.search(r"[\u4e00-\u9fff]", r) for r in results), results
    assert re.search(r"[✔✘] [^<]*2020年5月1日|[✔✘] [^<]*2020-05-01", html)
    files = db.session.scalars(select(Attachment).where(Attachment.application_id == application.id)).all()
    assert {f.kind for f in files} >= {"outing_proof", "gp_work_proof", "title_cert", "teacher_cert"}
    for attachment in files:
        assert f'src="/files/{attachment.id}?thumb=1"' in html
        assert f'data-full="/files/{attachment.id}"' in html
    assert 'id="file-viewer"' in html  # the in-page viewer
    thumb = client.get(f"/files/{files[0].id}?thumb=1")
    assert thumb.status_code == 200 and thumb.mimetype.startswith("image/")
    assert client.get(f"/files/{files[0].id}").status_code == 200
    # the buttons this reviewer may use now
    assert "通过并下一条" in html and "退回修改并下一条" in html and "不通过并下一条" in html


def test_history_and_changes_since_the_return(world, client, applicant, auth):
    application = start_gp(client, world)
    base = f"/portal/applications/{application.id}"
    submit_gp_without_claims(client, application.id)
    token = csrf_token(client, "/portal/")
    application = db.session.get(Application, application.id)
    assert application.previous_snapshot is None
    transition(application, "county_return", db.session.get(Account, world.accounts["county_zy"].id),
               reason="外出参培证明未盖章", fields_to_fix=["联系信息", "工作经历"])
    db.session.commit()
    trainee = db.session.get(Trainee, applicant.id)
    trainee.address = "郑州市新地址2号"
    db.session.scalar(select(Employment).where(Employment.trainee_id == trainee.id)).department = "全科医疗科"
    db.session.add(Employment(trainee=trainee, unit_name="以前的卫生院", unit_level="primary",
                              region=world.regions["zy"], is_current=False))
    db.session.commit()
    response = client.post(f"{base}/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "待区县审核" in text(response)
    application = db.session.get(Application, application.id)
    assert application.previous_snapshot["address"] == "郑州市测试路1号"
    assert application.snapshot["address"] == "郑州市新地址2号"

    as_reviewer(client, auth)
    html = details(client, application.id)
    history = html[html.find("review-history"):]
    assert "外出参培证明未盖章" in history and "联系信息、工作经历" in history
    assert "区县退回修改" in history and "重新提交" in history and "county_zy" in history
    changes = re.sub(r"<[^>]+>|\s+", "", html[html.find("details-changes"):html.find("以下为提交时存档")])
    assert "地址：郑州市测试路1号→郑州市新地址2号" in changes, changes
    assert "科室：全科医学科→全科医疗科" in changes, changes
    assert "以前的卫生院" in changes and "新增一行" in changes, changes


def test_snapshot_changes_lists_changed_added_and_removed_rows():
    old = {"name": "甲", "address": "旧", "educations": [{"school": "A", "major": "临床"}],
           "employments": [{"unit_name": "U", "unit_level": "primary", "is_current": True}],
           "licences": [{"category": "clinical", "practice_number": "P1"}]}
    new = {"name": "甲", "address": "新", "educations": [{"school": "A", "major": "临床"}, {"school": "B"}],
           "employments": [{"unit_name": "U", "unit_level": "secondary", "is_current": True}], "licences": []}
    changes = snapshot_changes(old, new)
    kinds = {(c.kind, c.field or c.row) for c in changes}
    assert ("changed", "Address") in kinds or any(c.old == "旧" and c.new == "新" for c in changes)
    assert ("added", "B") in kinds
    assert any(c.kind == "removed" and "P1" in c.row for c in changes)
    assert any(c.kind == "changed" and c.row == "U" for c in changes)
    assert snapshot_changes(old, old) == [] and snapshot_changes(None, new) == []


def test_out_of_scope_reviewer_sees_no_data(world, client, applicant, auth):
    application = submitted_with_exemptions(world, client)
    files = db.session.scalars(select(Attachment.id).where(Attachment.application_id == application.id)).all()
    as_reviewer(client, auth, "county_xg")
    response = client.get(f"/admin/application/details/?id={application.id}", follow_redirects=True)
    html = text(response)
    assert "记录不存在" in html
    assert "申请人" not in html and mask_id_number(applicant.id_number) not in html and "郑州市测试路1号" not in html
    for file_id in files:
        assert client.get(f"/files/{file_id}?thumb=1").status_code == 404
