"""A published residency batch with admission notices issued, for the acceptance tests (domain, pages,
browser): the admission scene of ``tests/admission_scene.py`` plus accounts for its trainees, two more
candidates, the acceptance window and the base's 报到 arrangement."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.domain.admission import publish
from app.domain.admission.notices import current_notice, issue_notices, set_arrangement
from app.extensions import db
from models import Acceptance, Account, AdmissionNotice, Application, Batch, Role
from models.enums import Business
from models.clock import now, today
from tests.admission_scene import candidate, residency_batch
from tests.factories import AccountFactory, specialty

INTERNAL, SURGERY = "0100", "0900"
REPORT_AT = datetime(2024, 7, 20, 8, 30)
PLACE = "郑州大学第一附属医院行政楼三楼会议室"


@dataclass
class Season:
    batch: Batch
    people: dict[str, Application]

    def notice(self, key: str) -> AdmissionNotice:
        return current_notice(self.people[key].id)

    def account(self, key: str) -> Account:
        return db.session.get(Account, self.people[key].trainee.account_id)


def give_account(application: Application, username: str) -> Account:
    account = AccountFactory(username=username, role=Role.TRAINEE, businesses=[Business.RESIDENCY])
    application.trainee.account = account
    db.session.commit()
    return account


def admitted_season(world, opens_in_days: int = -1, closes_in_days: int = 5, issue: bool = True) -> Season:
    """郑州 内科 2 places, 外科 1; 洛阳 内科 1. Admitted: 甲一 and 乙二 (内科), 丙三 (外科), 己六 (洛阳).
    Not admitted, in order: 辛八 80 (外科 only), 丁四 70 (内科, 外科), 壬九 65 (内科), 戊五 (no score)."""
    batch = residency_batch(world)
    people = {
        "top": candidate(world, batch, "zz", [INTERNAL], 90, name="甲一"),
        "second": candidate(world, batch, "zz", [INTERNAL, SURGERY], 85, theory=80, name="乙二"),
        "tie_loser": candidate(world, batch, "zz", [INTERNAL, SURGERY], 85, theory=70, name="丙三"),
        "surgeon": candidate(world, batch, "zz", [SURGERY], 80, name="辛八"),
        "out": candidate(world, batch, "zz", [INTERNAL, SURGERY], 70, name="丁四"),
        "low": candidate(world, batch, "zz", [INTERNAL], 65, name="壬九"),
        "noscore": candidate(world, batch, "zz", [SURGERY], None, name="戊五"),
        "ly": candidate(world, batch, "ly", [INTERNAL], 60, name="己六"),
    }
    for key, application in people.items():
        give_account(application, f"res_{key}")
    publish(batch, world.accounts["province"])
    batch.acceptance_opens_on = today() + timedelta(days=opens_in_days)
    batch.acceptance_closes_on = today() + timedelta(days=closes_in_days)
    db.session.commit()
    if issue:
        for base in ("zz", "ly"):
            set_arrangement(world.accounts[f"base_{base}"], batch, world.bases[base].id, None, REPORT_AT, PLACE)
            db.session.commit()
            issue_notices(world.accounts[f"base_{base}"], batch)
    for application in people.values():
        db.session.refresh(application)
    return Season(batch, people)


def specialty_id(code: str) -> int:
    return specialty(code).id


def notices_of(application_id: int) -> list[AdmissionNotice]:
    return list(db.session.scalars(select(AdmissionNotice).where(AdmissionNotice.application_id == application_id)
                                   .order_by(AdmissionNotice.id)))


def accepted_notice(application: Application, specialty_code: str = INTERNAL) -> AdmissionNotice:
    """An accepted admission notice written straight to the database (报到 requires one)."""
    notice = AdmissionNotice(application_id=application.id, base_id=application.base_id,
                             specialty_id=application.admitted_specialty_id or specialty_id(specialty_code),
                             report_at=REPORT_AT, report_place=PLACE, acceptance=Acceptance.ACCEPTED,
                             answered_at=now(), current=True)
    db.session.add(notice)
    db.session.commit()
    return notice


def as_graduate(application: Application, identity: str = "graduate", unit: str | None = None) -> None:
    """Make ``application`` a fresh graduate's (or another identity's) with a 本科 education in its snapshot."""
    application.identity = identity
    application.commissioning_unit = unit
    application.snapshot = {"name": application.trainee.name, "educations": [{"level": "bachelor"}]}
    db.session.commit()
