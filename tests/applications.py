"""Applications written straight to the database, as the enrollment would have left them: a submitted
residency application with a full profile snapshot, rule results and two specialty choices."""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.domain.enrollment.snapshot import profile_snapshot
from app.domain.rules import results_to_json
from app.domain.rules.eligibility import evaluate_residency
from app.extensions import db
from app.infra import storage
from models import Application, ApplicationChoice, Batch, Education, Employment, Licence, Role, Status
from models.clock import now, today
from models.enums import AttachmentKind, BatchStatus, Identity, PracticeCategory, Program
from tests.factories import AccountFactory, TraineeFactory, id_number, specialty


def residency_batch(name="2025年住院医师规范化培训招收（第一阶段）", deadline: date | None = None) -> Batch:
    batch = db.session.scalar(select(Batch).where(Batch.name == name))
    if batch is None:
        batch = Batch(name=name, year=2025, program=Program.RESIDENCY, status=BatchStatus.OPEN,
                      opens_at=now() - timedelta(days=5), closes_at=now() + timedelta(days=5),
                      confirmation_deadline=deadline or today() + timedelta(days=10),
                      licence_required_graduation_year=2022)
        db.session.add(batch)
        db.session.flush()
    return batch


def png_upload(name="照片.png", size=(350, 490), colour=(30, 90, 160)) -> FileStorage:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    buffer.seek(0)
    return FileStorage(buffer, filename=name, content_type="image/png")


def residency_application(world, base="zz", identity=Identity.COMMISSIONED, status=Status.BASE_APPROVED,
                          graduated=date(2020, 7, 1), photo=False, name=None, batch=None,
                          second_choice=True, born: date = date(1996, 5, 4)) -> Application:
    """A submitted residency application to ``world.bases[base]`` with a full snapshot, rule results and
    two specialty choices (内科, 儿科); graduated in 2020, so a licence is required unless told otherwise."""
    batch = batch or residency_batch()
    account = AccountFactory(role=Role.TRAINEE)
    trainee = TraineeFactory(account=account, name=name or "张堃", id_number=id_number("410102", born),
                             gender="female", ethnicity="汉族", political_status="league", birth_date=born,
                             email="zhangkun@example.cn", address="河南省郑州市中原区建设路 8 号", postal_code="450000",
                             emergency_contact="张父", emergency_phone="13900000000", has_licence=True)
    db.session.add(Education(trainee=trainee, school="河南大学", major="临床医学", level="bachelor", degree="bachelor",
                             full_time=True, start_date=date(graduated.year - 5, 9, 1), end_date=graduated,
                             graduation_date=graduated))
    db.session.add(Employment(trainee=trainee, unit_name="郑州市中原区人民医院", region=world.regions["zy"],
                              department="内科", title="resident", start_date=date(graduated.year, 8, 1),
                              is_current=True))
    db.session.add(Licence(trainee=trainee, category=PracticeCategory.CLINICAL, qualification_number="Q2021410000123",
                           practice_number="P110410000456"))
    db.session.flush()
    if photo:
        trainee.photo = storage.save(png_upload(), AttachmentKind.PHOTO, trainee)
    db.session.flush()
    db.session.refresh(trainee)
    snapshot = profile_snapshot(trainee)
    codes = ["0100", "0200"] if second_choice else ["0100"]
    results = evaluate_residency(snapshot, {"identity": identity, "specialty_codes": codes, "no_postgrad_pledge": True},
                                 {"year": batch.year, "licence_required_graduation_year":
                                  batch.licence_required_graduation_year}, today())
    application = Application(trainee=trainee, batch=batch, identity=identity, status=status, submitted_at=now(),
                              base=world.bases[base], snapshot=snapshot, eligibility=results_to_json(results),
                              no_postgrad_pledge=True, unit_name="郑州市中原区人民医院",
                              commissioning_unit="郑州市中原区人民医院" if identity == Identity.COMMISSIONED else None)
    db.session.add(application)
    for rank, code in enumerate(codes, start=1):
        application.choices.append(ApplicationChoice(rank=rank, specialty=specialty(code)))
    db.session.commit()
    return application
