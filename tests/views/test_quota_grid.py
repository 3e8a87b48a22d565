"""Issue 14: "Quotas can be edited as a grid (bases × specialties) and imported from Excel with per-row
errors." Bad input: "quota imports with unknown bases or specialties, and negative or text numbers. Each
gets a Chinese message, and nothing is applied half-way." Scope: only the province administrator and the
superuser; forged batch ids and cells of another program are refused."""
from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from models import AuditLog, Job, Quota, Status
from models.clock import now
from tests.conftest import csrf_token
from tests.factories import PASSWORD, BaseFactory, region, specialty
from tests.quota_helpers import GRID_URL, cell, quota_of, residency_grid, seats_taken, workbook
from tests.queries import counting_statements


def page(client, batch) -> str:
    return client.get(f"{GRID_URL}?batch={batch.id}").get_data(as_text=True)


def save(client, batch, cells: dict, **extra):
    return client.post(GRID_URL + "save/", data={"batch": str(batch.id), **cells, **extra,
                                                 "csrf_token": csrf_token(client, f"{GRID_URL}?batch={batch.id}")})


def upload(client, batch, data: bytes, name="名额.xlsx"):
    return client.post(GRID_URL + "import/", data={"batch": str(batch.id), "file": (io.BytesIO(data), name),
                                                   "csrf_token": csrf_token(client, f"{GRID_URL}?batch={batch.id}")},
                       content_type="multipart/form-data")


# --- the grid -------------------------------------------------------------------------------------

def test_the_grid_lists_the_programs_bases_and_specialties(world, client, auth):
    batch, zz, ly, gp_only, internal, surgery = residency_grid()
    auth.login("province", PASSWORD)
    html = page(client, batch)
    assert "住培基地郑州" in html and "住培基地洛阳" in html and "全科基地" not in html
    assert f'name="{cell(zz, internal)}"' in html and 'value="5"' in html
    # 郑州 lists 内科 and 外科 only: no input for 儿科 there; 洛阳 lists nothing and trains every specialty
    paediatrics = specialty("0200")
    assert f'name="{cell(zz, paediatrics)}"' not in html and f'name="{cell(ly, paediatrics)}"' in html


def test_a_gp_batch_has_the_single_gp_column(world, client, auth):
    auth.login("province", PASSWORD)
    html = page(client, world.batches["gp"])
    gp = specialty("0700")
    assert f'name="{cell(world.bases["zz"], gp)}"' in html and 'class="quota-col-name">全科<' in html
    assert html.count('class="quota-col-name"') == 1
    assert "已占 1" in html  # each world base has one assigned GP application


def test_saving_all_cells_writes_them_and_audits(world, client, auth):
    batch, zz, ly, _gp, internal, surgery = residency_grid()
    auth.login("province", PASSWORD)
    response = save(client, batch, {cell(zz, internal): "12", cell(zz, surgery): "3", cell(ly, internal): "",
                                    cell(ly, surgery): " ７ "})
    assert response.status_code == 302
    assert (quota_of(batch, zz, internal), quota_of(batch, zz, surgery), quota_of(batch, ly, internal),
            quota_of(batch, ly, surgery)) == (12, 3, None, 7)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "quota")).all()
    assert {(row.field_name, row.new_value) for row in audit if row.field_name == "capacity"} >= {("capacity", "12")}
    assert all(row.actor_id == world.accounts["province"].id for row in audit)
    assert "已保存：修改名额 3 处。" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("typed, message", [
    ("-1", "名额不能为负数。"),
    ("abc", "名额请填写整数。"),
    ("2.5", "名额请填写整数。"),
    ("99999999999999999999999", "名额请填写整数。"),
    ("100001", "名额最多为 100000。"),
    ("1\x002", "内容含有无法输入的字符。"),
    ("=1+1", "名额请填写整数。"),
])
def test_a_bad_cell_saves_nothing_and_keeps_what_was_typed(world, client, auth, typed, message):
    batch, zz, ly, _gp, internal, surgery = residency_grid()
    auth.login("province", PASSWORD)
    response = save(client, batch, {cell(zz, internal): "9", cell(ly, surgery): "4", cell(zz, surgery): typed})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and message in html and "未保存：有 1 个格子需要修改（红色标出）。" in html
    assert quota_of(batch, zz, internal) == 5 and quota_of(batch, ly, surgery) is None  # nothing half-way
    assert 'value="9"' in html and 'value="4"' in html  # the grid keeps what was typed
    assert "\x00" not in html


def test_a_quota_below_the_admitted_seats_is_refused(world, client, auth):
    batch, zz, ly, _gp, internal, surgery = residency_grid()
    seats_taken(batch, zz, internal, 3)
    auth.login("province", PASSWORD)
    html = unescape(save(client, batch, {cell(zz, internal): "2", cell(ly, internal): "6"}).get_data(as_text=True))
    assert "此处已占用 3 个名额，名额不能少于已占用数。" in html and quota_of(batch, ly, internal) is None
    assert save(client, batch, {cell(zz, internal): "3"}).status_code == 302 and quota_of(batch, zz, internal) == 3


def test_a_gp_quota_below_the_assigned_trainees_is_refused(world, client, auth):
    gp_batch, gp = world.batches["gp"], specialty("0700")
    auth.login("province", PASSWORD)
    html = unescape(save(client, gp_batch, {cell(world.bases["zz"], gp): "0"}).get_data(as_text=True))
    assert "此处已占用 1 个名额" in html and quota_of(gp_batch, world.bases["zz"], gp) == 5


def test_a_specialty_the_base_does_not_train_gets_no_new_places(world, client, auth):
    batch, zz, _ly, _gp, internal, _surgery = residency_grid()
    auth.login("province", PASSWORD)
    response = save(client, batch, {cell(zz, specialty("0200")): "3"})
    assert response.status_code == 400 and quota_of(batch, zz, specialty("0200")) is None  # no input: forged


def test_after_publication_quotas_still_change_but_not_below_taken(world, client, auth):
    batch, zz, _ly, _gp, internal, _surgery = residency_grid()
    batch.admission_published_at = now()
    seats_taken(batch, zz, internal, 1, Status.REPORTED)
    db.session.commit()
    auth.login("province", PASSWORD)
    assert "本批次录取结果已发布" in page(client, batch)
    assert save(client, batch, {cell(zz, internal): "8"}).status_code == 302 and quota_of(batch, zz, internal) == 8
    assert save(client, batch, {cell(zz, internal): "0"}).status_code == 200 and quota_of(batch, zz, internal) == 8


def test_the_page_runs_a_fixed_number_of_queries(world, client, auth):
    batch, *_ = residency_grid()
    auth.login("province", PASSWORD)
    page(client, batch)
    with counting_statements() as few:
        page(client, batch)
    for n in range(6):
        BaseFactory(name=f"更多基地{n}", city=region("410100"), trains_gp_transfer=False)
    db.session.commit()
    with counting_statements() as more:
        page(client, batch)
    assert more.count == few.count


def test_a_big_grid_saves_in_one_post(world, client, auth):
    """38 bases × all specialties: every cell posted at once (about 1 300 fields)."""
    batch, *_ = residency_grid()
    bases = [BaseFactory(name=f"大表基地{n:02d}", city=region("410100"), trains_gp_transfer=False) for n in range(36)]
    db.session.commit()
    auth.login("province", PASSWORD)
    html = page(client, batch)
    names = sorted(set(re.findall(r'name="(cap-\d+-\d+)"', html)))
    assert len(names) > 1000
    assert save(client, batch, {name: "1" for name in names}).status_code == 302
    assert db.session.scalar(select(func.sum(Quota.capacity)).where(Quota.batch_id == batch.id)) == len(names)
    assert bases


# --- scope ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["base_zz", "city_zz", "county_zy", "support", "trainee_zy"])
def test_only_province_roles_open_save_or_import(world, client, auth, username):
    batch, zz, _ly, _gp, internal, _surgery = residency_grid()
    auth.login(username, PASSWORD)
    assert client.get(f"{GRID_URL}?batch={batch.id}").status_code == 403
    token = csrf_token(client, "/admin/")
    assert client.post(GRID_URL + "save/", data={"batch": batch.id, cell(zz, internal): "50",
                                                 "csrf_token": token}).status_code == 403
    data = workbook([[zz.id, zz.name, "0100", "内科", 50]])
    assert client.post(GRID_URL + "import/", data={"batch": batch.id, "file": (io.BytesIO(data), "名额.xlsx"),
                                                   "csrf_token": token},
                       content_type="multipart/form-data").status_code == 403
    assert client.get(f"{GRID_URL}template/?batch={batch.id}").status_code == 403
    assert quota_of(batch, zz, internal) == 5


def test_the_superuser_may_save(world, client, auth):
    batch, zz, _ly, _gp, internal, _surgery = residency_grid()
    auth.login("super", PASSWORD)
    assert save(client, batch, {cell(zz, internal): "6"}).status_code == 302 and quota_of(batch, zz, internal) == 6


@pytest.mark.parametrize("forged", ["999999", "abc", "1\x00", "99999999999999999999"])
def test_a_forged_batch_is_refused(world, client, auth, forged):
    auth.login("province", PASSWORD)
    assert client.get(f"{GRID_URL}?batch={forged}").status_code == 404
    assert client.get(f"{GRID_URL}template/?batch={forged}").status_code == 404
    token = csrf_token(client, GRID_URL)
    assert client.post(GRID_URL + "save/", data={"batch": forged, "csrf_token": token}).status_code == 404
    assert client.post(GRID_URL + "import/", data={"batch": forged, "csrf_token": token,
                                                   "file": (io.BytesIO(workbook([])), "名额.xlsx")},
                       content_type="multipart/form-data").status_code == 404


def test_a_cell_of_another_program_is_refused(world, client, auth):
    """Posting the GP batch's grid with a residency base's cell, or a GP-only base in a residency grid."""
    batch, zz, _ly, gp_only, internal, _surgery = residency_grid()
    auth.login("province", PASSWORD)
    response = save(client, batch, {cell(zz, internal): "7", cell(gp_only, internal): "3"})
    assert response.status_code == 400 and "未保存任何修改" in response.get_data(as_text=True)
    assert quota_of(batch, zz, internal) == 5 and quota_of(batch, gp_only, internal) is None
    gp_batch = world.batches["gp"]
    assert save(client, gp_batch, {cell(zz, internal): "3"}).status_code == 400


# --- Excel ----------------------------------------------------------------------------------------

def test_the_template_lists_the_cells_with_instructions(world, client, auth):
    batch, zz, ly, _gp, internal, surgery = residency_grid()
    zz.name = "=HYPERLINK(\"x\")郑州"
    db.session.commit()
    auth.login("province", PASSWORD)
    response = client.get(f"{GRID_URL}template/?batch={batch.id}")
    assert response.status_code == 200 and "filename*=UTF-8''" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet, notes = book.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("基地编号", "培训基地", "专业代码", "专业", "名额")
    assert (zz.id, zz.name, "0100", "内科", 5, 0) in rows
    assert sheet.cell(row=2, column=2).data_type == "s"  # the formula-looking name stays text
    assert any("整个文件都不会导入" in str(row[0]) for row in notes.iter_rows(values_only=True))


def test_the_downloaded_template_imports_back_unchanged(world, client, auth):
    batch, zz, *_ = residency_grid()
    auth.login("province", PASSWORD)
    data = client.get(f"{GRID_URL}template/?batch={batch.id}").data
    response = upload(client, batch, data)
    assert response.status_code == 302
    assert "修改名额 0 处" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_import_applies_all_rows(world, client, auth):
    batch, zz, ly, _gp, internal, surgery = residency_grid()
    auth.login("province", PASSWORD)
    response = upload(client, batch, workbook([[zz.id, "", "0100", "", 9], ["", "住培基地洛阳", "", "外科", "4"],
                                               [zz.id, zz.name, 900, "外科", None]]))
    assert response.status_code == 302
    assert (quota_of(batch, zz, internal), quota_of(batch, ly, surgery), quota_of(batch, zz, surgery)) == (9, 4, 0)


def test_a_bad_import_lists_every_row_in_chinese_and_applies_nothing(world, client, auth):
    batch, zz, ly, gp_only, internal, surgery = residency_grid()
    seats_taken(batch, zz, internal, 1)
    auth.login("province", PASSWORD)
    rows = [
        [ly.id, ly.name, "0100", "内科", 8],  # row 2: fine
        ["", "不存在的基地", "0100", "内科", 1],  # 3
        [ly.id, "", "9999", "", 1],  # 4
        [ly.id, "", "0600", "", -3],  # 5
        [ly.id, "", "0900", "", "十个"],  # 6
        [ly.id, "", "0200", "", 10 ** 12],  # 7
        [ly.id, "", "0100", "", 2],  # 8: the same as row 2
        [gp_only.id, "", "0100", "", 2],  # 9
        [zz.id, "", "0100", "", 0],  # 10: one admitted
        [zz.id, "", "0200", "", 2],  # 11: 郑州 does not train 儿科
        [zz.id, "住培基地洛阳", "0900", "", 2],  # 12: number and name disagree
        [ly.id, "", "0300", "", "=1+2"],  # 13: a formula
        [ly.id, "", "0400", "", "1_x0000_"],  # 14: a NUL, as a workbook escapes it
    ]
    response = upload(client, batch, workbook(rows))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "未导入：13 行中有 12 行被拒绝。" in html
    expected = {3: "没有名为", 4: "没有代码为 9999 的专业。", 5: "名额不能为负数。", 6: "名额请填写整数。",
                7: "名额最多为 100000。", 8: "与第 2 行重复", 9: "不承担本批次所属项目的培训", 10: "此处已占用 1 个名额",
                11: "没有儿科专业基地", 12: "对应的是 住培基地郑州", 13: "名额请填写整数。", 14: "内容含有无法输入的字符。"}
    for row, message in expected.items():
        assert f'data-row="{row}"' in html, row
        at = html.index(f'data-row="{row}"')
        assert message in html[at:html.index("</tr>", at)], (row, message)
    assert quota_of(batch, ly, internal) is None and quota_of(batch, zz, internal) == 5


@pytest.mark.parametrize("data, message", [
    (b"not a workbook", "不是 Excel 工作簿"),
    (workbook([[1, "x", "0100", "内科", 1]], header=("基地编号", "培训基地", "专业代码", "专业")), "缺少"),
])
def test_a_refused_file_is_refused_whole(world, client, auth, data, message):
    batch, *_ = residency_grid()
    auth.login("province", PASSWORD)
    response = upload(client, batch, data)
    assert response.status_code == 200 and message in unescape(response.get_data(as_text=True))


@pytest.fixture
def as_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 0)


def test_a_big_import_runs_as_a_job_all_or_nothing(world, client, auth, as_job):
    batch, zz, ly, _gp, internal, _surgery = residency_grid()
    auth.login("province", PASSWORD)
    response = upload(client, batch, workbook([[ly.id, "", "0100", "", 4], ["", "=HYPERLINK(\"x\")", "0100", "", 1]]))
    job = db.session.scalars(select(Job)).one()
    assert response.headers["Location"].endswith(f"/admin/jobs/{job.id}/")
    assert job.state == "done" and job.summary == "未导入：2 行中有 1 行被拒绝。"
    assert quota_of(batch, ly, internal) is None
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/jobs/{job.id}/download").data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Excel 行号", "问题") and rows[1][0] == 3
    assert sheet.cell(row=2, column=2).data_type == "s"
    upload(client, batch, workbook([[ly.id, "", "0100", "", 4]]))
    assert quota_of(batch, ly, internal) == 4


def offered_bases(client) -> set[str]:
    html = client.get("/admin/quota/").get_data(as_text=True)
    match = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html, re.S)
    return {name for _id, name in json.loads(unescape(match.group(1)))["培训基地"][0]["options"]}


def test_the_quota_list_filter_offers_bases_from_the_base_table(world, client, auth):
    """A base with no application assigned is still offered; base staff see their own base only."""
    BaseFactory(name="没有报名的基地", city=region("410100"))
    db.session.commit()
    auth.login("province", PASSWORD)
    assert {"没有报名的基地", "测试基地郑州", "测试基地洛阳"} <= offered_bases(client)
    auth.logout()
    auth.login("base_zz", PASSWORD)
    assert offered_bases(client) == {"测试基地郑州"}
    auth.logout()
    auth.login("city_ly", PASSWORD)
    assert offered_bases(client) == {"测试基地洛阳"}


def test_the_quota_form_refuses_fewer_places_than_taken_too(world, client, auth):
    quota = world.quotas["zz"]  # the GP quota of 测试基地郑州: one trainee assigned
    auth.login("province", PASSWORD)
    url = f"/admin/quota/edit/?id={quota.id}"
    form = {"batch": str(quota.batch_id), "base": str(quota.base_id), "specialty": str(quota.specialty_id)}
    response = client.post(url, data={**form, "capacity": "0", "csrf_token": csrf_token(client, url)})
    assert "此处已占用 1 个名额" in unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Quota, quota.id).capacity == 5
    response = client.post(url, data={**form, "capacity": "1", "csrf_token": csrf_token(client, url)})
    db.session.expire_all()
    assert response.status_code == 302 and db.session.get(Quota, quota.id).capacity == 1


def test_a_quota_added_by_someone_else_meanwhile_saves_nothing(world, client, auth, monkeypatch):
    """Two administrators adding the same new quota at once: the second meets the unique key, not a 500."""
    batch, zz, ly, _gp, internal, _surgery = residency_grid()

    def clash(*args, **kwargs):
        db.session.add(Quota(batch_id=batch.id, base_id=ly.id, specialty_id=internal.id, capacity=1))
        db.session.add(Quota(batch_id=batch.id, base_id=ly.id, specialty_id=internal.id, capacity=2))
        db.session.flush()
    monkeypatch.setattr("views.admin.quotas.apply_capacities", clash)
    auth.login("province", PASSWORD)
    response = save(client, batch, {cell(ly, internal): "4"})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 409 and "未保存任何修改" in html and 'value="4"' in html
    assert quota_of(batch, ly, internal) is None
