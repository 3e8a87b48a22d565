"""After admission (培训信息): each accepted admission gets a training record.

* Training length: "培训对象为本科及以上学历者，培训时间 3 年" (and 科学型硕士或博士转任临床岗位的… 3 年): 3
  years for 本科 or above in the submitted education; the seed sets none for others (None, shown as
  such; they are not eligible anyway).
* Planned start: the day of 报到 in the notice; planned completion: three years on, the day before.
* The agreement by identity: "培训基地与招收的委托培养住院医师按规定签订培训协议…与面向社会招收的培训对象
  依法签订劳动合同": 单位委派 → 培训协议 (with the commissioning unit); 社会人 and 应届毕业生 (both
  recruited from society) → 劳动合同. The base uploads the signed copy (checked by ``app.infra.storage``).
* A 应届毕业生 without a diploma on file: "暂不能提供学历学位证书的，可于毕业后再提供，若不能顺利毕业的自动
  退培": the diploma and degree are due by the batch's ``diploma_deadline``; the base sees who is
  missing them; from the day after, the province may withdraw the trainee (退培) with the reason
  未能按期毕业 (``WithdrawalReason.NOT_GRADUATED``), which a withdrawal rule of later years can read.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, select, update

from app.extensions import db
from app.i18n import cn_date
from app.infra.storage import save
from models import (
    AdmissionNotice,
    AgreementKind,
    Application,
    Attachment,
    AuditLog,
    Role,
    TrainingRecord,
    Withdrawal,
)
from models.clock import now
from models.enums import AttachmentKind, AuditAction, EducationLevel, Identity, WithdrawalReason, WithdrawalStatus

TRAINING_YEARS = 3
DOCUMENTS = {"agreement": ("agreement_file_id", AttachmentKind.AGREEMENT),
             "diploma": ("diploma_file_id", AttachmentKind.DIPLOMA),
             "degree": ("degree_file_id", AttachmentKind.DEGREE_CERT)}


class TrainingError(Exception):
    """A refused step; ``str(error)`` is the Chinese message."""


def training_years(snapshot: dict | None) -> int | None:
    levels = {e.get("level") for e in (snapshot or {}).get("educations") or []}
    return TRAINING_YEARS if levels & {EducationLevel.BACHELOR, EducationLevel.MASTER, EducationLevel.DOCTOR} \
        else None


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def agreement_for(application: Application) -> tuple[str, str]:
    if application.identity == Identity.COMMISSIONED:
        return AgreementKind.TRAINING, application.commissioning_unit or ""
    return AgreementKind.LABOUR, application.base.name if application.base else ""


def create_record(application: Application, notice: AdmissionNotice) -> TrainingRecord:
    """The training record of an accepted admission (in the caller's transaction)."""
    years = training_years(application.snapshot)
    start = notice.report_at.date()
    kind, party = agreement_for(application)
    has_diploma = db.session.scalar(select(Attachment.id).where(
        Attachment.trainee_id == application.trainee_id, Attachment.kind == AttachmentKind.DIPLOMA).limit(1))
    record = TrainingRecord(
        application_id=application.id, base_id=application.base_id, training_years=years, planned_start=start,
        planned_completion=years_later(start, years) - timedelta(days=1) if years else None,
        agreement_kind=kind, agreement_party=party,
        diploma_due=application.batch.diploma_deadline
        if application.identity == Identity.GRADUATE and not has_diploma else None)
    db.session.add(record)
    return record


def base_record(actor, record_id) -> TrainingRecord:
    record = db.session.get(TrainingRecord, record_id) if isinstance(record_id, int) else None
    if record is None or actor is None or actor.role != Role.BASE_STAFF or record.base_id != actor.base_id:
        raise TrainingError(_("This training record was not found."))
    return record


def upload_document(actor, record_id, which: str, file) -> Attachment:
    """The base uploads the signed agreement, the diploma or the degree of its own trainee; checked like
    every upload (image or PDF, size, pixels). Raises ``UploadError`` or ``TrainingError``; the caller
    commits."""
    record = base_record(actor, record_id)
    if which not in DOCUMENTS:
        raise TrainingError(_("Please choose which document to upload."))
    if record.withdrawn_at is not None:
        raise TrainingError(_("This trainee has been withdrawn."))
    column, kind = DOCUMENTS[which]
    application = record.application
    attachment = save(file, kind, application.trainee, uploaded_by=actor, application=application)
    setattr(record, column, attachment.id)
    return attachment


def missing_documents_condition():
    """A training record whose fresh graduate still misses the diploma or the degree (not withdrawn): the
    base's list below and the dashboard's 缺材料 count read this one condition."""
    return and_(TrainingRecord.diploma_due.is_not(None), TrainingRecord.withdrawn_at.is_(None),
                (TrainingRecord.diploma_file_id.is_(None)) | (TrainingRecord.degree_file_id.is_(None)))


def missing_graduation_documents(base_id: int | None, batch_id: int | None = None) -> list[TrainingRecord]:
    """Fresh graduates still missing the diploma or the degree (not withdrawn), for one base or all."""
    query = (select(TrainingRecord).join(Application, Application.id == TrainingRecord.application_id)
             .where(missing_documents_condition())
             .options(db.joinedload(TrainingRecord.application).joinedload(Application.trainee))
             .order_by(TrainingRecord.diploma_due, TrainingRecord.id))
    if base_id is not None:
        query = query.where(TrainingRecord.base_id == base_id)
    if batch_id is not None:
        query = query.where(Application.batch_id == batch_id)
    return list(db.session.scalars(query).unique())


def _approved_withdrawal(application: Application, actor, moment) -> Withdrawal:
    """The province's 退培 for 未能按期毕业 as the withdrawal record every later application is checked
    against by ID number (退培 3 年内不得再次参加住培: ``app.domain.withdrawals``), approved at once: the
    province itself decided it."""
    trainee = application.trainee
    return Withdrawal(application_id=application.id, trainee_id=trainee.id, base_id=application.base_id,
                      name=trainee.name, id_number=trainee.id_number, withdrawn_on=moment.date(),
                      reason=WithdrawalReason.NOT_GRADUATED, refund_required=True,
                      status=WithdrawalStatus.APPROVED, recorded_by_id=actor.id, recorded_at=moment,
                      decided_by_id=actor.id, decided_at=moment)


def withdraw_not_graduated(actor, record_id) -> TrainingRecord:
    """退培 for 未能按期毕业, by the province, from the day after the diploma deadline if the diploma or
    degree is still missing; written once (conditional UPDATE) and audited; commits."""
    record = db.session.get(TrainingRecord, record_id) if isinstance(record_id, int) else None
    if actor is None or actor.role != Role.PROVINCE_ADMIN:
        raise TrainingError(_("Only the province administrator may withdraw a trainee."))
    if record is None:
        raise TrainingError(_("This training record was not found."))
    if not record.missing_graduation_documents:
        raise TrainingError(_("The diploma and degree of this trainee are on file; there is nothing to withdraw "
                              "for."))
    if now().date() <= record.diploma_due:
        raise TrainingError(_("The diploma and degree may still be uploaded until %(date)s.",
                              date=cn_date(record.diploma_due)))
    moment = now()
    changed = db.session.execute(
        update(TrainingRecord).where(TrainingRecord.id == record.id, TrainingRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=moment, withdrawn_by_id=actor.id, withdrawal_reason=WithdrawalReason.NOT_GRADUATED)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        db.session.rollback()
        raise TrainingError(_("This trainee has been withdrawn."))
    db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username, created_at=moment,
                            table_name="training_record", record_id=str(record.id), action=AuditAction.UPDATE,
                            field_name="withdrawal_reason", old_value=None, new_value=WithdrawalReason.NOT_GRADUATED,
                            reason=WithdrawalReason.label(WithdrawalReason.NOT_GRADUATED)))
    db.session.add(_approved_withdrawal(record.application, actor, moment))
    db.session.commit()
    db.session.refresh(record)
    return record
