"""A residency batch with scored candidates for the admission tests (the engine, the page, the export)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from models import ApplicationChoice, Quota, Status
from models.clock import now
from models.enums import Program
from tests.factories import ApplicationFactory, BatchFactory, TraineeFactory, id_number, specialty

PAGE = "/admin/admission/"
EXPORT = "/admin/admission/export/"
T0 = now().replace(microsecond=0) - timedelta(days=3)


def residency_batch(world, capacities=None, tie_break="theory,skills,submitted_at"):
    batch = BatchFactory(name="测试住培批次", program=Program.RESIDENCY, tie_break=tie_break)
    capacities = capacities or {("zz", "0100"): 2, ("zz", "0900"): 1, ("ly", "0100"): 1}
    for (base, code), capacity in capacities.items():
        db.session.add(Quota(batch=batch, base=world.bases[base], specialty=specialty(code), capacity=capacity))
    db.session.commit()
    return batch


def candidate(world, batch, base, codes, combined, theory=60, skills=60, status=Status.CONFIRMED, minutes=0,
              name=None):
    trainee = TraineeFactory(id_number=id_number(world.regions["zy"].code), **({"name": name} if name else {}))
    application = ApplicationFactory(
        trainee=trainee, batch=batch, county=world.regions["zy"], city=world.regions["zz"], base=world.bases[base],
        status=status, submitted_at=T0 + timedelta(minutes=minutes),
        combined_score=None if combined is None else Decimal(str(combined)),
        theory_score=Decimal(str(theory)), skills_score=Decimal(str(skills)))
    for rank, code in enumerate(codes, start=1):
        db.session.add(ApplicationChoice(application=application, rank=rank, specialty=specialty(code)))
    db.session.commit()
    return application


@pytest.fixture
def scene(world):
    """郑州: 内科 2 places, 外科 1; 洛阳: 内科 1. Six candidates, one without a score, one still waiting."""
    batch = residency_batch(world)
    people = {
        "top": candidate(world, batch, "zz", ["0100"], 90, name="甲一"),
        "second": candidate(world, batch, "zz", ["0100", "0900"], 85, theory=80, name="乙二"),
        "tie_loser": candidate(world, batch, "zz", ["0100", "0900"], 85, theory=70, name="丙三"),
        "out": candidate(world, batch, "zz", ["0100", "0900"], 70, name="丁四"),
        "noscore": candidate(world, batch, "zz", ["0900"], None, name="戊五"),
        "ly": candidate(world, batch, "ly", ["0100"], 60, name="己六"),
        "waiting": candidate(world, batch, "zz", ["0100"], None, status=Status.BASE_APPROVED, name="庚七"),
    }
    return batch, people
