"""Skills items follow each applicant's specialty in the score template and the import, once the base has
set them per specialty on the exam arrangements page; the 准考证-less batch list stays the fallback."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from app.extensions import db
from models import Application, Quota
from tests.exam_arrangements import CPR, post
from tests.exams import TEMPLATE, exam, imported_rows, new_applicant, refused_rows, upload  # noqa: F401  (exam)
from tests.factories import specialty

def per_specialty(world, client, exam):
    """内科: CPR and 胸腔穿刺; 儿科: CPR and 小儿查体; one applicant whose first choice is 儿科."""
    batch, base = exam["batch"], world.bases["zz"]
    for code in ("0100", "0200"):
        db.session.add(Quota(batch=batch, base=base, specialty=specialty(code), capacity=5))
    paediatric = new_applicant(world, batch, "zz", choices=("0200", "0100"))
    db.session.commit()
    assert post(client, batch, base, "skills/", specialty=specialty("0100").id, items=f"{CPR}、胸腔穿刺").status_code == 302
    assert post(client, batch, base, "skills/", specialty=specialty("0200").id, items=f"{CPR}、小儿查体").status_code == 302
    return paediatric


def template(client, batch, base):
    data = client.get(TEMPLATE, query_string={"batch": batch.id, "base": base.id}).data
    book = load_workbook(io.BytesIO(data))
    return book, book.worksheets[0]


def test_the_template_has_each_specialtys_items_and_locks_the_others(world, auth, client, exam):
    """技能考试各专业基地必考项为单人徒手心肺复苏，各专业基地结合专业特点至少再选择一项技能操作进行考试：
    the template has every item of the base's specialties; a row's other items are locked."""
    auth.login("base_zz")
    batch, base = exam["batch"], world.bases["zz"]
    paediatric = per_specialty(world, client, exam)
    _book, sheet = template(client, batch, base)
    header = [cell.value for cell in sheet[1]]
    assert header[5:] == ["理论成绩", CPR, "胸腔穿刺", "小儿查体", "缺考"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    internal = rows[exam["zz"][0].id]
    child = rows[paediatric.id]
    assert internal[7].protection.locked is False and internal[8].protection.locked is True
    assert child[7].protection.locked is True and child[8].protection.locked is False


def test_the_import_wants_the_items_of_the_applicants_specialty_only(world, auth, client, exam):
    """技能考试各专业基地必考项为单人徒手心肺复苏，各专业基地结合专业特点至少再选择一项技能操作进行考试：
    each applicant is scored in the items of the first-choice specialty."""
    auth.login("base_zz")
    batch, base = exam["batch"], world.bases["zz"]
    paediatric = per_specialty(world, client, exam)
    first, second, _third = exam["zz"]
    book, sheet = template(client, batch, base)
    header = [cell.value for cell in sheet[1]]
    values = {first.id: {"理论成绩": 80, CPR: 90, "胸腔穿刺": 70},
              second.id: {"理论成绩": 80, CPR: 90, "胸腔穿刺": 70, "小儿查体": 60},
              paediatric.id: {"理论成绩": 75, CPR: 88}}
    for row in sheet.iter_rows(min_row=2):
        for name, value in values.get(row[0].value, {}).items():
            row[header.index(name)].value = value
    out = io.BytesIO()
    book.save(out)
    html = upload(client, batch, out.getvalue(), base=base).get_data(as_text=True)
    rows = {row[0].value: number for number, row in enumerate(sheet.iter_rows(min_row=2), start=2)}
    assert imported_rows(html) == [rows[first.id]]
    refused = refused_rows(html)
    assert "“小儿查体”不是该考生所报专业的技能考核项目" in refused[rows[second.id]]
    assert "小儿查体未填写" in refused[rows[paediatric.id]]
    scored = db.session.get(Application, first.id)
    assert scored.skill_scores == {CPR: 90, "胸腔穿刺": 70} and scored.skills_score == Decimal("80.00")
    assert db.session.get(Application, second.id).theory_score is None
