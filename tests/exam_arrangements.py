"""The exam-arrangements page's helpers: a residency batch with quotas at both bases, confirmed
applicants, and posting to the page's forms as base staff or the province."""
from __future__ import annotations

from datetime import date, datetime

import re

import pypdfium2 as pdfium
import pytest

from app.extensions import db
from models import Quota, Status
from models.enums import Program
from tests.conftest import csrf_token
from tests.exams import new_applicant
from tests.factories import BatchFactory, specialty

PAGE = "/admin/exams/"
CPR = "单人徒手心肺复苏"


def page_url(batch, base=None) -> str:
    return PAGE + f"?batch={batch.id}" + (f"&base={base.id}" if base is not None else "")


@pytest.fixture
def season(world):
    """A 2024 residency batch (theory exam 5-25 09:00–11:00) giving 郑州 places in 内科 (0100) and 儿科
    (0200) and 洛阳 in 内科; three applicants confirmed at 郑州, one waiting, one confirmed at 洛阳."""
    batch = BatchFactory(name="2024年住培第一阶段", year=2024, program=Program.RESIDENCY,
                         theory_exam_starts_at=datetime(2024, 5, 25, 9, 0),
                         theory_exam_ends_at=datetime(2024, 5, 25, 11, 0))
    for base_key, code in (("zz", "0100"), ("zz", "0200"), ("ly", "0100")):
        db.session.add(Quota(batch=batch, base=world.bases[base_key], specialty=specialty(code), capacity=5))
    zz = [new_applicant(world, batch, "zz") for _ in range(3)]
    waiting = new_applicant(world, batch, "zz", status=Status.BASE_APPROVED)
    ly = new_applicant(world, batch, "ly")
    db.session.commit()
    return {"batch": batch, "zz": zz, "waiting": waiting, "ly": ly}


def post(client, batch, base, path: str, **data):
    """POST to one of the page's forms with the CSRF token, the batch and the base."""
    form = {"csrf_token": csrf_token(client, page_url(batch, base)), "batch": str(batch.id),
            "base": str(base.id), **{k: str(v) for k, v in data.items()}}
    return client.post(PAGE + path, data=form)


def add_room(client, batch, base, name="第一考场", capacity=2, address="行政楼三楼 301", invigilators="王老师、李老师"):
    return post(client, batch, base, "rooms/", name=name, address=address, capacity=capacity,
                invigilators=invigilators)


def window(client, batch, base, opens: date, closes: date):
    return post(client, batch, base, "window/", opens_on=opens.isoformat(), closes_on=closes.isoformat())


def allocate(client, batch, base):
    return post(client, batch, base, "allocate/")


def pdf_text(data: bytes) -> str:
    """The text of every page, without white space (a value may wrap inside its cell)."""
    document = pdfium.PdfDocument(data)
    return re.sub(r"\s+", "", "".join(document[i].get_textpage().get_text_range() for i in range(len(document))))
