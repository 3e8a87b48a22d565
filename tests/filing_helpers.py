"""The professional master's filing (专硕备案) in tests: university accounts on top of ``world``, a
frozen clock and filled-in workbooks."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.extensions import db
from models import Account, CrossCityApproval, MasterFiling, Role, University
from models.enums import ApprovalState, MasterMajor
from tests.factories import AccountFactory, id_number, specialty

YEAR = 2024
DEADLINE = date(YEAR, 8, 10)
HEADER = ["姓名", "身份证号", "专业", "入学年份", "培训基地", "专业基地"]
CLOCKS = ("app.domain.filing.now", "app.domain.filing.importer.now", "views.admin.filing.now",
          "app.domain.filing.overview.now")


def university(name: str) -> University:
    return db.session.scalar(select(University).where(University.name == name))


@pytest.fixture
def universities(world):
    """``world`` (with univ_zz of 郑州大学, like base_zz) plus two university administrators: 河南科技大学
    (洛阳, like base_ly) and 北京大学 (outside Henan)."""
    for username, name in (("univ_ly", "河南科技大学"), ("univ_out", "北京大学")):
        world.accounts[username] = AccountFactory(username=username, role=Role.UNIVERSITY, university=university(name))
    db.session.commit()
    return world


def at(monkeypatch, day: date, hour: int = 10) -> datetime:
    """Freeze the filing's clock at ``day`` ``hour``:00."""
    moment = datetime(day.year, day.month, day.day, hour)
    for target in CLOCKS:
        monkeypatch.setattr(target, lambda: moment, raising=False)
    return moment


def fields(world, base_key: str = "zz", **overrides) -> dict:
    """A valid single filing's fields for a 郑州 base (as a form posts them)."""
    values = {"name": "王晓明", "id_number": id_number("410102"), "major": MasterMajor.CLINICAL,
              "enrolment_year": str(YEAR), "base_id": world.bases[base_key].id,
              "specialty_id": specialty("0100").id}  # 内科
    values.update(overrides)
    return values


def approve_cross_city(name: str, year: int = YEAR) -> None:
    db.session.add(CrossCityApproval(university=university(name), year=year, state=ApprovalState.APPROVED,
                                     request_reason="测试"))
    db.session.commit()


def filed(**where) -> list[MasterFiling]:
    return list(db.session.scalars(select(MasterFiling).filter_by(**where).order_by(MasterFiling.id)))


def account(username: str) -> Account:
    return db.session.scalar(select(Account).where(Account.username == username))


def workbook(rows: list[list], header: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
