"""Demo data of the professional master's filing (专硕备案): two university administrators, a few
students filed by two universities, and a pending cross-city request; the other universities have
filed nothing (the province's late-filers list once the deadline has passed)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from stdnum.cn import ric

from app.extensions import db
from models import Account, CrossCityApproval, MasterFiling, Role, Specialty, TrainingBase, University
from models.clock import now
from models.enums import MasterMajor

UNIVERSITY_ACCOUNTS = [  # username, display name, university
    ("univ_zzu", "郑州大学研究生院管理员", "郑州大学"),
    ("univ_henu", "河南大学研究生院管理员", "河南大学"),
]
# university, base, specialty code, major, names
DEMO_FILINGS = [
    ("郑州大学", "示例医院一", "0300", MasterMajor.CLINICAL, ("王晓明", "李佳怡", "张子涵")),
    ("郑州大学", "示例医院一", "2800", MasterMajor.DENTAL, ("赵一鸣",)),
    ("河南大学", "示例医院三", "0100", MasterMajor.CLINICAL, ("刘思远", "陈雨桐")),
]


def _id_number(region_code: str, index: int) -> str:
    body = f"{region_code}{date(2000, 1, 1 + index):%Y%m%d}{500 + index:03d}"
    return body + ric.calc_check_digit(body + "0")


def ensure_filing_demo(password: str) -> None:
    """University administrators, their filings and a cross-city request; created once."""
    universities = {u.name: u for u in db.session.scalars(select(University))}
    existing = set(db.session.scalars(select(Account.username).where(Account.role == Role.UNIVERSITY)))
    accounts = {}
    for username, display, name in UNIVERSITY_ACCOUNTS:
        if username in existing or name not in universities:
            continue
        account = Account(username=username, display_name=display, role=Role.UNIVERSITY,
                          university=universities[name])
        account.set_password(password)
        db.session.add(account)
        accounts[name] = account
    if not accounts or db.session.scalar(select(MasterFiling.id).limit(1)) is not None:
        return
    db.session.flush()
    bases = {b.name: b for b in db.session.scalars(select(TrainingBase))}
    specialties = {s.code: s for s in db.session.scalars(select(Specialty))}
    year, index = now().year, 0
    for university, base, code, major, names in DEMO_FILINGS:
        for name in names:
            index += 1
            db.session.add(MasterFiling(
                year=year, university=universities[university], name=name, id_number=_id_number("410102", index),
                major=major, enrolment_year=year, base=bases[base], specialty=specialties[code],
                filed_by=accounts.get(university)))
    db.session.add(CrossCityApproval(university=universities["河南大学"], year=year,
                                     request_reason="部分学生需在郑州市的培训基地培训"))
