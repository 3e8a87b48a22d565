"""Importing the unit directory (工作单位目录) from Excel: who may, the template, the rows added,
updated and left unchanged, the problems of each refused row, and the files refused whole."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

import app.domain.institutions as institutions
from app.domain.institutions import county_index, county_regions, parse_rows
from app.extensions import db
from models import AuditLog, Institution, Region, Role
from models.enums import AuditAction, InstitutionKind, InstitutionLevel
from tests.catalogue import english_on_page, own_msgids, zh
from tests.conftest import csrf_token
from tests.factories import PASSWORD, InstitutionFactory
from tests.workbooks import broken_xlsx, zip_without_workbook

PAGE = "/admin/institution-import/"
TEMPLATE = PAGE + "template/"
UPLOAD = PAGE + "upload/"
HEADER = ["单位名称", "所在区县", "级别", "类别"]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    if header is not None:
        workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def patched(data: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook with ``old`` replaced by ``new`` in its XML (what a hand-made file may hold)."""
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename).replace(old, new))
    return target.getvalue()


def upload(client, data: bytes | None, filename="工作单位.xlsx", token=True):
    form = {}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    if token:
        form["csrf_token"] = csrf_token(client, PAGE)
    return client.post(UPLOAD, data=form, content_type="multipart/form-data")


def problems(html: str) -> list[tuple[int, str, str]]:
    """(Excel row, column, reason) of every refused row on the result page."""
    table = html.split("import-problems", 1)[1].split("</table>", 1)[0] if "import-problems" in html else ""
    found = re.findall(r'<tr data-row="(\d+)"><td>\d+</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>', table, re.S)
    return [(int(row), column, reason.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
            for row, column, reason in found]


def counts_text(html: str) -> str:
    return re.sub(r"\s+", " ", html.split("import-counts", 1)[1].split(">", 1)[1].split("</div>", 1)[0]).strip()


def counts(added=0, updated=0, unchanged=0, refused=0) -> str:
    return zh("Added: %(added)s; updated: %(updated)s; unchanged: %(unchanged)s; refused: %(refused)s rows.",
              added=added, updated=updated, unchanged=unchanged, refused=refused)


def units() -> dict[tuple[str, str], tuple[str, str]]:
    rows = db.session.execute(select(Institution.name, Institution.region_id, Institution.level, Institution.kind))
    codes = {r.id: r.code for r in db.session.scalars(select(Region))}
    return {(name, codes[region_id]): (level, kind) for name, region_id, level, kind in rows}


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Institution))


def import_audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.table_name == "institution",
                                                          AuditLog.record_id == "import")))


# --- who may ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["county_zy", "city_zz", "base_zz", "support", "trainee_zy"])
def test_other_roles_cannot_reach_the_import(world, client, auth, username):
    auth.login(username, PASSWORD)
    assert client.get(PAGE).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    before = unit_count()
    token = csrf_token(client, "/portal/profile/basic" if username.startswith("trainee") else "/admin/")
    response = client.post(UPLOAD, data={"file": (io.BytesIO(xlsx([["越权卫生院", "410102", "基层医疗卫生机构",
                                                                     "乡镇卫生院"]])), "u.xlsx"),
                                         "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert unit_count() == before and import_audits() == []
    if username in ("county_zy", "city_zz", "support"):  # they read the directory, without the import tab
        html = client.get("/admin/institution/").get_data(as_text=True)
        assert PAGE not in html


def test_the_import_view_declares_the_province_and_the_superuser(app):
    [view] = [v for v in app.extensions["admin"][0]._views if v.endpoint == "institution_import"]
    assert set(view.read_roles) == {Role.PROVINCE_ADMIN, Role.SUPERUSER}


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.location
    assert client.post(UPLOAD, data={}).status_code in (302, 400)
    assert import_audits() == []


@pytest.mark.parametrize("username", ["province", "super"])
def test_province_and_superuser_find_the_import_in_the_directory(world, client, auth, username):
    auth.login(username, PASSWORD)
    html = client.get("/admin/institution/").get_data(as_text=True)
    assert f'href="{PAGE}"' in html and ">导入<" in html
    html = client.get(PAGE).get_data(as_text=True)
    assert "导入工作单位目录" in html and "下载模板" in html and 'name="csrf_token"' in html


def test_import_without_csrf_token_changes_nothing(world, client, auth):
    auth.login("province", PASSWORD)
    before = unit_count()
    response = upload(client, xlsx([["无令牌卫生院", "410102", "基层医疗卫生机构", "乡镇卫生院"]]), token=False)
    assert response.status_code == 400
    assert unit_count() == before and import_audits() == []


# --- the template ------------------------------------------------------------------------------------

def test_the_template_has_the_chinese_columns_lists_and_counties(world, client, auth):
    auth.login("province", PASSWORD)
    response = client.get(TEMPLATE)
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"基层医疗卫生机构,二级医院,三级医院,其他"' in formulas
    assert any("乡镇卫生院" in f and "社区卫生服务中心" in f for f in formulas)
    counties = {row[0]: row[1] for row in workbook["区县"].iter_rows(min_row=2, values_only=True)}
    assert counties["410102"] == "中原区" and counties["419001"] == "济源市"
    assert "410100" not in counties  # a city with counties is not a place for a unit
    assert any("同一文件重复导入不会产生变化" in (row[0] or "") for row in workbook["填写说明"].iter_rows(values_only=True))

    # filled in and uploaded as it is, it imports
    sheet.append(["模板新卫生院", "410102", "基层医疗卫生机构", "乡镇卫生院"])
    stream = io.BytesIO()
    workbook.save(stream)
    response = upload(client, stream.getvalue())
    assert response.status_code == 200 and counts_text(response.get_data(as_text=True)) == counts(added=1)


# --- rows added, updated, unchanged -----------------------------------------------------------------------

def test_units_are_added_updated_or_left_unchanged_by_name_and_county(world, client, auth):
    existing = world.institutions["zy"]  # 测试中原区卫生院, 410102, primary / township
    moved = InstitutionFactory(name="测试二院", region=world.regions["js"], level=InstitutionLevel.SECONDARY,
                               kind=InstitutionKind.HOSPITAL)
    db.session.commit()
    auth.login("province", PASSWORD)
    rows = [
        [existing.name, "410102", "基层医疗卫生机构", "乡镇卫生院"],           # unchanged
        [" 测试二院 ", "郑州市金水区", "三级医院", "医院"],                      # updated: level
        ["新增社区卫生服务中心", 410102, "基层医疗卫生机构", "社区卫生服务中心"],  # the code as a number
        ["新增妇幼保健院", "金水区", "二级医院", "妇幼保健院"],                  # the county's name
        [existing.name, "洛阳市西工区", "基层医疗卫生机构", "乡镇卫生院"],       # same name, other county
        ["济源某医院", "济源市", "Secondary hospital", "hospital"],             # English label, stored value
        [None, None, None, None],                                              # a blank row is skipped
        ["  ", "", None, " "],
    ]
    response = upload(client, xlsx(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert counts_text(html) == counts(added=4, updated=1, unchanged=1)
    assert problems(html) == []
    assert "三级医院" in html.split("import-updated", 1)[1]  # the change is listed
    found = units()
    assert found[(existing.name, "410102")] == ("primary", "township")
    assert found[("测试二院", "410105")] == ("tertiary", "hospital")
    assert found[("新增社区卫生服务中心", "410102")] == ("primary", "community")
    assert found[("新增妇幼保健院", "410105")] == ("secondary", "maternal")
    assert found[(existing.name, "410303")] == ("primary", "township")
    assert found[("济源某医院", "419001")] == ("secondary", "hospital")
    total = unit_count()

    # the update is audited field by field; the import once, with its counts
    update = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "institution",
                                                      AuditLog.record_id == str(moved.id)))
    assert (update.action, update.field_name, update.old_value, update.new_value, update.actor_name) == (
        AuditAction.UPDATE, "level", "secondary", "tertiary", "province")
    [audit] = import_audits()
    assert json.loads(audit.new_value) == {"file": "工作单位.xlsx", "added": 4, "updated": 1, "unchanged": 1,
                                           "refused": 0}
    assert audit.actor_name == "province" and "新增 4 个" in audit.reason

    # the same file again: nothing added twice, nothing changed
    response = upload(client, xlsx(rows))
    assert counts_text(response.get_data(as_text=True)) == counts(unchanged=6)
    assert unit_count() == total and len(import_audits()) == 2


def test_a_directory_holding_the_unit_twice_refuses_the_row(world, client, auth):
    for _ in range(2):
        InstitutionFactory(name="重复的卫生院", region=world.regions["zy"])
    db.session.commit()
    auth.login("super", PASSWORD)
    html = upload(client, xlsx([["重复的卫生院", "410102", "二级医院", "医院"]])).get_data(as_text=True)
    assert counts_text(html) == counts(refused=1)
    assert problems(html) == [(2, "单位名称", zh(
        "The directory already holds %(count)s units of this name in this county; merge them in the directory "
        "first.", count=2))]
    assert set(units()[("重复的卫生院", "410102")]) == {"primary", "township"}


# --- refused rows ---------------------------------------------------------------------------------------------

def test_each_refused_row_says_its_row_column_and_reason(world, client, auth):
    auth.login("province", PASSWORD)
    long_name = "长" * 101
    rows = [
        ["好的卫生院", "410102", "基层医疗卫生机构", "乡镇卫生院"],                              # 2: imported
        [None, "410102", "基层医疗卫生机构", "乡镇卫生院"],                                       # 3
        ["火星卫生院", "火星区", "基层医疗卫生机构", "乡镇卫生院"],                               # 4
        ["四级卫生院", "410102", "四级医院", "乡镇卫生院"],                                       # 5
        ["无类卫生院", "410102", "二级医院", None],                                               # 6
        ["重名医院", "410102", "二级医院", "医院"],                                               # 7
        ["重名医院", "中原区", "三级医院", "医院"],                                               # 8
        [long_name, "410102", "二级医院", "医院"],                                                # 9
        ['=HYPERLINK("http://evil.example/","点我")', "410102", "二级医院", "医院"],             # 10
        ["加号医院", "410102", "二级医院", "+医院"],                                              # 11
        ["空字符A卫生院", "410102", "二级医院", "医院"],                                         # 12: NUL, see below
        ["巨数医院", 1e308, "二级医院", "医院"],                                                  # 13
        [10 ** 30, "410102", "二级医院", "医院"],                                                 # 14
        [datetime(2024, 1, 1), "410102", "二级医院", "医院"],                                     # 15
        ["郑州市医院", "郑州市", "二级医院", "医院"],                                             # 16: a city
        ["数字级别医院", "410102", 2, "医院"],                                                    # 17
    ]
    data = patched(xlsx(rows), "空字符A卫生院".encode(), "空字符_x0000_卫生院".encode())
    response = upload(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert counts_text(html) == counts(added=1, refused=15)
    levels = "基层医疗卫生机构、二级医院、三级医院、其他"
    duplicate = "The same unit (same name, same county) is also in row %(rows)s; all of these rows are refused. " \
                "Keep one of them."
    formula = zh("It is a formula or starts with = + - @; enter plain text instead.")
    not_text = zh("The unit name must be text, not a number or a date.")
    unknown_county = "Unknown county “%(value)s”: enter the 6-digit code or the name of a county of Henan (see the " \
                     "sheet “Counties” of the template)."
    unknown = "Unknown %(column)s “%(value)s”: choose one of %(labels)s."
    assert problems(html) == [
        (3, "单位名称", zh("The unit name is missing.")),
        (4, "所在区县", zh(unknown_county, value="火星区")),
        (5, "级别", zh(unknown, column="级别", value="四级医院", labels=levels)),
        (6, "类别", zh("%(column)s is missing.", column="类别")),
        (7, "单位名称", zh(duplicate, rows="8")),
        (8, "单位名称", zh(duplicate, rows="7")),
        (9, "单位名称", zh("The unit name has %(length)s characters; at most %(most)s are allowed.", length=101,
                            most=100)),
        (10, "单位名称", formula),
        (11, "类别", formula),
        (12, "单位名称", zh("It contains a NUL character, which is not allowed.")),
        (13, "所在区县", zh(unknown_county, value="1E+308")),
        (14, "单位名称", not_text),
        (15, "单位名称", not_text),
        (16, "所在区县", zh(unknown_county, value="郑州市")),
        (17, "级别", zh(unknown, column="级别", value="2", labels=levels)),
    ]
    found = units()
    assert ("好的卫生院", "410102") in found
    assert not any("HYPERLINK" in name or "\x00" in name or "重名" in name or name == long_name
                   for name, _code in found)
    assert "evil.example" not in html.split("import-problems", 1)[1]  # the formula is not echoed as a link


def test_rows_are_checked_as_plain_data(app):
    """``parse_rows`` alone: NUL and control characters, a wrong header, the blank rows."""
    counties = county_index(county_regions())
    rows = [tuple(HEADER), ("某\x00卫生院", "410102", "二级医院", "医院"), ("某\n卫生院", "410102", "二级医院", "医院"),
            (None, None, None, None), ("好卫生院", "410102", "二级医院", "医院", "多余的列")]
    parsed = parse_rows(rows, counties)
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "单位名称"), (3, "单位名称")]
    assert parsed.problems[0].message == zh("It contains a NUL character, which is not allowed.")
    assert parsed.problems[1].message == zh(
        "It contains invisible control characters (such as line breaks); remove them.")
    assert [(u.row, u.name, u.level, u.kind) for u in parsed.units] == [(5, "好卫生院", "secondary", "hospital")]
    # headers are found in any order, with spaces, a required-mark or in English
    rows = [("级别 *", "Unit name", " 类别", "所在区县代码"), ("三级医院", "乙院", "医院", "410102")]
    assert [(u.name, u.level) for u in parse_rows(rows, counties).units] == [("乙院", "tertiary")]


def test_a_unit_repeated_many_times_names_a_few_of_the_other_rows(app):
    counties = county_index(county_regions())
    rows = [tuple(HEADER)] + [("同一卫生院", "410102", "二级医院", "医院")] * 3000
    parsed = parse_rows(rows, counties)
    assert parsed.units == [] and len(parsed.problems) == 3000
    duplicate = "The same unit (same name, same county) is also in row %(rows)s; all of these rows are refused. " \
                "Keep one of them."
    assert parsed.problems[0].message == zh(duplicate, rows="3、4、5、6、7…")
    assert parsed.problems[3].message == zh(duplicate, rows="2、3、4、6、7…")
    assert max(len(p.message) for p in parsed.problems) < 100
    two = parse_rows([tuple(HEADER)] + [("同一卫生院", "410102", "二级医院", "医院")] * 2, counties)
    assert [p.message for p in two.problems] == [zh(duplicate, rows="3"), zh(duplicate, rows="2")]


# --- files refused whole: nothing written ------------------------------------------------------------------------

NOT_XLSX = "The file is not an Excel workbook (.xlsx). Please upload the filled-in template."
LACKS = "The file lacks these columns: %(columns)s. Please download the template again and fill it in."


@pytest.mark.parametrize("data,filename,message,params", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "单位.xls",
     "This is an old Excel 97-2003 (.xls) file. Please save it as an Excel workbook (.xlsx) and upload it again.", {}),
    ("单位名称,所在区县,级别,类别\n某院,410102,二级医院,医院\n".encode(), "单位.csv", NOT_XLSX, {}),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "单位.xlsx", NOT_XLSX, {}),
    (zip_without_workbook(), "单位.xlsx", NOT_XLSX, {}),
    (broken_xlsx(), "单位.xlsx", "The file could not be read as an Excel workbook; it may be damaged.", {}),
    (b"", "单位.xlsx", "The file is empty.", {}),
    (None, "", "Please choose the filled-in template (.xlsx) to upload.", {}),
    (xlsx([["某院", "410102", "二级医院", "医院"]], header=["单位名称", "所在区县"]), "单位.xlsx", LACKS,
     {"columns": "级别、类别"}),
    (xlsx([["某院", "410102"]], header=["名称", "区县代码 ", "等级", "分类"]), "单位.xlsx", LACKS,
     {"columns": "单位名称、级别、类别"}),
    (xlsx([], header=None), "单位.xlsx",
     "The file is empty, or its first row is not the header of the template.", {}),
])
def test_a_broken_file_is_refused_whole(world, client, auth, data, filename, message, params):
    auth.login("province", PASSWORD)
    before = unit_count()
    response = upload(client, data, filename=filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = html.split("import-file-error", 1)[1].split("</div>", 1)[0]
    assert zh(message, **params) in error
    assert unit_count() == before and import_audits() == []


def test_too_many_rows_or_too_large_a_file_is_refused_whole(world, client, auth, monkeypatch):
    auth.login("province", PASSWORD)
    assert institutions.MAX_DATA_ROWS == 20000
    monkeypatch.setattr(institutions, "MAX_DATA_ROWS", 3)
    rows = [[f"第{n}卫生院", "410102", "二级医院", "医院"] for n in range(4)]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    assert zh("The file has more than %(count)s rows.", count=3) in html
    assert upload(client, xlsx(rows[:3])).status_code == 200  # exactly the limit passes
    monkeypatch.setattr(institutions, "MAX_FILE_BYTES", 1024)
    response = upload(client, xlsx(rows))
    assert response.status_code == 400
    assert zh("The file is larger than %(size)s.", size="1 KB") in response.get_data(as_text=True)
    assert unit_count() == 3 + 3  # world's three, and the three of the file at the limit


def test_a_sheet_declaring_a_huge_range_is_read_as_it_is(world, client, auth):
    data = patched(xlsx([["范围卫生院", "410102", "二级医院", "医院"]]), b'<dimension ref="A1:D2"',
                   b'<dimension ref="A1:XFD1048576"')
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    auth.login("province", PASSWORD)
    html = upload(client, data).get_data(as_text=True)
    assert counts_text(html) == counts(added=1)


def test_the_import_pages_show_no_english(world, client, auth):
    own = own_msgids()
    InstitutionFactory(name="测试二院", region=world.regions["js"], level="secondary", kind="hospital")
    db.session.commit()
    auth.login("province", PASSWORD)
    assert english_on_page(client.get(PAGE).get_data(as_text=True), own) == ([], [])
    html = upload(client, xlsx([["测试二院", "410105", "三级医院", "医院"], [None, "410102", "其他", "其他"]])) \
        .get_data(as_text=True)
    assert problems(html) and "import-updated" in html
    assert english_on_page(html, own) == ([], [])
    html = upload(client, b"not a workbook").get_data(as_text=True)
    assert english_on_page(html, own) == ([], [])
