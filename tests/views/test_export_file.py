"""The application export is a file people can use: widths, a frozen header, an autofilter, real date
cells, the phone (masked unless a full export), gender, title, unit level and waiting days; its file
and sheet name carry the active filter in Chinese; its statement count does not grow with the rows."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import unquote

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from models import Application
from models.clock import now, today
from tests.dashboard import add_application
from tests.factories import PASSWORD
from tests.queries import counting_statements
from views.admin import exports
from views.admin.application_export import readers
from views.admin.applications import ApplicationView

URL = "/admin/application/export/xlsx/"


def rows_by_header(response) -> tuple[list[dict], object]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = [str(v) for v in values[0]]
    return [dict(zip(header, row)) for row in values[1:]], sheet


def download_name(response) -> str:
    return unquote(re.search(r"filename\*=UTF-8''(.+)$", response.headers["Content-Disposition"]).group(1))


def test_the_export_has_phone_gender_title_unit_level_and_waiting_days(world, client, auth):
    application = world.applications["zy"]
    application.status_changed_at = now() - timedelta(days=3)
    db.session.commit()
    auth.login("county_zy", PASSWORD)
    [row], sheet = rows_by_header(client.get(URL))
    mobile = world.trainees["zy"].mobile
    assert row["手机号"] == mobile[:3] + "****" + mobile[-4:]  # masked in the usual export
    assert (row["性别"], row["职称"], row["等待天数"]) == ("男", "主治医师", 3)
    assert row["单位级别"] != "" and row["单位级别"] is not None
    assert row["提交时间"].date() == application.submitted_at.date()  # a real date cell
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}2"
    widths = {sheet.cell(1, column).value: sheet.column_dimensions[sheet.cell(1, column).column_letter].width
              for column in range(1, sheet.max_column + 1)}
    assert widths["证件号码"] >= 20 and widths["工作单位"] >= 30


def test_a_full_export_holds_the_full_phone(world, client, auth):
    auth.login("county_zy", PASSWORD)
    url = "/admin/application/export-full/"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    [row], _sheet = rows_by_header(client.post(url, data={"reason": "核对联系电话", "csrf_token": token}))
    assert row["手机号"] == world.trainees["zy"].mobile


def test_waiting_days_on_the_day_of_the_change_is_zero(world, client, auth):
    world.applications["zy"].status_changed_at = now()
    db.session.commit()
    auth.login("county_zy", PASSWORD)
    [row], _sheet = rows_by_header(client.get(URL))
    assert row["等待天数"] == 0


def test_the_file_and_sheet_name_carry_the_filter_in_chinese(world, client, auth):
    auth.login("county_zy", PASSWORD)
    response = client.get(URL + "?flt2_status_equals=assigned&search=卫生院")
    name = download_name(response)
    assert name.startswith("报名汇总表（状态：") and "assigned" not in name and "搜索“卫生院”" in name
    _rows, sheet = rows_by_header(response)
    assert sheet.title.startswith("报名汇总表（状态：") and len(sheet.title) <= 31
    plain = client.get(URL)
    assert download_name(plain).startswith("报名汇总表_") and f"{today():%Y%m%d}" in download_name(plain)


def test_a_formula_in_a_filter_value_does_not_break_the_names(world, client, auth):
    auth.login("county_zy", PASSWORD)
    response = client.get(URL + "?search=" + "=HYPERLINK(\"http://x\")/[a]:*?")
    assert response.status_code == 200
    name = download_name(response)
    assert "/" not in name and ":" not in name.replace("：", "")
    _rows, sheet = rows_by_header(response)
    assert not set("[]:*?/\\") & set(sheet.title)


def test_the_export_runs_the_same_statements_for_one_row_or_thirty(world, client, auth):
    auth.login("county_zy", PASSWORD)
    with counting_statements() as one:
        response = client.get(URL)
        assert response.status_code == 200 and response.data  # the streamed body read inside the count
    for _index in range(29):
        add_application(world, "zy", world.batches["gp"], "submitted")
    db.session.commit()
    with counting_statements() as thirty:
        rows, _sheet = rows_by_header(client.get(URL))
    assert len(rows) == 30 and thirty.count == one.count
    assert not any("snapshot" in statement for statement in thirty.statements if "FROM application" in statement)


def test_the_export_is_streamed(world, client, auth):
    """Below the job threshold the export is sent as it is written (its first bytes before the rows)."""
    auth.login("county_zy", PASSWORD)
    response = client.get(URL)
    assert response.status_code == 200 and response.is_streamed
    rows, _sheet = rows_by_header(response)
    assert [row["编号"] for row in rows] == [world.applications["zy"].id]


def test_the_export_reads_a_fixed_number_of_statements_a_chunk(world, client, auth, monkeypatch):
    """Rows are read a chunk at a time: more rows in the same chunks cost nothing, and each further chunk
    the same few statements (its rows, their jobs, choices and claim decisions), never one per row."""
    monkeypatch.setattr(exports, "CHUNK", 10)
    auth.login("county_zy", PASSWORD)

    def statements_for_rows(total: int) -> tuple[int, list[dict]]:
        while len(world_rows) < total:
            world_rows.append(add_application(world, "zy", world.batches["gp"], "submitted"))
        db.session.commit()
        with counting_statements() as counter:
            rows, _sheet = rows_by_header(client.get(URL))
        assert len(rows) == total
        return counter.count, rows

    world_rows = [world.applications["zy"]]
    one, _rows = statements_for_rows(1)
    ten, _rows = statements_for_rows(10)
    eleven, _rows = statements_for_rows(11)
    thirty_one, rows = statements_for_rows(31)  # four chunks
    per_chunk = eleven - ten
    assert ten == one and 0 < per_chunk <= 4 and thirty_one == eleven + 2 * per_chunk
    # the list's order is kept across chunks: longest waiting first, then by id
    listed = db.session.scalars(select(Application.id).where(Application.county_id == world.regions["zy"].id)
                                .order_by(Application.status_changed_at, Application.id)).all()
    assert [row["编号"] for row in rows] == listed


def test_every_column_of_the_export_has_its_reader():
    names = [str(name) for name in ApplicationView.column_export_list]
    assert len(readers(names, full=False)) == len(names) == len(readers(names, full=True))
