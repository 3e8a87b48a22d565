"""录取通知与报到 (the base's page): the 报到 time and place, issuing the notices, the trainees' answers,
expired notices, free places offered to the next applicant in order, and the notice's QR code at 报到."""
from __future__ import annotations

from datetime import date, datetime

from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from app.domain.admission.notices import (
    NoticeError,
    arrangements,
    expire_notice,
    issue_notices,
    offer_seat,
    seat_states,
    set_arrangement,
    verify_notice,
    window,
)
from app.domain.admission.training import (
    TrainingError,
    missing_graduation_documents,
    upload_document,
    withdraw_not_graduated,
)
from app.domain.privacy import mask_id_number
from app.domain.review.verification import extract_code
from app.domain.workflow import TransitionError, states, transition
from app.extensions import db
from app.infra.audit import set_actor
from app.infra.storage import UploadError
from models import (
    AdmissionNotice,
    AgreementKind,
    Application,
    BaseAdmission,
    Batch,
    Role,
    Specialty,
    Status,
    Trainee,
    TrainingRecord,
)
from models.clock import today
from models.enums import Program
from views.admin.base import RoleAccessMixin
from views.helpers import parse_id


def parse_moment(text: str | None) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip()[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return None


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def published_batches() -> list[Batch]:
    """The residency batches with admission results out: published by the province, or by a base for its own
    (the staff's own base; any base for the province)."""
    own = select(BaseAdmission.batch_id).where(BaseAdmission.published_at.is_not(None))
    if current_user.role == Role.BASE_STAFF:
        own = own.where(BaseAdmission.base_id == current_user.base_id)
    return list(db.session.scalars(select(Batch).where(Batch.program == Program.RESIDENCY, or_(
        Batch.admission_published_at.is_not(None), Batch.id.in_(own))).order_by(Batch.id.desc())))


def notice_rows(batch_id: int, base_id: int) -> list[tuple]:
    """The base's admitted (or once admitted) applications of the batch with their current notice: one query."""
    return db.session.execute(
        select(Application, Trainee, Specialty, AdmissionNotice)
        .join(Trainee, Trainee.id == Application.trainee_id)
        .outerjoin(AdmissionNotice, and_(AdmissionNotice.application_id == Application.id,
                                         AdmissionNotice.current.is_(True)))
        .outerjoin(Specialty, Specialty.id == func.coalesce(Application.admitted_specialty_id,
                                                            AdmissionNotice.specialty_id))
        .where(Application.batch_id == batch_id, Application.base_id == base_id,
               (Application.status.in_(states.ADMITTED)) | AdmissionNotice.id.is_not(None))
        .order_by(Specialty.name, Application.combined_score.desc(), Application.id)).all()


def training_rows(batch_id: int, base_id: int) -> list[TrainingRecord]:
    """The base's training records of the batch with their trainees and files: one query."""
    return list(db.session.scalars(
        select(TrainingRecord).join(Application, Application.id == TrainingRecord.application_id)
        .where(TrainingRecord.base_id == base_id, Application.batch_id == batch_id)
        .options(db.joinedload(TrainingRecord.application).joinedload(Application.trainee),
                 db.joinedload(TrainingRecord.agreement_file), db.joinedload(TrainingRecord.diploma_file),
                 db.joinedload(TrainingRecord.degree_file))
        .order_by(TrainingRecord.id)).unique())


class AdmissionNoticeView(RoleAccessMixin, BaseView):
    """The base's admission notices, 报到 and training records (each step for its own base only); the
    province sees the fresh graduates missing their diploma and withdraws them after the deadline."""

    read_roles = (Role.BASE_STAFF, Role.PROVINCE_ADMIN)

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    def _batch(self, raw) -> Batch | None:
        batches = published_batches()
        number = parse_id(raw)
        return next((b for b in batches if b.id == number), batches[0] if batches else None)

    def _page(self, batch_raw=None, errors=None, values=None, status: int = 200):
        base_id = current_user.base_id
        batch = self._batch(batch_raw)
        context = {"batches": published_batches(), "batch": batch, "errors": errors or {}, "values": values or {},
                   "mask": mask_id_number, "window": window, "today": today(), "agreement_label": AgreementKind.label,
                   "is_base": current_user.role == Role.BASE_STAFF}
        if batch is not None:
            context["missing"] = missing_graduation_documents(base_id if base_id else None, batch.id)
        if batch is not None and current_user.role == Role.BASE_STAFF:
            context.update(arrangements=arrangements(batch.id, base_id), seats=seat_states(batch, base_id),
                           rows=notice_rows(batch.id, base_id), records=training_rows(batch.id, base_id))
        return self.render("admin/notices.html", **context), status

    @expose("/")
    def index(self):
        return self._page(request.args.get("batch_id"))

    def _back(self, batch: Batch):
        return redirect(self.get_url(".index", batch_id=batch.id))

    @expose("/arrangement", methods=("POST",))
    def arrangement(self):
        batch = self._batch(request.form.get("batch_id"))
        if batch is None:
            return self._page(errors={"arrangement": _("Please choose a resident standardized training batch.")},
                              status=400)
        raw_specialty = request.form.get("specialty_id") or ""
        specialty_id = parse_id(raw_specialty) if raw_specialty not in ("", "0") else None
        values = {"specialty_id": raw_specialty, "report_at": request.form.get("report_at", "")[:20],
                  "place": request.form.get("place", "")[:300]}
        try:
            if raw_specialty not in ("", "0") and specialty_id is None:
                raise NoticeError(_("This specialty has no places at your base in this batch."))
            set_arrangement(current_user._get_current_object(), batch, current_user.base_id, specialty_id,
                            parse_moment(values["report_at"]), values["place"])
            db.session.commit()
        except NoticeError as error:
            db.session.rollback()
            return self._page(batch.id, errors={"arrangement": str(error)}, values=values, status=400)
        flash(_("The time and place of reporting have been saved."), "success")
        return self._back(batch)

    @expose("/issue", methods=("POST",))
    def issue(self):
        batch = self._batch(request.form.get("batch_id"))
        if batch is None:
            return self._page(status=400)
        try:
            result = issue_notices(current_user._get_current_object(), batch)
        except NoticeError as error:
            db.session.rollback()
            return self._page(batch.id, errors={"issue": str(error)}, status=400)
        flash(_("%(n)s admission notices issued; each trainee is told by SMS.", n=result.issued), "success")
        if result.missing:
            flash(_("Not issued yet for %(names)s: please set the time and place of reporting first.",
                    names="、".join(result.missing)), "error")
        return self._back(batch)

    @expose("/expire", methods=("POST",))
    def expire(self):
        batch = self._batch(request.form.get("batch_id"))
        if batch is None:
            return self._page(status=400)
        try:
            expired = expire_notice(current_user._get_current_object(), parse_id(request.form.get("notice_id")))
        except NoticeError as error:
            db.session.rollback()
            return self._page(batch.id, errors={"rows": str(error)}, status=400)
        flash(_("The admission of %(name)s has expired; the place is free again.",
                name=expired.application.trainee.name), "success")
        return self._back(batch)

    @expose("/offer", methods=("POST",))
    def offer(self):
        batch = self._batch(request.form.get("batch_id"))
        if batch is None:
            return self._page(status=400)
        values = {"reply_by": request.form.get("reply_by", "")[:10], "reason": request.form.get("reason", "")[:300]}
        try:
            notice = offer_seat(current_user._get_current_object(), batch, parse_id(request.form.get("specialty_id")),
                                parse_id(request.form.get("application_id")), parse_day(values["reply_by"]),
                                values["reason"])
        except NoticeError as error:
            db.session.rollback()
            return self._page(batch.id, errors={"offer": str(error)}, values=values, status=400)
        flash(_("The place has been offered to %(name)s; the trainee is told by SMS.",
                name=notice.application.trainee.name), "success")
        return self._back(batch)

    def _notice_in_scope(self, raw_code: str) -> tuple[AdmissionNotice | None, str | None]:
        try:
            notice = db.session.get(AdmissionNotice, verify_notice(extract_code(raw_code)))
        except NoticeError as error:
            return None, str(error)
        if notice.base_id != current_user.base_id:
            return None, _("This admission notice belongs to another training base.")
        return notice, None

    @expose("/check", methods=("GET", "POST"))
    def check(self):
        """The notice's QR code at 报到: who it is, the answer, and 报到 once accepted."""
        raw = ((request.form if request.method == "POST" else request.args).get("code") or "")[:2000]
        notice, error = self._notice_in_scope(raw) if raw.strip() else (None, None)
        if request.method == "POST" and notice is not None:
            try:
                transition(notice.application, "report", current_user._get_current_object())
                db.session.commit()
                flash(_("%(name)s has reported at the base.", name=notice.application.trainee.name), "success")
                return redirect(self.get_url(".check", code=extract_code(raw)))
            except TransitionError as failure:
                db.session.rollback()
                error = str(failure)
                notice = db.session.get(AdmissionNotice, notice.id)
        return self.render("admin/notice_check.html", raw=raw, notice=notice, error=error, mask=mask_id_number,
                           status_text=Status.label_for(notice.application.status, Program.RESIDENCY) if notice
                           else ""), (400 if error else 200)

    @expose("/upload", methods=("POST",))
    def upload(self):
        """The base uploads a trainee's signed agreement, diploma or degree (checked like every upload)."""
        batch = self._batch(request.form.get("batch_id"))
        if batch is None:
            return self._page(status=400)
        which = request.form.get("which", "")
        try:
            upload_document(current_user._get_current_object(), parse_id(request.form.get("record_id")), which,
                            request.files.get("file"))
            db.session.commit()
        except (TrainingError, UploadError) as error:
            db.session.rollback()
            return self._page(batch.id, errors={"records": str(error)}, status=400)
        flash(_("The file has been uploaded."), "success")
        return self._back(batch)

    @expose("/withdraw", methods=("POST",))
    def withdraw(self):
        """The province withdraws a fresh graduate who did not bring the diploma and degree in time (退培)."""
        batch = self._batch(request.form.get("batch_id"))
        if batch is None:
            return self._page(status=400)
        try:
            record = withdraw_not_graduated(current_user._get_current_object(), parse_id(request.form.get("record_id")))
        except TrainingError as error:
            db.session.rollback()
            return self._page(batch.id, errors={"missing": str(error)}, status=400)
        flash(_("%(name)s has been withdrawn: failed to graduate on time.", name=record.application.trainee.name),
              "success")
        return self._back(batch)
