"""The 录取通知 pages: the trainee's notice, its PDF with the QR code, 接受 / 放弃 inside the window;
the base's page (报到 time and place, issuing, expiry, offering a free place) and the QR check at 报到.
Scope: forged ids of other trainees and other bases."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import select

from app.domain.admission.notices import notice_short_code
from app.extensions import db
from models import Acceptance, AdmissionNotice, Application, ReportArrangement, Status, TrainingRecord
from models.clock import today
from tests.conftest import csrf_token
from tests.admission_scene import candidate
from tests.factories import PASSWORD
from tests.files import pdf_pages
from tests.notices import INTERNAL, PLACE, SURGERY, admitted_season, as_graduate, specialty_id
from tests.portal_helpers import png_bytes
from tests.queries import statements

PAGE = "/admin/notices/"


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return re.sub(r"\s+", "", "".join(document[i].get_textpage().get_text_range() for i in range(len(document))))


def answer(client, notice_id, choice, reason=""):
    return client.post(f"/portal/notices/{notice_id}/answer", data={
        "answer": choice, "reason": reason, "csrf_token": csrf_token(client, f"/portal/notices/{notice_id}")},
        follow_redirects=True)


def test_the_trainee_sees_the_notice_downloads_the_pdf_and_accepts(app, world, client, auth):
    season = admitted_season(world)
    notice = season.notice("top")
    auth.login("res_top", PASSWORD)
    page = client.get(f"/portal/applications/{season.people['top'].id}").get_data(as_text=True)
    assert "录取通知书" in page and f"/portal/notices/{notice.id}" in page
    page = client.get(f"/portal/notices/{notice.id}").get_data(as_text=True)
    assert "测试基地郑州" in page and "内科" in page and PLACE in page and "2024年7月20日 08:30" in page
    assert "待学员确认" in page and "接受录取" in page
    response = client.get(f"/portal/notices/{notice.id}/notice.pdf")
    assert response.mimetype == "application/pdf" and "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "录取通知书" in text and "甲一" in text and "测试基地郑州" in text and "内科" in text
    assert re.sub(r"\s+", "", PLACE) in text and notice_short_code(notice) in text
    image = pdfium.PdfDocument(response.data)[0].render(scale=4).to_pil()
    codes = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1 and "/admin/notices/check?code=" in codes[0]
    page = answer(client, notice.id, "accept").get_data(as_text=True)
    assert "您已接受录取" in page and "已接受" in page
    assert db.session.get(AdmissionNotice, notice.id).acceptance == Acceptance.ACCEPTED
    auth.logout()
    # the base scans the QR code at 报到 and records it
    auth.login("base_zz", PASSWORD)
    page = client.get(codes[0].split("hn.example.cn", 1)[-1]).get_data(as_text=True)
    assert "甲一" in page and "已接受" in page
    response = client.post("/admin/notices/check", data={"code": codes[0], "csrf_token": csrf_token(client, PAGE)},
                           follow_redirects=True)
    assert "甲一 已报到" in response.get_data(as_text=True)
    assert db.session.get(Application, season.people["top"].id).status == Status.REPORTED


def test_acceptance_after_the_window_is_refused_in_chinese_and_the_reason_is_kept(world, client, auth):
    season = admitted_season(world, opens_in_days=-10, closes_in_days=-1)
    notice = season.notice("top")
    auth.login("res_top", PASSWORD)
    page = client.get(f"/portal/notices/{notice.id}").get_data(as_text=True)
    assert "录取确认时间已于" in page and 'id="accept"' not in page
    page = answer(client, notice.id, "decline", "已考取研究生").get_data(as_text=True)
    assert "录取确认时间已于" in page and "结束，不能再接受或放弃录取" in page
    assert db.session.get(AdmissionNotice, notice.id).acceptance == Acceptance.PENDING
    assert db.session.get(Application, season.people["top"].id).status == Status.ADMITTED


def test_a_trainee_cannot_open_or_answer_another_trainees_notice(world, client, auth):
    season = admitted_season(world)
    theirs = season.notice("second")
    auth.login("res_top", PASSWORD)
    for url in (f"/portal/notices/{theirs.id}", f"/portal/notices/{theirs.id}/notice.pdf",
                "/portal/notices/2147483647", "/portal/notices/99999999999999", "/portal/notices/1,2"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/portal/notices/{theirs.id}/answer", data={
        "answer": "decline", "csrf_token": csrf_token(client, f"/portal/notices/{season.notice('top').id}")})
    assert response.status_code == 404
    assert db.session.get(AdmissionNotice, theirs.id).acceptance == Acceptance.PENDING


def test_the_base_sets_reporting_and_bad_input_keeps_what_was_typed(world, client, auth):
    season = admitted_season(world, issue=False)
    auth.login("base_zz", PASSWORD)
    token = csrf_token(client, PAGE)
    response = client.post(f"{PAGE}arrangement", data={
        "batch_id": season.batch.id, "specialty_id": "0", "report_at": "明天上午", "place": "门诊楼\x00二楼",
        "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "请填写报到时间。" in html and "明天上午" in html
    response = client.post(f"{PAGE}arrangement", data={
        "batch_id": season.batch.id, "specialty_id": str(2**31 - 1), "report_at": "2024-07-20T08:30",
        "place": "门诊楼", "csrf_token": token})
    assert response.status_code == 400 and "没有该专业的招收名额" in response.get_data(as_text=True)
    response = client.post(f"{PAGE}arrangement", data={
        "batch_id": season.batch.id, "specialty_id": "0", "report_at": "2024-07-20T08:30", "place": "门诊楼二楼",
        "csrf_token": token}, follow_redirects=True)
    assert "报到时间和地点已保存" in response.get_data(as_text=True)
    rows = db.session.scalars(select(ReportArrangement)).all()
    assert [(r.base_id, r.place) for r in rows] == [(world.bases["zz"].id, "门诊楼二楼")]
    page = client.post(f"{PAGE}issue", data={"batch_id": season.batch.id, "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已发出 3 份录取通知" in page
    assert season.notice("ly") is None  # the other base's trainee got nothing from this base


def test_a_base_cannot_expire_or_check_another_bases_notice(world, client, auth):
    season = admitted_season(world, opens_in_days=-10, closes_in_days=-1)
    notice = season.notice("top")
    auth.login("base_ly", PASSWORD)
    token = csrf_token(client, PAGE)
    response = client.post(f"{PAGE}expire", data={"batch_id": season.batch.id, "notice_id": notice.id,
                                                  "csrf_token": token})
    assert response.status_code == 400 and "未找到该录取通知" in response.get_data(as_text=True)
    response = client.get(f"{PAGE}check", query_string={"code": notice_short_code(notice)})
    assert response.status_code == 400 and "该录取通知属于其他培训基地" in response.get_data(as_text=True)
    response = client.get(f"{PAGE}check", query_string={"code": "N000001-AAAA-AAAA"})
    assert "不是平台签发" in response.get_data(as_text=True) or "无效" in response.get_data(as_text=True)
    page = client.get(PAGE).get_data(as_text=True)
    assert "甲一" not in page and "己六" in page
    assert db.session.get(AdmissionNotice, notice.id).acceptance == Acceptance.PENDING
    auth.logout()
    auth.login("province", PASSWORD)  # the province sees the missing diplomas only, and expires nothing
    assert "报到时间和地点" not in client.get(PAGE).get_data(as_text=True)
    response = client.post(f"{PAGE}expire", data={"batch_id": season.batch.id, "notice_id": notice.id,
                                                  "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 400 and db.session.get(AdmissionNotice, notice.id).acceptance == "pending"
    for username in ("res_top", "county_zy", "city_zz", "support"):
        auth.logout()
        auth.login(username, PASSWORD)
        assert client.get(PAGE).status_code in (302, 403), username


def test_reporting_before_acceptance_is_refused_at_the_check(world, client, auth):
    season = admitted_season(world)
    auth.login("base_zz", PASSWORD)
    code = notice_short_code(season.notice("top"))
    html = client.get(f"{PAGE}check", query_string={"code": code}).get_data(as_text=True)
    assert 'id="report" disabled' in html or ('id="report"' in html and "disabled" in html)
    response = client.post(f"{PAGE}check", data={"code": code, "csrf_token": csrf_token(client, PAGE)})
    assert "报到须在学员接受录取之后" in response.get_data(as_text=True)
    assert db.session.get(Application, season.people["top"].id).status == Status.ADMITTED


def test_the_base_offers_a_declined_place_to_the_next_in_order(world, client, auth):
    season = admitted_season(world)
    auth.login("res_top", PASSWORD)
    assert "您已放弃录取" in answer(client, season.notice("top").id, "decline", "另有安排").get_data(as_text=True)
    auth.logout()
    auth.login("base_zz", PASSWORD)
    page = client.get(PAGE).get_data(as_text=True)
    assert "丁四" in page and "另有安排" in page
    token = csrf_token(client, PAGE)
    response = client.post(f"{PAGE}offer", data={
        "batch_id": season.batch.id, "specialty_id": specialty_id(INTERNAL), "application_id": season.people["low"].id,
        "reply_by": (today() + timedelta(days=3)).isoformat(), "reason": "递补", "csrf_token": token})
    assert response.status_code == 400 and "下一位填报该专业" in response.get_data(as_text=True)
    response = client.post(f"{PAGE}offer", data={
        "batch_id": season.batch.id, "specialty_id": specialty_id(INTERNAL), "application_id": season.people["out"].id,
        "reply_by": "2024-13-45", "reason": "递补", "csrf_token": token})
    assert response.status_code == 400 and "请填写确认截止日期" in response.get_data(as_text=True)
    response = client.post(f"{PAGE}offer", data={
        "batch_id": season.batch.id, "specialty_id": specialty_id(INTERNAL), "application_id": season.people["out"].id,
        "reply_by": (today() + timedelta(days=3)).isoformat(), "reason": "甲一放弃，递补", "csrf_token": token},
        follow_redirects=True)
    assert "名额已递补给 丁四" in response.get_data(as_text=True)
    out = db.session.get(Application, season.people["out"].id)
    assert out.status == Status.ADMITTED and season.notice("out").reply_by == today() + timedelta(days=3)


def accepted_graduate(world, client, auth, diploma_in_days):
    season = admitted_season(world)
    season.batch.diploma_deadline = today() + timedelta(days=diploma_in_days)
    as_graduate(season.people["top"])
    auth.login("res_top", PASSWORD)
    answer(client, season.notice("top").id, "accept")
    auth.logout()
    record = db.session.scalar(select(TrainingRecord).where(
        TrainingRecord.application_id == season.people["top"].id))
    return season, record


def test_the_base_uploads_documents_and_a_file_that_is_no_image_or_pdf_is_refused(world, client, auth):
    season, record = accepted_graduate(world, client, auth, 10)
    auth.login("base_zz", PASSWORD)
    page = client.get(PAGE).get_data(as_text=True)
    assert "培训信息" in page and "3 年" in page and "2024年7月20日—2027年7月19日" in page and "劳动合同" in page
    assert "尚未提交毕业证或学位证的应届毕业生" in page and "甲一" in page
    token = csrf_token(client, PAGE)
    response = client.post(f"{PAGE}upload", data={
        "batch_id": season.batch.id, "record_id": record.id, "which": "diploma", "csrf_token": token,
        "file": (io.BytesIO(b"MZ\x90\x00 program"), "毕业证.exe")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "只能上传" in response.get_data(as_text=True)
    assert db.session.get(TrainingRecord, record.id).diploma_file_id is None
    response = client.post(f"{PAGE}upload", data={
        "batch_id": season.batch.id, "record_id": record.id, "which": "agreement", "csrf_token": token,
        "file": (io.BytesIO(pdf_pages(1)), "劳动合同.pdf")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "文件已上传" in response.get_data(as_text=True)
    assert db.session.get(TrainingRecord, record.id).agreement_file.kind == "agreement"
    auth.logout()
    auth.login("base_ly", PASSWORD)
    response = client.post(f"{PAGE}upload", data={
        "batch_id": season.batch.id, "record_id": record.id, "which": "diploma", "csrf_token": csrf_token(client, PAGE),
        "file": (io.BytesIO(png_bytes()), "毕业证.png")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "未找到该学员的培训信息" in response.get_data(as_text=True)
    assert "甲一" not in client.get(PAGE).get_data(as_text=True)
    assert db.session.get(TrainingRecord, record.id).diploma_file_id is None


def test_the_province_withdraws_a_graduate_without_diploma_after_the_deadline(world, client, auth):
    """国内全日制普通医学高等院校 2024 年应届毕业生暂不能提供学历学位证书的，可于毕业后再提供，若不能顺利毕业的自动
    退培。 The day after the deadline the province may withdraw; the base only sees who is missing them."""
    season, record = accepted_graduate(world, client, auth, -1)
    auth.login("base_zz", PASSWORD)
    page = client.get(PAGE).get_data(as_text=True)
    assert "已逾期" in page and "退培：未能按期毕业" not in page
    auth.logout()
    auth.login("province", PASSWORD)
    page = client.get(PAGE).get_data(as_text=True)
    assert "甲一" in page and "退培：未能按期毕业" in page and "报到时间和地点" not in page
    response = client.post(f"{PAGE}withdraw", data={"batch_id": season.batch.id, "record_id": record.id,
                                                    "csrf_token": csrf_token(client, PAGE)}, follow_redirects=True)
    assert "甲一 已退培：未能按期毕业" in response.get_data(as_text=True)
    assert db.session.get(TrainingRecord, record.id).withdrawal_reason == "not_graduated"
    response = client.post(f"{PAGE}withdraw", data={"batch_id": season.batch.id, "record_id": str(2**31 - 1),
                                                    "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 400 and "未找到该学员的培训信息" in response.get_data(as_text=True)


def test_the_base_page_runs_the_same_number_of_statements_for_more_trainees(world, client, auth):
    season = admitted_season(world)
    for key in ("top", "second"):
        auth.login(f"res_{key}", PASSWORD)
        answer(client, season.notice(key).id, "accept" if key == "top" else "decline")
        auth.logout()
    auth.login("base_zz", PASSWORD)
    before = statements(client, PAGE)
    for number in range(4):  # more candidates waiting for the free place
        candidate(world, season.batch, "zz", [INTERNAL, SURGERY], 50 + number, status=Status.NOT_ADMITTED,
                  name=f"候补{number}")
    assert "候补3" in client.get(PAGE).get_data(as_text=True)
    assert statements(client, PAGE) == before
