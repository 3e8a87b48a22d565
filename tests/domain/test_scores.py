"""Residency exam settings (batch form), the score template, the score import and the scores page."""
from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pytest
from flask_babel import gettext
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

import app.domain.scores as scores
from app.domain.scores import CPR_NAME, column_headers, sheet_rows
from app.extensions import db
from app.infra import queue
from app.infra.filestore import store
from models import Application, AuditLog, Batch, Job, Status
from models.clock import now
from models.enums import BatchRound, BatchStatus, Program
from tests.catalogue import compiled
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.exams import EXAM_ITEM, IMPORT, PAGE, TEMPLATE, exam, imported_rows, new_applicant, refused_rows, upload  # noqa: F401
from tests.queries import statements
from tests.workbooks import OLE, broken_xlsx, zip_without_workbook


def msg(app, text, **values) -> str:
    """The message as the platform shows it now (English until the catalogue is merged)."""
    with app.test_request_context():
        return gettext(text, **values)


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def header(app, batch) -> list[str]:
    with app.test_request_context():
        return column_headers(db.session.get(Batch, batch.id))


def row_of(application, theory, cpr, exam_item, id_number=None):
    return [application.id, application.trainee.name, id_number or application.trainee.id_number, "内科", "儿科",
            theory, cpr, exam_item]


def scores_of(application):
    a = db.session.get(Application, application.id)
    return a.theory_score, a.skills_score, a.skill_scores, a.combined_score


# --- translations ---------------------------------------------------------------------------------

def test_template_headers_have_the_chinese_names_of_the_plan():
    catalogue = compiled()
    assert [catalogue[m] for m in ("Application number", "Trainee name", "Identity card number", "First choice",
                                   "Second choice", "Theory score", "Instructions")] == [
        "报名编号", "姓名", "身份证号", "第一志愿", "第二志愿", "理论成绩", "填写说明"]
    assert catalogue["Combined score = theory score × %(theory)s + skills score × %(skills)s"] == \
        "综合成绩 = 理论成绩×%(theory)s + 技能成绩×%(skills)s"
    assert catalogue["Not an application of this base."] == "不属于本基地。"


# --- template -------------------------------------------------------------------------------------

def test_template_lists_the_bases_confirmed_applicants(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    response = client.get(f"{TEMPLATE}?batch={batch.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert quote(f"_{batch.name}_测试基地郑州.xlsx") in disposition
    assert quote(msg(app, "Score import template")) in disposition
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.worksheets) == 2
    sheet, notes = workbook.worksheets
    assert notes.title == msg(app, "Instructions")
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == header(app, batch)
    assert list(rows[0])[-3:] == [CPR_NAME, EXAM_ITEM, "缺考"]
    listed = [row[0] for row in rows[1:]]
    assert listed == [a.id for a in exam["zz"]]  # not 洛阳's, not the one awaiting confirmation, not batch 2
    first = exam["zz"][0]
    assert list(rows[1][:6]) == [first.id, first.trainee.name, first.trainee.id_number, "内科", "儿科", None]
    # identifying columns locked and grey, score cells open, with 0–100 decimal validation
    assert sheet.protection.sheet
    assert sheet["A2"].protection.locked and sheet["C2"].protection.locked
    assert sheet["C2"].fill.start_color.rgb == "FFD9D9D9"
    assert not sheet["F2"].protection.locked and not sheet["H4"].protection.locked
    validation = sheet.data_validations.dataValidation[0]
    assert (validation.type, validation.operator, validation.formula1, validation.formula2) == (
        "decimal", "between", "0", "100")
    assert str(validation.sqref) == "F2:H4"
    text = "\n".join(str(row[0]) for row in notes.iter_rows(values_only=True) if row[0])
    assert batch.name in text and "测试基地郑州" in text and "0.35" in text and "0.65" in text


def test_template_is_prefilled_with_imported_scores(app, exam, client, auth):
    application = exam["zz"][1]
    application.theory_score = Decimal("70.50")
    application.skill_scores = {CPR_NAME: 88, EXAM_ITEM: 91.5}
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    sheet = load_workbook(io.BytesIO(client.get(f"{TEMPLATE}?batch={exam['batch'].id}").data)).worksheets[0]
    assert [c.value for c in sheet[3]][5:] == [70.5, 88, 91.5, None]  # not absent


def test_base_staff_cannot_download_another_bases_template(exam, client, auth, world):
    auth.login("base_zz", PASSWORD)
    response = client.get(f"{TEMPLATE}?batch={exam['batch'].id}&base={world.bases['ly'].id}")
    assert response.status_code == 403
    assert client.get(f"{TEMPLATE}?batch={exam['batch'].id}&base=abc").status_code == 403
    # a GP batch or a made-up batch number is no residency batch
    assert client.get(f"{TEMPLATE}?batch={world.batches['gp'].id}").status_code == 404
    assert client.get(f"{TEMPLATE}?batch=999999").status_code == 404


def test_province_downloads_any_bases_template_after_choosing_it(app, exam, client, auth, world):
    auth.login("province", PASSWORD)
    response = client.get(f"{TEMPLATE}?batch={exam['batch'].id}")
    assert response.status_code == 302  # a base must be chosen first
    response = client.get(f"{TEMPLATE}?batch={exam['batch'].id}&base={world.bases['ly'].id}")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [exam["ly"].id]


@pytest.mark.parametrize("username", ["city_zz", "county_zy", "support", "trainee_zy"])
def test_other_roles_are_refused(exam, client, auth, username, world):
    auth.login(username, PASSWORD)
    batch = exam["batch"]
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{TEMPLATE}?batch={batch.id}&base={world.bases['zz'].id}").status_code == 403
    token = csrf_token(client, "/admin/" if username != "trainee_zy" else "/portal/")
    before = scores_of(exam["zz"][0])
    response = client.post(IMPORT, data={"batch": str(batch.id), "base": str(world.bases["zz"].id),
                                         "csrf_token": token,
                                         "file": (io.BytesIO(xlsx([header(client.application, batch),
                                                                   row_of(exam["zz"][0], 90, 90, 90)])), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert scores_of(exam["zz"][0]) == before


def test_anonymous_is_sent_to_login(exam, client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- import ---------------------------------------------------------------------------------------

def test_import_computes_skills_mean_and_combined_score_from_the_batch_weights(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a, b, c = exam["zz"]
    data = xlsx([header(app, batch), row_of(a, 85.57, 90.5, 77.25), row_of(b, "60", 100, 0),
                 row_of(c, None, None, None)])
    response = upload(client, batch, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert imported_rows(html) == [2, 3] and refused_rows(html) == {}
    theory, skills, items, combined = scores_of(a)
    # skills: (90.5 + 77.25) / 2 = 83.875 → 83.88
    assert theory == Decimal("85.57") and skills == Decimal("83.88")
    assert items == {CPR_NAME: 90.5, EXAM_ITEM: 77.25}
    # 85.57 × 0.35 + 83.88 × 0.65 = 29.9495 + 54.522 = 84.4715 → 84.47
    assert combined == Decimal("84.47")
    assert scores_of(b)[3] == Decimal("53.50")  # 60 × 0.35 + (100 + 0) / 2 × 0.65
    assert scores_of(c) == (None, None, None, None)  # a row without scores leaves the applicant unchanged
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "application",
                                                      AuditLog.record_id == str(a.id),
                                                      AuditLog.field_name == "combined_score")).all()
    assert [(r.old_value, r.new_value, r.actor_name) for r in audit] == [(None, "84.47", "base_zz")]
    # the list shows the scores
    page = client.get(f"{PAGE}?batch={batch.id}").get_data(as_text=True)
    assert "84.47" in page and "83.88" in page


def test_reimport_overwrites_with_audit(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a = exam["zz"][0]
    upload(client, batch, xlsx([header(app, batch), row_of(a, 80, 90, 70)]))
    assert scores_of(a)[3] == Decimal("80.00")  # 80 × 0.35 + (90 + 70) / 2 × 0.65 = 28 + 52
    response = upload(client, batch, xlsx([header(app, batch), row_of(a, 90, 90, 70)]))
    assert imported_rows(response.get_data(as_text=True)) == [2]
    assert scores_of(a)[0] == Decimal("90.00") and scores_of(a)[3] == Decimal("83.50")
    changes = db.session.scalars(select(AuditLog).where(AuditLog.record_id == str(a.id),
                                                        AuditLog.field_name == "theory_score")
                                 .order_by(AuditLog.id)).all()
    assert [(r.old_value, r.new_value) for r in changes] == [(None, "80.00"), ("80.00", "90.00")]


def test_missing_columns_refuse_the_whole_file(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    columns = header(app, batch)
    without = [c for c in columns if c not in (columns[5], EXAM_ITEM)]
    a = exam["zz"][0]
    response = upload(client, batch, xlsx([without, [a.id, a.trainee.name, a.trainee.id_number, "内科", "儿科", 90]]))
    html = response.get_data(as_text=True)
    assert "scores-file-error" in html and "is-invalid" in html
    error = html.split("scores-file-error", 1)[1].split("</div>", 1)[0]
    assert columns[5] in error and EXAM_ITEM in error
    assert "scores-report" not in html
    assert scores_of(a) == (None, None, None, None)


def test_bad_cells_are_refused_row_by_row_and_good_rows_kept(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a, b, c = exam["zz"]
    columns = header(app, batch)
    response = upload(client, batch, xlsx([
        columns,
        row_of(a, "缺考", 90, 90),          # row 2: text in a number cell
        row_of(b, 101, -1, 90),             # row 3: out of range (two cells)
        row_of(c, 88, 90, 70),              # row 4: fine
        row_of(a, None, None, None),        # row 5: no scores, skipped
    ]))
    html = response.get_data(as_text=True)
    refused = refused_rows(html)
    assert set(refused) == {2, 3}
    assert msg(app, "%(column)s is not a number.", column=columns[5]) in refused[2]
    assert msg(app, "%(column)s must be between 0 and 100.", column=columns[5]) in refused[3]
    assert msg(app, "%(column)s must be between 0 and 100.", column=CPR_NAME) in refused[3]
    assert imported_rows(html) == [4]
    assert scores_of(a)[0] is None and scores_of(b)[0] is None and scores_of(c)[0] == Decimal("88.00")


def test_partly_filled_row_and_too_many_decimals_are_refused(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a, b, _c = exam["zz"]
    columns = header(app, batch)
    html = upload(client, batch, xlsx([columns, row_of(a, None, 90, 90), row_of(b, 80.125, 90, 90)])
                  ).get_data(as_text=True)
    refused = refused_rows(html)
    assert msg(app, "%(column)s is empty.", column=columns[5]) in refused[2]
    assert msg(app, "%(column)s has more than two decimal places.", column=columns[5]) in refused[3]
    assert scores_of(a)[0] is None and scores_of(b)[0] is None


def test_duplicate_rows_are_both_refused(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a, b, _c = exam["zz"]
    html = upload(client, batch, xlsx([header(app, batch), row_of(a, 80, 80, 80), row_of(b, 70, 70, 70),
                                       row_of(a, 90, 90, 90)])).get_data(as_text=True)
    refused = refused_rows(html)
    assert set(refused) == {2, 4}
    duplicate = msg(app, "Application No. %(number)s appears in several rows (%(rows)s); all of them are refused.",
                    number=a.id, rows="2、4")
    assert duplicate in refused[2] and duplicate in refused[4]
    assert imported_rows(html) == [3]
    assert scores_of(a)[0] is None


def test_other_base_rows_are_refused_without_telling_whether_they_exist(app, exam, client, auth, world):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    ly = exam["ly"]
    ly2 = new_applicant(world, batch, "ly")
    db.session.commit()
    mine = exam["zz"][0]
    html = upload(client, batch, xlsx([
        header(app, batch),
        [ly.id, "某人", ly.trainee.id_number, "", "", 80, 80, 80],             # another base's, right ID number
        [ly2.id, "某人", "410102199001011234", "", "", 80, 80, 80],            # another base's, wrong ID number
        [999999, "某人", "410102199001011234", "", "", 80, 80, 80],            # no such application
        row_of(mine, 80, 80, 80),
    ])).get_data(as_text=True)
    refused = refused_rows(html)
    not_ours = msg(app, "Not an application of this base.")
    assert set(refused) == {2, 3, 4}
    for row in (2, 3, 4):
        assert not_ours in refused[row]
        assert msg(app, "The ID number does not match the application.") not in refused[row]
        assert ly.trainee.name not in refused[row] and ly2.trainee.name not in refused[row]
    assert refused[2].split("<ul", 1)[1] == refused[3].split("<ul", 1)[1] == refused[4].split("<ul", 1)[1]
    assert scores_of(ly)[0] is None and scores_of(mine)[0] == Decimal("80.00")


def test_forged_base_in_the_import_form_is_refused(app, exam, client, auth, world):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    response = upload(client, batch, xlsx([header(app, batch), row_of(exam["ly"], 80, 80, 80)]),
                      base=world.bases["ly"])
    assert response.status_code == 403
    assert scores_of(exam["ly"])[0] is None


def test_wrong_batch_status_and_id_number_are_refused(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    good = exam["zz"][0]
    html = upload(client, batch, xlsx([
        header(app, batch),
        row_of(exam["elsewhere"], 80, 80, 80),
        row_of(exam["waiting"], 80, 80, 80),
        row_of(good, 80, 80, 80, id_number=exam["zz"][1].trainee.id_number),
    ])).get_data(as_text=True)
    refused = refused_rows(html)
    assert msg(app, "The application belongs to another batch (%(batch)s).", batch=exam["other"].name) in refused[2]
    assert msg(app, "The application is “%(status)s”; scores are imported only for applications confirmed on site.",
               status=Status.label_for(Status.BASE_APPROVED, Program.RESIDENCY)) in refused[3]
    assert msg(app, "The ID number does not match the application.") in refused[4]
    assert imported_rows(html) == []
    for application in (exam["elsewhere"], exam["waiting"], good):
        assert scores_of(application)[0] is None


def test_province_imports_for_a_chosen_base(app, exam, client, auth, world):
    auth.login("province", PASSWORD)
    batch = exam["batch"]
    columns = header(app, batch)
    response = upload(client, batch, xlsx([columns, row_of(exam["ly"], 80, 80, 80)]))
    html = response.get_data(as_text=True)
    assert msg(app, "Please choose a training base first.") in html and scores_of(exam["ly"])[0] is None
    html = upload(client, batch, xlsx([columns, row_of(exam["ly"], 80, 80, 80), row_of(exam["zz"][0], 80, 80, 80),
                                       [999999, "无名", "x", "", "", 80, 80, 80]]),
                  base=world.bases["ly"]).get_data(as_text=True)
    refused = refused_rows(html)
    assert imported_rows(html) == [2]
    assert msg(app, "Not an application of this base.") in refused[3]
    assert msg(app, "No such application.") in refused[4]
    assert scores_of(exam["ly"])[0] == Decimal("80.00") and scores_of(exam["zz"][0])[0] is None




@pytest.mark.parametrize("data,filename,message", [
    (OLE, "成绩.xls", "This is an old Excel 97-2003 (.xls) file. Please save it as an Excel workbook (.xlsx) and "
                      "upload it again."),
    ("报名编号,理论成绩\n1,90\n".encode("utf-8"), "成绩.csv",
     "The file is not an Excel workbook (.xlsx). Please upload the filled-in template."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "成绩.xlsx",
     "The file is not an Excel workbook (.xlsx). Please upload the filled-in template."),
    (zip_without_workbook(), "成绩.xlsx",
     "The file is not an Excel workbook (.xlsx). Please upload the filled-in template."),
    (broken_xlsx(), "成绩.xlsx", "The file could not be read as an Excel workbook; it may be damaged."),
    (b"", "成绩.xlsx", "The file is empty."),
    (b"", "", "Please choose the filled-in template (.xlsx) to upload."),
])
def test_wrong_files_are_refused_with_a_message(app, exam, client, auth, data, filename, message):
    auth.login("base_zz", PASSWORD)
    response = upload(client, exam["batch"], data, filename=filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    error = html.split("scores-file-error", 1)[1].split("</div>", 1)[0]
    assert msg(app, message) in error
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.table_name == "application")) is None


def test_too_large_file_is_refused(app, exam, client, auth, monkeypatch):
    monkeypatch.setattr(scores, "MAX_FILE_BYTES", 1024)
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    data = xlsx([header(app, batch)] + [row_of(exam["zz"][0], 80, 80, 80)] * 1) + b""
    assert len(data) > 1024
    html = upload(client, batch, data).get_data(as_text=True)
    assert msg(app, "The file is larger than %(size)s.", size="1 KB") in html
    assert scores_of(exam["zz"][0])[0] is None


def test_import_without_csrf_token_changes_nothing(app, exam, client, auth):
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    response = upload(client, batch, xlsx([header(app, batch), row_of(exam["zz"][0], 80, 80, 80)]), token=False)
    assert response.status_code == 400
    assert scores_of(exam["zz"][0])[0] is None


# --- the list -------------------------------------------------------------------------------------

def test_list_is_scoped_to_the_base(exam, client, auth):
    auth.login("base_zz", PASSWORD)
    html = client.get(f"{PAGE}?batch={exam['batch'].id}").get_data(as_text=True)
    shown = {int(chunk.split('"', 1)[0]) for chunk in html.split('data-application="')[1:]}
    assert shown == {a.id for a in exam["zz"]}  # not 洛阳's, not the one awaiting confirmation
    assert exam["ly"].trainee.name not in html
    assert client.get(f"{PAGE}?batch={exam['batch'].id}&base={exam['ly'].base_id}").status_code == 403


def test_province_lists_every_base_or_one(exam, client, auth, world):
    auth.login("province", PASSWORD)
    html = client.get(f"{PAGE}?batch={exam['batch'].id}").get_data(as_text=True)
    shown = {int(chunk.split('"', 1)[0]) for chunk in html.split('data-application="')[1:]}
    assert shown == {a.id for a in exam["zz"]} | {exam["ly"].id}
    html = client.get(f"{PAGE}?batch={exam['batch'].id}&base={world.bases['ly'].id}").get_data(as_text=True)
    assert {int(chunk.split('"', 1)[0]) for chunk in html.split('data-application="')[1:]} == {exam["ly"].id}


def test_list_runs_no_query_per_row(exam, client, auth, world):
    auth.login("province", PASSWORD)
    url = f"{PAGE}?batch={exam['batch'].id}"
    few = statements(client, url)
    for n in range(30):
        application = new_applicant(world, exam["batch"], "zz" if n % 2 else "ly")
        application.theory_score = Decimal(n)
        application.skill_scores = {CPR_NAME: n, EXAM_ITEM: n}
    db.session.commit()
    many = statements(client, url)
    assert many == few


def test_list_is_paginated(exam, client, auth, world):
    for _ in range(50):
        new_applicant(world, exam["batch"], "zz")
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    first = client.get(f"{PAGE}?batch={exam['batch'].id}").get_data(as_text=True)
    second = client.get(f"{PAGE}?batch={exam['batch'].id}&page=2").get_data(as_text=True)
    assert first.count('data-application="') == 50 and second.count('data-application="') == 3
    assert "page=2" in first.split('class="pagination', 1)[1] and "下一页" in first
    assert "上一页" in second and 'aria-current="page"><span class="page-link">2<' in second
    assert client.get(f"{PAGE}?batch={exam['batch'].id}&page=abc").status_code == 200


# --- exam settings in the batch form -----------------------------------------------------------------

def batch_form(**changes) -> dict:
    form = {"name": "2026年住培第一阶段", "year": "2026", "program": Program.RESIDENCY, "round": BatchRound.FIRST,
            "status": BatchStatus.DRAFT, "opens_at": "2026-05-06 09:00:00", "closes_at": "2026-05-22 17:00:00",
            "theory_exam_starts_at": "2026-05-25 09:00:00", "theory_exam_ends_at": "2026-05-25 11:00:00",
            "theory_weight": "0.6", "skills_weight": "0.4", "tie_break": "theory,skills,submitted_at",
            "skill_items-0-name": CPR_NAME, "skill_items-0-mandatory": "y", "skill_items-1-name": EXAM_ITEM}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def post_batch(client, form, url="/admin/batch/new/"):
    return client.post(url, data={**form, "csrf_token": csrf_token(client, url)})


def field_group(html: str, name: str) -> str:
    """The form group of field ``name``: from its label to the next label."""
    start = html.index(f'for="{name}"')
    end = html.find("<label", start + 10)
    return html[start:end if end != -1 else None]


def skill_items_errors(html: str) -> str:
    """The error list under the inline skills items (after their hidden row template)."""
    rest = html.split('id="skill_items"', 1)[1].split("inline-field-template", 1)[1].split("</form>", 1)[0]
    return rest.split('class="invalid-feedback', 1)[1] if 'class="invalid-feedback' in rest else ""


def batch_named(name):
    return db.session.scalar(select(Batch).where(Batch.name == name))


def test_residency_batch_with_cpr_and_another_item_is_saved(world, client, auth):
    auth.login("province", PASSWORD)
    response = post_batch(client, batch_form())
    assert response.status_code == 302
    batch = batch_named("2026年住培第一阶段")
    assert [(i.name, i.mandatory) for i in batch.skill_items] == [(CPR_NAME, True), (EXAM_ITEM, False)]
    assert (batch.theory_weight, batch.skills_weight) == (Decimal("0.60"), Decimal("0.40"))


@pytest.mark.parametrize("changes,message", [
    ({"skill_items-0-name": "胸腔穿刺", "skill_items-0-mandatory": None},
     "A residency batch must have the mandatory skills exam item “%(name)s” (tick “Mandatory”)."),
    ({"skill_items-0-mandatory": None},
     "A residency batch must have the mandatory skills exam item “%(name)s” (tick “Mandatory”)."),
    ({"skill_items-1-name": None}, "Add at least one more skills exam item besides “%(name)s”."),
    ({"skill_items-1-name": CPR_NAME}, "Two skills exam items have the same name."),
])
def test_residency_batch_without_mandatory_cpr_is_refused(app, world, client, auth, changes, message):
    auth.login("province", PASSWORD)
    response = post_batch(client, batch_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert msg(app, message, name=CPR_NAME) in skill_items_errors(html)
    assert 'value="2026年住培第一阶段"' in html  # what was typed is kept
    assert batch_named("2026年住培第一阶段") is None


@pytest.mark.parametrize("theory,skills,message,values", [
    ("0.6", "0.6", "The two weights must add up to 1 (now %(total)s).", {"total": "1.2"}),
    ("1.2", "-0.2", "Each weight must be between 0 and 1.", {}),
    ("0.555", "0.445", "A weight may have at most two decimal places.", {}),
])
def test_weights_must_be_non_negative_and_sum_to_one(app, world, client, auth, theory, skills, message, values):
    auth.login("province", PASSWORD)
    html = post_batch(client, batch_form(theory_weight=theory, skills_weight=skills)).get_data(as_text=True)
    assert msg(app, message, **values) in field_group(html, "skills_weight")
    assert batch_named("2026年住培第一阶段") is None


def test_theory_exam_must_end_after_it_starts(app, world, client, auth):
    auth.login("province", PASSWORD)
    html = post_batch(client, batch_form(theory_exam_ends_at="2026-05-25 08:00:00")).get_data(as_text=True)
    assert msg(app, "The theory exam must end after it starts.") in field_group(html, "theory_exam_ends_at")
    assert batch_named("2026年住培第一阶段") is None


def test_batch_form_shows_the_combined_score_formula(app, world, exam, client, auth):
    auth.login("province", PASSWORD)
    html = client.get(f"/admin/batch/edit/?id={exam['batch'].id}").get_data(as_text=True)
    formula = msg(app, "Combined score = theory score × %(theory)s + skills score × %(skills)s",
                  theory="0.35", skills="0.65")
    assert formula in field_group(html, "theory_weight")
    page = client.get(f"{PAGE}?batch={exam['batch'].id}").get_data(as_text=True)
    assert formula in page


def test_gp_batch_needs_no_skills_items(world, client, auth):
    auth.login("province", PASSWORD)
    form = batch_form(program=Program.GP_TRANSFER, name="2026年全科转岗", **{"skill_items-0-name": None,
                                                                       "skill_items-0-mandatory": None,
                                                                       "skill_items-1-name": None})
    assert post_batch(client, form).status_code == 302
    assert batch_named("2026年全科转岗").skill_items == []


def test_changing_the_weights_recomputes_waiting_combined_scores(world, client, auth):
    auth.login("province", PASSWORD)
    assert post_batch(client, batch_form()).status_code == 302
    batch = batch_named("2026年住培第一阶段")
    waiting = new_applicant(world, batch, "zz")
    admitted = new_applicant(world, batch, "zz", status=Status.ADMITTED)
    for application in (waiting, admitted):
        application.theory_score, application.skills_score = Decimal("80"), Decimal("150")
        application.combined_score = Decimal("108.00")  # 80 × 0.6 + 150 × 0.4
    db.session.commit()
    items = {f"skill_items-{n}-id": str(item.id) for n, item in enumerate(batch.skill_items)}
    url = f"/admin/batch/edit/?id={batch.id}"
    response = post_batch(client, batch_form(theory_weight="0.3", skills_weight="0.7", **items), url=url)
    assert response.status_code == 302
    assert scores_of(waiting)[3] == Decimal("129.00")  # 24 + 105
    assert scores_of(admitted)[3] == Decimal("108.00")  # admission has run on the old score
    audit = db.session.scalar(select(AuditLog).where(AuditLog.record_id == str(waiting.id),
                                                     AuditLog.field_name == "combined_score"))
    assert (audit.old_value, audit.new_value, audit.actor_name) == ("108.00", "129.00", "province")


def test_a_sheet_claiming_sixteen_thousand_columns_is_read_as_it_is(app, exam):
    """A file may declare a huge used range; only the cells it holds are read (memory stays small)."""
    data = xlsx([header(app, exam["batch"]), row_of(exam["zz"][0], 80, 90, 70)])
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1001"', content)
            zout.writestr(item, content)
    rows = sheet_rows(target.getvalue())
    assert len(rows) == 2 and max(len(row) for row in rows) == 9  # the 缺考 column is the ninth


def test_scores_cannot_change_after_admission_is_published(app, exam, client, auth):
    batch = exam["batch"]
    batch.admission_published_at = now()
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    response = upload(client, batch, xlsx([header(app, batch), row_of(exam["zz"][0], 80, 90, 70)]))
    assert "录取结果已经发布" in response.get_data(as_text=True)
    assert scores_of(exam["zz"][0]) == (None, None, None, None)


# --- a big file: the import runs as a job -----------------------------------------------------------

def test_a_big_score_file_is_imported_by_a_job_with_each_rows_result(app, exam, client, auth, monkeypatch):
    """Over ``IMPORT_JOB_BYTES`` the base follows the import on the job page; the rows that pass are
    imported as on the page, and the result file lists each row with its reason."""
    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 0)
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a, b, _c = exam["zz"]
    data = xlsx([header(app, batch), row_of(a, 85.57, 90.5, 77.25), row_of(b, 101, 90, 90)])
    response = upload(client, batch, data)
    [job] = db.session.scalars(select(Job)).all()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/jobs/{job.id}/")
    assert job.state == "done" and job.summary == "已导入 1 行；未导入 1 行；未填成绩（保持不变）0 行。"
    assert scores_of(a)[3] == Decimal("84.47") and scores_of(b) == (None, None, None, None)
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/jobs/{job.id}/download").data)).worksheets[0]
    header_row, *rows = list(sheet.iter_rows(values_only=True))
    assert header_row == ("Excel 行号", "报名编号", "姓名", "结果", "原因")
    assert [(row[0], row[3]) for row in rows] == [(2, "已导入"), (3, "已拒绝")] and rows[1][4]
    # another base's staff cannot download the result
    auth.logout()
    auth.login("base_ly", PASSWORD)
    assert client.get(f"/admin/jobs/{job.id}/download").status_code in (403, 404)


def test_a_big_score_file_with_the_queue_down_imports_nothing_and_keeps_no_upload(app, exam, client, auth,
                                                                                   monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 0)
    monkeypatch.setattr(queue, "enqueue", down)
    auth.login("base_zz", PASSWORD)
    batch = exam["batch"]
    a = exam["zz"][0]
    response = upload(client, batch, xlsx([header(app, batch), row_of(a, 85.57, 90.5, 77.25)]))
    assert response.status_code == 503 and "任务队列暂时不可用" in response.get_data(as_text=True)
    assert scores_of(a) == (None, None, None, None) and db.session.scalars(select(Job)).all() == []
    assert [name for name in store().names() if name.startswith("job-")] == []
