"""专硕备案 through the back office: a university files one by one and from Excel, sees only its own
students; a base sees those filed to it and flags one; the province follows, decides, reopens and
exports; every other role and every forged id is refused."""
from __future__ import annotations

import io
from datetime import date, timedelta
from html import unescape
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from app.domain.filing import file_student
from app.extensions import db
from app.infra.audit import acting_as
from models import Application, AuditLog, CrossCityApproval, MasterFiling, Quota, Role, Status
from models.enums import ApprovalState
from tests.catalogue import english_on_page, own_msgids
from tests.conftest import csrf_token
from tests.flows import INTERNAL, apply_residency, ready_trainee, residency_batch, submit_application
from tests.forms import field_group, post
from tests.factories import PASSWORD, BatchFactory, id_number, specialty
from tests.filing_helpers import (  # noqa: F401  (universities is a fixture)
    DEADLINE,
    YEAR,
    account,
    at,
    fields,
    filed,
    universities,
    university,
    workbook,
)
from tests.queries import statements_for
from tests.workbooks import OLE, broken_xlsx, zip_without_workbook

PAGE = "/admin/filing/"
ON_TIME = date(YEAR, 7, 1)


@pytest.fixture(autouse=True)
def july(monkeypatch):
    return at(monkeypatch, ON_TIME)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def login(client, auth, username):
    auth.login(username, PASSWORD)
    return csrf_token(client, PAGE + f"?year={YEAR}")


def post_filing(client, token, values):
    return client.post(PAGE + "file/", data={**values, "year": YEAR, "csrf_token": token})


def upload(client, token, data, filename="学生.xlsx"):
    return client.post(PAGE + "import/", data={"file": (io.BytesIO(data), filename), "year": YEAR,
                                               "csrf_token": token}, content_type="multipart/form-data")


def file_directly(world, username, base_key="zz", name="学生", **overrides):
    with acting_as(account(username)):
        filing = file_student(account(username), YEAR, fields(world, base_key, name=name, **overrides))
        db.session.commit()
    return filing


# --- the university -------------------------------------------------------------------------------

def test_a_university_files_a_student_and_sees_them_masked(client, auth, universities):
    token = login(client, auth, "univ_zz")
    number = id_number("410102")
    response = post_filing(client, token, fields(universities, name="王晓明", id_number=number))
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "王晓明 已备案。" in page and "郑州大学" in page and "备案开放至 2024-08-10（含当天）" in page
    assert number not in page and number[:6] + "********" + number[-4:] in page
    [row] = filed()
    assert (row.university.name, row.base.name, row.late) == ("郑州大学", "测试基地郑州", False)


def test_a_refused_filing_says_why_and_keeps_what_was_typed(client, auth, universities):
    token = login(client, auth, "univ_zz")
    response = post_filing(client, token, fields(universities, "ly", name="李佳怡"))
    page = text(response)
    assert response.status_code == 400 and "跨市培养须先报省卫健委审核" in page
    assert 'value="李佳怡"' in page and filed() == []
    response = post_filing(client, token, fields(universities, name="=HYPERLINK(1)"))
    assert response.status_code == 400 and "不能以 =、+、- 或 @ 开头" in text(response)
    response = post_filing(client, token, fields(universities, name="张\x00三", base_id="99999999999"))
    assert response.status_code == 400 and filed() == []


def test_the_university_page_is_chinese(client, auth, universities):
    login(client, auth, "univ_zz")
    found, _outside = english_on_page(client.get(PAGE).get_data(as_text=True), own_msgids())
    assert found == []


def test_an_out_of_province_university_sees_the_refusal(client, auth, universities):
    token = login(client, auth, "univ_out")
    assert "外省高校不能备案：各住培基地不得接收外省专硕研究生" in text(client.get(PAGE))
    response = post_filing(client, token, fields(universities))
    assert response.status_code == 400 and filed() == []


def test_the_staff_home_sends_a_university_to_its_filing(client, auth, universities):
    auth.login("univ_zz", PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)


def test_a_university_reaches_nothing_else_of_the_back_office(app, client, auth, universities):
    auth.login("univ_zz", PASSWORD)
    # the staff's notice inbox stays open to every staff role: the province's notices reach universities too
    views = [view for view in app.extensions["admin"][0]._views
             if view.endpoint not in ("admin", "filing", "notice_inbox")]
    assert len(views) > 20
    refused = {view.endpoint: client.get(f"{view.url}/").status_code for view in views}
    assert refused == {view.endpoint: 403 for view in views}
    assert client.get("/admin/application/export/xlsx/").status_code == 403


# --- the Excel import -------------------------------------------------------------------------------

def test_an_import_with_bad_rows_files_nothing_and_lists_each_row(client, auth, universities):
    token = login(client, auth, "univ_zz")
    good, duplicate = id_number("410102"), id_number("410102")
    bad_digit = good[:17] + ("1" if good[17] != "1" else "2")
    rows = [["王晓明", good, "临床医学", YEAR, "测试基地郑州", "内科"],
            ["李佳怡", bad_digit, "临床医学", YEAR, "测试基地郑州", "内科"],
            ["张子涵", duplicate, "中医学", YEAR, "测试基地郑州", "内科"],
            ["赵一鸣", good, "口腔医学", YEAR, "测试基地郑州", "口腔全科"],
            ["刘思远", duplicate, "临床医学", YEAR, "测试基地洛阳", "内科"],
            ["=cmd()", duplicate, "临床医学", YEAR, "测试基地郑州", "内科"],
            ["周", id_number("410102"), "临床医学", YEAR, "没有的医院", "内科"]]
    response = upload(client, token, workbook(rows))
    page = text(response)
    assert response.status_code == 400 and filed() == []
    assert "未备案任何学生：7 行中有 6 行不通过。" in page
    assert 'data-row="3"><td>3</td><td class="text-danger filing-wrap">身份证号码校验位错误' in page
    assert 'data-row="4"><td>4</td><td class="text-danger filing-wrap">中医类专业不予备案' in page
    assert 'data-row="5"><td>5</td><td class="text-danger filing-wrap">与第 2 行的身份证号重复。' in page
    assert 'data-row="6"><td>6</td><td class="text-danger filing-wrap">测试基地洛阳 与本校不在同一市' in page
    assert 'data-row="7"><td>7</td><td class="text-danger filing-wrap">不能以 =、+、- 或 @ 开头' in page
    assert 'data-row="8"><td>8</td><td class="text-danger filing-wrap">没有名为“没有的医院”的培训基地。' in page
    assert 'data-row="2"' not in page


def test_a_clean_import_files_every_row(client, auth, universities):
    token = login(client, auth, "univ_zz")
    rows = [["王晓明", id_number("410102"), "临床医学", YEAR, "测试基地郑州", "内科"],
            ["赵一鸣", id_number("410102"), "口腔医学", YEAR - 1, "测试基地郑州", "口腔全科"]]
    response = upload(client, token, workbook(rows))
    assert response.status_code == 302
    assert "已备案 2 名学生。" in text(client.get(response.headers["Location"]))
    assert [(f.name, f.major, f.specialty.code) for f in filed()] == [("王晓明", "clinical", "0100"),
                                                                     ("赵一鸣", "dental", "2800")]
    again = upload(client, token, workbook(rows))  # the same file twice: every row is a duplicate
    assert again.status_code == 400 and "该身份证号 2024 年度已备案" in text(again) and len(filed()) == 2


@pytest.mark.parametrize("data, message", [
    (b"plain text", "不是 Excel 工作簿"),
    (OLE, ".xls"),
    (zip_without_workbook(), "不是 Excel 工作簿"),
    (broken_xlsx(), "损坏"),
    (workbook([["王晓明"]], header=["姓名", "身份证号"]), "专业"),
])
def test_a_malformed_file_is_refused_whole(client, auth, universities, data, message):
    token = login(client, auth, "univ_zz")
    response = upload(client, token, data)
    assert response.status_code == 400 and message in text(response) and filed() == []


def test_the_template_downloads_with_its_chinese_columns(client, auth, universities):
    login(client, auth, "univ_zz")
    response = client.get(PAGE + "template/")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号", "专业", "入学年份", "培训基地", "专业基地"]
    assert "filename*=UTF-8''" + quote("专硕备案导入模板.xlsx") in response.headers["Content-Disposition"]


# --- the deadline through the page ------------------------------------------------------------------

@pytest.mark.seed("逾期不报，所培养的专业硕士研究生不得进入住培系统")
def test_after_the_deadline_the_page_is_closed_until_the_province_reopens(client, auth, universities, monkeypatch):
    """逾期不报，所培养的专业硕士研究生不得进入住培系统: 8-11 the university's page says it is closed and
    refuses a post; the province reopens it with a reason, which the audit log keeps."""
    at(monkeypatch, DEADLINE + timedelta(days=1))
    token = login(client, auth, "univ_zz")
    assert "备案已于 2024-08-10 截止。逾期补报须由省级重新开放。" in text(client.get(PAGE))
    assert post_filing(client, token, fields(universities)).status_code == 400 and filed() == []
    auth.logout(PAGE)
    token = login(client, auth, "province")
    page = text(client.get(PAGE))
    assert "逾期未报 (4)" in page and "郑州大学、河南大学、河南科技大学、新乡医学院" in page.replace("\n", "")
    response = client.post(PAGE + "reopen/", data={"university_id": university("郑州大学").id, "year": YEAR,
                                                   "until": "2024-08-15", "reason": "学校系统故障", "csrf_token": token})
    assert response.status_code == 302
    assert [r.reason for r in db.session.query(AuditLog).filter_by(table_name="filing_reopening")][:1] == ["学校系统故障"]
    auth.logout(PAGE)
    token = login(client, auth, "univ_zz")
    assert post_filing(client, token, fields(universities)).status_code == 302
    assert [f.late for f in filed()] == [True]


# --- scope --------------------------------------------------------------------------------------------

def test_a_university_sees_only_its_own_students(client, auth, universities):
    file_directly(universities, "univ_zz", name="郑大学生")
    file_directly(universities, "univ_ly", "ly", name="河科大学生")
    login(client, auth, "univ_ly")
    page = text(client.get(PAGE))
    assert "河科大学生" in page and "郑大学生" not in page and "已备案学生 (1)" in page
    assert client.get(PAGE + "export/").status_code == 403


def test_a_base_sees_only_the_students_filed_to_it_and_flags_one(client, auth, universities):
    mine = file_directly(universities, "univ_zz", name="郑州学生")
    other = file_directly(universities, "univ_ly", "ly", name="洛阳学生")
    token = login(client, auth, "base_zz")
    page = text(client.get(PAGE))
    assert "郑州学生" in page and "洛阳学生" not in page and "备案到本基地的学生（按专业）" in page
    forged = client.post(PAGE + "flag/", data={"filing_id": other.id, "reason": "容量不足", "year": YEAR,
                                               "csrf_token": token})
    assert forged.status_code == 400 and "该备案学生不在本基地" in text(forged)
    huge = client.post(PAGE + "flag/", data={"filing_id": "99999999999", "reason": "x", "year": YEAR,
                                             "csrf_token": token})
    assert huge.status_code == 400
    response = client.post(PAGE + "flag/", data={"filing_id": mine.id, "reason": "内科容量已满", "year": YEAR,
                                                 "csrf_token": token})
    assert response.status_code == 302
    assert {f.name: f.flag_reason for f in filed()} == {"郑州学生": "内科容量已满", "洛阳学生": None}


@pytest.mark.parametrize("username", ["univ_zz", "base_zz", "support", "city_zz"])
def test_approvals_by_the_wrong_role_are_refused(client, auth, universities, username):
    approval = CrossCityApproval(university=university("河南科技大学"), year=YEAR, request_reason="理由")
    db.session.add(approval)
    db.session.commit()
    auth.login(username, PASSWORD)
    token = csrf_token(client, "/admin/filing/" if username != "city_zz" else "/admin/")
    for url, data in (("cross-city/decide/", {"approval_id": approval.id, "decision": "approve", "reason": "同意"}),
                      ("reopen/", {"university_id": university("郑州大学").id, "until": "2024-08-20", "reason": "x"}),
                      ("deadline/", {"deadline": "2024-12-31"})):
        assert client.post(PAGE + url, data={**data, "year": YEAR, "csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(CrossCityApproval, approval.id).state == ApprovalState.PENDING


@pytest.mark.parametrize("username", ["county_zy", "city_zz", "trainee_zy"])
def test_other_roles_cannot_open_the_filing(client, auth, universities, username):
    auth.login(username, PASSWORD)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "export/").status_code == 403


# --- the province --------------------------------------------------------------------------------------

def test_cross_city_is_requested_by_the_university_and_decided_by_the_province(client, auth, universities):
    token = login(client, auth, "univ_zz")
    response = client.post(PAGE + "cross-city/", data={"reason": "部分学生在洛阳培训", "year": YEAR,
                                                       "csrf_token": token})
    assert response.status_code == 302 and "跨市培养申请已提交省卫健委审核。" in text(client.get(PAGE))
    auth.logout(PAGE)
    token = login(client, auth, "province")
    approval = db.session.query(CrossCityApproval).one()
    refused = client.post(PAGE + "cross-city/decide/", data={"approval_id": approval.id, "decision": "approve",
                                                             "reason": "", "year": YEAR, "csrf_token": token})
    assert refused.status_code == 400 and "请填写理由。" in text(refused)
    client.post(PAGE + "cross-city/decide/", data={"approval_id": approval.id, "decision": "approve",
                                                   "reason": "同意在洛阳培训", "year": YEAR, "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(CrossCityApproval, approval.id).state == ApprovalState.APPROVED
    audit = db.session.query(AuditLog).filter_by(table_name="cross_city_approval", field_name="state").all()
    assert [(a.new_value, a.reason) for a in audit if a.action == "update"] == [("approved", "同意在洛阳培训")]
    auth.logout(PAGE)
    token = login(client, auth, "univ_zz")
    assert post_filing(client, token, fields(universities, "ly")).status_code == 302


def test_the_province_sees_every_university_and_exports_it_all(client, auth, universities):
    file_directly(universities, "univ_zz", name="学生甲")
    file_directly(universities, "univ_ly", "ly", name="学生乙")
    db.session.query(MasterFiling).filter_by(name="学生乙").update({"flag_reason": "=1+1"})
    db.session.commit()
    login(client, auth, "province")
    page = text(client.get(PAGE))
    assert "郑州大学" in page and "河南科技大学" in page and "尚未备案" in page and "按基地和专业统计" in page
    response = client.get(PAGE + "export/")
    book = load_workbook(io.BytesIO(response.data))
    students = [[c.value for c in row] for row in book.worksheets[0].iter_rows(min_row=2)]
    assert {row[0] for row in students} == {"郑州大学", "河南科技大学"}
    assert all("********" in row[2] for row in students)
    flagged = next(row for row in book.worksheets[0].iter_rows(min_row=2) if row[1].value == "学生乙")
    assert flagged[8].value == "=1+1" and flagged[8].data_type == "s"
    states = {row[0].value: row[2].value for row in book["高校"].iter_rows(min_row=2)}
    assert states["郑州大学"] == "已备案" and states["新乡医学院"] == "尚未备案"
    counts = [[c.value for c in row] for row in book["按基地和专业统计"].iter_rows(min_row=2)]
    assert sorted(row[:3] for row in counts) == [["测试基地洛阳", "内科", 1], ["测试基地郑州", "内科", 1]]


def test_the_base_counts_stand_next_to_the_residency_quota(client, auth, universities):
    batch = BatchFactory(name="住培2024", program="residency", year=YEAR)
    db.session.add_all([batch, Quota(batch=batch, base=universities.bases["zz"], specialty=specialty("0100"),
                                     capacity=12)])
    db.session.commit()
    file_directly(universities, "univ_zz", name="学生甲")
    login(client, auth, "base_zz")
    page = text(client.get(PAGE))
    assert "<td>测试基地郑州</td><td>内科</td><td>1</td><td>0</td><td>12</td><td>0</td>" in page


# --- accounts ----------------------------------------------------------------------------------------

def account_form(**changes) -> dict:
    form = {"username": "univ_new", "display_name": "新高校管理员", "password": "Good.pass1", "phone": "",
            "role": Role.UNIVERSITY, "base": "__None", "university": "__None", "is_active_account": "y",
            "locked_until": ""}
    form.update(changes)
    return form


def test_the_superuser_creates_a_university_administrator(client, auth, universities):
    auth.login("super", PASSWORD)
    refused = post(client, "/admin/account/new/", account_form())
    assert "高校管理员必须选择高校。" in field_group(refused.get_data(as_text=True), "university")
    assert account("univ_new") is None
    wrong = post(client, "/admin/account/new/", account_form(username="support_new", role=Role.SUPPORT,
                                                             university=str(university("郑州大学").id)))
    assert "只有高校管理员需要选择高校，请留空。" in field_group(wrong.get_data(as_text=True), "university")
    created = post(client, "/admin/account/new/", account_form(university=str(university("新乡医学院").id)))
    assert created.status_code == 302
    assert account("univ_new").university.name == "新乡医学院"


# --- the trainee portal --------------------------------------------------------------------------------

@pytest.mark.seed("此次招收对象不含 2024 级临床医学类专业硕士研究生")
def test_a_filed_student_is_told_why_they_cannot_apply(client, auth, universities):
    """此次招收对象不含 2024 级临床医学类专业硕士研究生: the portal names the university that filed the ID
    number, and the application cannot be submitted."""
    trainee = ready_trainee(universities)
    batch = residency_batch(universities)
    db.session.add(MasterFiling(year=batch.year, university=university("郑州大学"), name=trainee.name,
                                id_number=trainee.id_number, major="clinical", enrolment_year=batch.year,
                                base=universities.bases["zz"], specialty=specialty(INTERNAL)))
    db.session.commit()
    auth.login(trainee.account.username, PASSWORD)
    application_id = apply_residency(client, batch, universities.bases["zz"].id, [specialty(INTERNAL).id])
    message = f"您的身份证号已由郑州大学备案为 {batch.year} 年度专业硕士研究生"
    assert message in text(client.get(f"/portal/applications/{application_id}"))
    submit_application(client, application_id)
    db.session.expire_all()
    assert db.session.get(Application, application_id).status == Status.DRAFT


@pytest.mark.parametrize("username", ["province", "base_zz", "univ_zz"])
def test_the_pages_run_as_many_statements_for_one_student_as_for_many(client, auth, universities, username):
    file_directly(universities, "univ_zz", name="学生1")
    auth.login(username, PASSWORD)
    one, _page = statements_for(client, PAGE)
    for n in range(2, 7):
        file_directly(universities, "univ_zz", name=f"学生{n}", specialty_id=specialty("0200").id if n % 2 else
                      specialty("0100").id)
    many, page = statements_for(client, PAGE)
    assert "学生6" in page and many == one


def test_the_province_keeps_the_universities(client, auth, universities):
    auth.login("province", PASSWORD)
    listing = text(client.get("/admin/university/"))
    assert "郑州大学" in listing and "北京大学" in listing and "省内高校" in listing
    form = {"name": "测试医学院", "province": "河南省", "city": "洛阳市", "in_henan": "y", "henan_city": "__None"}
    refused = post(client, "/admin/university/new/", form)
    assert "省内高校必须选择所在地市。" in field_group(refused.get_data(as_text=True), "henan_city")
    assert university("测试医学院") is None
    created = post(client, "/admin/university/new/", {**form, "henan_city": str(universities.regions["ly"].id)})
    assert created.status_code == 302 and university("测试医学院").henan_city.name == "洛阳市"
    db.session.delete(university("测试医学院"))
    db.session.commit()


@pytest.mark.parametrize("username", ["univ_zz", "base_zz", "city_zz"])
def test_others_cannot_open_the_universities(client, auth, universities, username):
    auth.login(username, PASSWORD)
    assert client.get("/admin/university/").status_code == 403
