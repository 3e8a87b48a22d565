"""The quota grid's tests share these: a residency batch with bases and quotas, the grid's form as the
page posts it, and a quota workbook."""
from __future__ import annotations

import io

from openpyxl import Workbook

from app.extensions import db
from models import Quota, Status
from models.enums import Program
from tests.factories import ApplicationFactory, BaseFactory, BatchFactory, TraineeFactory, region, specialty

GRID_URL = "/admin/quota-grid/"


def residency_grid():
    """A residency batch; two residency bases (郑州 lists 内科 and 外科; 洛阳 lists none); a GP-only base;
    quotas 内科 5 at 郑州, 外科 0 at 郑州."""
    batch = BatchFactory(name="测试住培批次", program=Program.RESIDENCY)
    internal, surgery = specialty("0100"), specialty("0900")
    zz = BaseFactory(name="住培基地郑州", city=region("410100"), trains_gp_transfer=False)
    zz.specialties = [internal, surgery]
    ly = BaseFactory(name="住培基地洛阳", city=region("410300"), trains_gp_transfer=False)
    gp_only = BaseFactory(name="全科基地", city=region("410100"), trains_residency=False)
    db.session.add_all([Quota(batch=batch, base=zz, specialty=internal, capacity=5),
                        Quota(batch=batch, base=zz, specialty=surgery, capacity=0)])
    db.session.commit()
    return batch, zz, ly, gp_only, internal, surgery


def cell(base, spec) -> str:
    return f"cap-{base.id}-{spec.id}"


def quota_of(batch, base, spec):
    db.session.expire_all()
    return db.session.scalar(db.select(Quota.capacity).where(
        Quota.batch_id == batch.id, Quota.base_id == base.id, Quota.specialty_id == spec.id))


def workbook(rows, header=("基地编号", "培训基地", "专业代码", "专业", "名额")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def seats_taken(batch, base, spec, count: int, status=Status.ADMITTED) -> None:
    """``count`` applications of new trainees holding a seat of (base, specialty) in ``batch``."""
    for _ in range(count):
        ApplicationFactory(trainee=TraineeFactory(), batch=batch, base=base, status=status,
                           admitted_specialty_id=spec.id)
    db.session.commit()
