"""After admission (培训信息): the training record made on acceptance (length, planned dates, agreement by
identity), the base's uploads, the diploma deadline of fresh graduates and the province's 退培."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.domain.admission.notices import accept
from app.domain.admission.training import (
    TrainingError,
    missing_graduation_documents,
    upload_document,
    withdraw_not_graduated,
    years_later,
)
from app.extensions import db
from app.infra.storage import UploadError
from models import AgreementKind, AuditLog, TrainingRecord, Withdrawal
from models.enums import WithdrawalReason
from models.clock import today
from tests.catalogue import zh
from tests.files import pdf_pages
from tests.notices import admitted_season, as_graduate
from tests.portal_helpers import png_bytes

def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def accepted_record(world, key="top", identity="graduate", unit=None, diploma_in_days=10):
    season = admitted_season(world)
    season.batch.diploma_deadline = today() + timedelta(days=diploma_in_days)
    as_graduate(season.people[key], identity, unit)
    accept(season.account(key), season.notice(key).id)
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.application_id == season.people[key].id))
    return season, record


def test_accepting_records_three_years_the_planned_dates_and_a_labour_contract(world):
    """培训对象为本科及以上学历者，培训时间 3 年; 与面向社会招收的培训对象依法签订劳动合同。"""
    season, record = accepted_record(world)
    assert record.training_years == 3
    assert record.planned_start == date(2024, 7, 20) and record.planned_completion == date(2027, 7, 19)
    assert (record.agreement_kind, record.agreement_party) == (AgreementKind.LABOUR, "测试基地郑州")
    assert record.diploma_due == season.batch.diploma_deadline


def test_a_commissioned_trainee_signs_a_training_agreement_with_the_unit(world):
    """培训基地与招收的委托培养住院医师按规定签订培训协议。"""
    _season, record = accepted_record(world, identity="commissioned", unit="中原区人民医院")
    assert (record.agreement_kind, record.agreement_party) == (AgreementKind.TRAINING, "中原区人民医院")
    assert record.diploma_due is None


def test_years_later_keeps_the_day_and_handles_29_february():
    assert years_later(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert years_later(date(2024, 7, 20), 3) == date(2027, 7, 20)


def test_the_base_uploads_the_documents_and_a_file_that_is_no_image_or_pdf_is_refused(world):
    season, record = accepted_record(world)
    base = world.accounts["base_zz"]
    with pytest.raises(UploadError) as refused:
        upload_document(base, record.id, "diploma", upload(b"MZ\x90\x00 not a picture", "毕业证.exe"))
    assert str(refused.value) == zh("Only JPG or PNG images and PDF files can be uploaded.")
    db.session.rollback()
    assert db.session.get(TrainingRecord, record.id).diploma_file_id is None
    assert [r.id for r in missing_graduation_documents(world.bases["zz"].id)] == [record.id]
    upload_document(base, record.id, "diploma", upload(png_bytes(), "毕业证.png"))
    upload_document(base, record.id, "degree", upload(pdf_pages(1), "学位证.pdf"))
    upload_document(base, record.id, "agreement", upload(pdf_pages(2), "劳动合同.pdf"))
    db.session.commit()
    record = db.session.get(TrainingRecord, record.id)
    assert record.diploma_file.content_type in ("image/jpeg", "image/png")
    assert record.agreement_file.kind == "agreement" and record.degree_file.content_type == "application/pdf"
    assert missing_graduation_documents(world.bases["zz"].id) == []


def test_another_base_cannot_upload_for_this_bases_trainee(world):
    _season, record = accepted_record(world)
    for actor, forged in ((world.accounts["base_ly"], record.id), (world.accounts["province"], record.id),
                          (world.accounts["base_zz"], 2**31 - 1), (world.accounts["base_zz"], "1")):
        with pytest.raises(TrainingError, match=zh("This training record was not found.")):
            upload_document(actor, forged, "agreement", upload(pdf_pages(1), "合同.pdf"))
    assert db.session.get(TrainingRecord, record.id).agreement_file_id is None


@pytest.mark.parametrize("due_in_days, allowed", [(1, False), (0, False), (-1, True)])
def test_withdrawal_for_not_graduating_only_after_the_diploma_deadline(world, due_in_days, allowed):
    """国内全日制普通医学高等院校 2024 年应届毕业生暂不能提供学历学位证书的，可于毕业后再提供，若不能顺利毕业的自动
    退培。 The day before and the day of the deadline the diploma may still come; from the day after, the
    province may withdraw (退培, 未能按期毕业)."""
    _season, record = accepted_record(world, diploma_in_days=due_in_days)
    if not allowed:
        with pytest.raises(TrainingError, match="仍可上传"):
            withdraw_not_graduated(world.accounts["province"], record.id)
        assert db.session.get(TrainingRecord, record.id).withdrawn_at is None
        return
    with pytest.raises(TrainingError):
        withdraw_not_graduated(world.accounts["base_zz"], record.id)
    done = withdraw_not_graduated(world.accounts["province"], record.id)
    assert done.withdrawal_reason == WithdrawalReason.NOT_GRADUATED and done.withdrawn_at is not None
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "training_record")).one()
    assert (audit.actor_name, audit.new_value, audit.reason) == ("province", "not_graduated", "未能按期毕业")
    # bound to the ID number, as every withdrawal the 3-year rule reads
    [withdrawal] = db.session.scalars(select(Withdrawal)).all()
    trainee = done.application.trainee
    assert (withdrawal.id_number, withdrawal.reason, withdrawal.status, withdrawal.withdrawn_on) == (
        trainee.id_number, "not_graduated", "approved", today())
    with pytest.raises(TrainingError):  # once
        withdraw_not_graduated(world.accounts["province"], record.id)
    assert missing_graduation_documents(None) == []


def test_no_withdrawal_when_the_diploma_and_degree_are_on_file(world):
    _season, record = accepted_record(world, diploma_in_days=-1)
    base = world.accounts["base_zz"]
    upload_document(base, record.id, "diploma", upload(png_bytes(), "毕业证.png"))
    upload_document(base, record.id, "degree", upload(png_bytes(), "学位证.png"))
    db.session.commit()
    with pytest.raises(TrainingError):
        withdraw_not_graduated(world.accounts["province"], record.id)
