"""The exam-scores page's helpers: a residency batch with confirmed applicants, the upload of a score
workbook, and the rows of the import report."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from app.domain.scores import CPR_NAME
from app.extensions import db
from models import ApplicationChoice, SkillItem, Status
from models.enums import BatchRound, Program
from tests.conftest import csrf_token
from tests.factories import ApplicationFactory, BatchFactory, TraineeFactory, id_number, specialty

PAGE = "/admin/scores/"
TEMPLATE = "/admin/scores/template/"
IMPORT = "/admin/scores/import/"
EXAM_ITEM = "体格检查"


def new_applicant(world, batch, base_key, status=Status.CONFIRMED, choices=("0100", "0200")):
    city = {"zz": "zz", "ly": "ly"}[base_key]
    county = {"zz": "zy", "ly": "xg"}[base_key]
    trainee = TraineeFactory(id_number=id_number(world.regions[county].code))
    application = ApplicationFactory(trainee=trainee, batch=batch, base=world.bases[base_key],
                                     county=world.regions[county], city=world.regions[city], status=status,
                                     identity="graduate")
    for rank, code in enumerate(choices, start=1):
        db.session.add(ApplicationChoice(application=application, rank=rank, specialty=specialty(code)))
    db.session.flush()
    return application


@pytest.fixture
def exam(world):
    """A residency batch (weights 0.35 / 0.65, CPR + 体格检查) with confirmed applicants at both bases,
    one still awaiting confirmation at 郑州, and a second residency batch with one 郑州 applicant."""
    batch = BatchFactory(name="2025年住培第一阶段", program=Program.RESIDENCY, theory_weight=Decimal("0.35"),
                         skills_weight=Decimal("0.65"))
    batch.skill_items = [SkillItem(name=CPR_NAME, mandatory=True), SkillItem(name=EXAM_ITEM)]
    other = BatchFactory(name="2025年住培调剂补录", program=Program.RESIDENCY, round=BatchRound.SUPPLEMENTARY)
    other.skill_items = [SkillItem(name=CPR_NAME, mandatory=True), SkillItem(name=EXAM_ITEM)]
    zz = [new_applicant(world, batch, "zz") for _ in range(3)]
    waiting = new_applicant(world, batch, "zz", status=Status.BASE_APPROVED)
    ly = new_applicant(world, batch, "ly")
    elsewhere = new_applicant(world, other, "zz")
    db.session.commit()
    return {"batch": batch, "other": other, "zz": zz, "waiting": waiting, "ly": ly, "elsewhere": elsewhere}


def upload(client, batch, data: bytes, base=None, filename="成绩.xlsx", token=True):
    form = {"batch": str(batch.id), "file": (io.BytesIO(data), filename)}
    if base is not None:
        form["base"] = str(base.id)
    if token:
        form["csrf_token"] = csrf_token(client, PAGE + f"?batch={batch.id}")
    return client.post(IMPORT, data=form, content_type="multipart/form-data")


def refused_rows(html) -> dict[int, str]:
    """{Excel row number: reasons text} of the report's refused table."""
    if "scores-refused" not in html:
        return {}
    body = html.split("scores-refused", 1)[1].split("</table>", 1)[0]
    rows = {}
    for chunk in body.split('<tr data-row="')[1:]:
        number, rest = chunk.split('"', 1)
        rows[int(number)] = rest.split("</tr>", 1)[0]
    return rows


def imported_rows(html) -> list[int]:
    if "scores-imported" not in html:
        return []
    body = html.split("scores-imported", 1)[1].split("</table>", 1)[0]
    return [int(chunk.split('"', 1)[0]) for chunk in body.split('<tr data-row="')[1:]]
