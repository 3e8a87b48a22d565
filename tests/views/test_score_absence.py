"""Absence (缺考) in the score import and the scores list: written explicitly as “是” in the template's
last column, with no scores; an empty row stays "not imported yet", which the list shows differently."""
from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from app.extensions import db
from models import Application
from tests.exams import PAGE, TEMPLATE, exam, imported_rows, refused_rows, upload  # noqa: F401  (exam: fixture)


def workbook(client, batch, base, fill) -> bytes:
    """The template downloaded, with ``fill(header, row)`` called on each data row, saved again."""
    data = client.get(TEMPLATE, query_string={"batch": batch.id, "base": base.id}).data
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        fill(header, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def set_row(header, row, values: dict) -> None:
    for name, value in values.items():
        row[header.index(name)].value = value


def test_absence_is_recorded_and_shown_apart_from_an_empty_score(world, auth, client, exam):
    """issue 15: Absence (缺考) is recorded explicitly and is different from an empty score."""
    auth.login("base_zz")
    batch, base = exam["batch"], world.bases["zz"]
    first, second, third = exam["zz"]

    def fill(header, row):
        number = row[0].value
        if number == first.id:
            set_row(header, row, {"缺考": "是"})
        elif number == second.id:
            set_row(header, row, {"理论成绩": 80, "单人徒手心肺复苏": 90, "体格检查": 70})
        # the third stays empty: not imported yet
    response = upload(client, batch, workbook(client, batch, base, fill), base=base)
    html = response.get_data(as_text=True)
    assert sorted(imported_rows(html)) == [2, 3] and refused_rows(html) == {}
    absent = db.session.get(Application, first.id)
    assert absent.exam_absent is True and absent.theory_score is None and absent.combined_score is None
    assert db.session.get(Application, third.id).exam_absent is False
    listing = client.get(PAGE, query_string={"batch": batch.id, "base": base.id}).get_data(as_text=True)
    absent_row = listing.split(f'data-application="{first.id}"', 1)[1].split("</tr>", 1)[0]
    empty_row = listing.split(f'data-application="{third.id}"', 1)[1].split("</tr>", 1)[0]
    assert "缺考" in absent_row and "缺考" not in empty_row and "—" in empty_row
    template = load_workbook(io.BytesIO(client.get(TEMPLATE, query_string={"batch": batch.id,
                                                                           "base": base.id}).data)).worksheets[0]
    marks = {row[0].value: row[-1].value for row in template.iter_rows(min_row=2)}
    assert marks[first.id] == "是" and marks[third.id] is None


def test_scores_beside_an_absence_and_a_bad_mark_are_refused(world, auth, client, exam):
    auth.login("base_zz")
    batch, base = exam["batch"], world.bases["zz"]
    first, second, _third = exam["zz"]

    def fill(header, row):
        if row[0].value == first.id:
            set_row(header, row, {"缺考": "是", "理论成绩": 60})
        elif row[0].value == second.id:
            set_row(header, row, {"缺考": "也许"})
    html = upload(client, batch, workbook(client, batch, base, fill), base=base).get_data(as_text=True)
    refused = refused_rows(html)
    assert "标记为缺考但填写了成绩" in refused[2] and "列只能填写“是”或留空" in refused[3]
    assert not any(db.session.get(Application, a.id).exam_absent for a in (first, second))


def test_a_later_import_with_scores_clears_the_absence(world, auth, client, exam):
    auth.login("base_zz")
    batch, base = exam["batch"], world.bases["zz"]
    first = exam["zz"][0]
    upload(client, batch, workbook(client, batch, base, lambda h, r: r[0].value == first.id and set_row(
        h, r, {"缺考": "是"})), base=base)
    assert db.session.get(Application, first.id).exam_absent is True
    upload(client, batch, workbook(client, batch, base, lambda h, r: r[0].value == first.id and set_row(
        h, r, {"缺考": None, "理论成绩": 75, "单人徒手心肺复苏": 80, "体格检查": 85})), base=base)
    application = db.session.get(Application, first.id)
    assert application.exam_absent is False and application.theory_score == 75


def test_an_older_template_without_the_absence_column_still_imports(world, auth, client, exam):
    auth.login("base_zz")
    batch, base = exam["batch"], world.bases["zz"]
    first = exam["zz"][0]
    book = Workbook()
    book.active.append(["报名编号", "姓名", "身份证号", "第一志愿", "第二志愿", "理论成绩", "单人徒手心肺复苏", "体格检查"])
    book.active.append([first.id, first.trainee.name, first.trainee.id_number, "内科", "儿科", 70, 80, 90])
    out = io.BytesIO()
    book.save(out)
    html = upload(client, batch, out.getvalue(), base=base).get_data(as_text=True)
    assert imported_rows(html) == [2]
    assert db.session.get(Application, first.id).combined_score is not None
