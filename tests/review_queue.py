"""A county reviewer's queue written straight to the database, for the review loop's tests: GP
applications of 中原区 that entered 待区县审核 one hour apart (the first waited longest)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from models import Application, ExemptionRequest, Status
from models.clock import now
from tests.factories import ApplicationFactory, TraineeFactory, id_number

LIST = "/admin/application/"
QUEUE = "/admin/application/?flt1_program_equals=gp_transfer&flt2_status_equals=submitted"
LOOP = "/admin/application/loop/"
CLAIM = "/admin/application/claim/"


def queue_of(world, count: int, county: str = "zy", claims: dict[int, tuple[int, ...]] | None = None,
             names: str = "排队") -> list[Application]:
    """``count`` submitted GP applications of ``county``, the first waiting longest; ``claims`` maps
    an index to the exemption types that application claims."""
    city = {"zy": "zz", "js": "zz", "xg": "ly"}[county]
    start = now() - timedelta(days=10)
    made = []
    for index in range(count):
        trainee = TraineeFactory(name=f"{names}{index + 1:02d}", id_number=id_number(world.regions[county].code))
        application = ApplicationFactory(trainee=trainee, batch=world.batches["gp"], county=world.regions[county],
                                         city=world.regions[city], unit_name=f"{county}卫生院{index + 1}",
                                         status=Status.SUBMITTED, submitted_at=start,
                                         status_changed_at=start + timedelta(hours=index))
        for number in (claims or {}).get(index, ()):
            db.session.add(ExemptionRequest(application=application, type=number, content=f"减免内容{number}",
                                            reason="符合条件"))
        made.append(application)
    db.session.commit()
    return made


def claims_of(application_id: int) -> list[ExemptionRequest]:
    return db.session.scalars(select(ExemptionRequest).where(ExemptionRequest.application_id == application_id)
                              .order_by(ExemptionRequest.type)).all()
