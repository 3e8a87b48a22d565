"""专硕备案: a university files its professional master's students, a base sees those filed to it and
flags the ones it cannot take, the province follows every university, decides cross-city training,
reopens late filings and exports it all. The rules live in ``app.domain.filing``."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import abort, flash, redirect, request, send_file
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.domain.access import scope
from app.domain.filing import FilingError, deadline_of, decide_cross_city, file_student, flag, reopen, set_deadline, window
from app.domain.filing import request_cross_city as ask_cross_city
from app.domain.filing.importer import MAX_DATA_ROWS, build_template, import_filings
from app.domain.filing.overview import base_counts, export_workbook, filings, late_filers, pending_approvals
from app.domain.filing.overview import university_states
from app.domain.privacy import mask_id_number
from app.extensions import db
from app.infra.audit import set_actor
from app.infra.xlsx import XLSX_MIME, WorkbookError
from models import CrossCityApproval, MasterFiling, Role, Specialty, TrainingBase, University
from models.clock import now
from models.enums import ApprovalState, MasterMajor
from views.admin.base import RoleAccessMixin
from views.helpers import parse_id

FILING_ROLES = (Role.UNIVERSITY, Role.BASE_STAFF, Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
PROVINCE = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
FORM_FIELDS = ("name", "id_number", "major", "enrolment_year", "base_id", "specialty_id")


def _year(raw) -> int:
    current = now().year
    number = parse_id(raw) if raw not in (None, "") else None
    return number if number and current - 5 <= number <= current + 1 else current


def _day(raw) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


class FilingView(RoleAccessMixin, BaseView):
    read_roles = FILING_ROLES

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    def _require(self, *roles):
        if current_user.role not in roles:
            abort(403)

    def _university_context(self, user, year: int) -> dict:
        approval = db.session.scalar(select(CrossCityApproval).where(
            CrossCityApproval.university_id == user.university_id, CrossCityApproval.year == year))
        return {"window": window(user.university_id, year), "university": user.university, "approval": approval,
                "bases": list(db.session.scalars(scope(select(TrainingBase), TrainingBase, user)
                                                 .order_by(TrainingBase.name))),
                "specialties": list(db.session.scalars(select(Specialty).order_by(Specialty.code))),
                "majors": MasterMajor.choices()}

    def _province_context(self, user, year: int) -> dict:
        rows = university_states(user, year, now().date())
        return {"states": rows, "late": late_filers(rows), "approvals": pending_approvals(user),
                "universities": [row["university"] for row in rows], "deadline": deadline_of(year)}

    def _page(self, year: int, error: str | None = None, field: str | None = None, form=None, result=None,
              status: int = 200):
        user = current_user._get_current_object()
        context = {"year": year, "error": error, "error_field": field, "form": form or {}, "result": result,
                   "filings": filings(user, year), "mask": mask_id_number, "major_label": MasterMajor.label,
                   "approval_label": ApprovalState.label, "role": user.role, "roles": Role,
                   "max_rows": MAX_DATA_ROWS, "today": now().date()}
        if user.role == Role.UNIVERSITY:
            context.update(self._university_context(user, year))
        elif user.role == Role.BASE_STAFF:
            context["counts"] = base_counts(user, year)
        else:
            context["counts"] = base_counts(user, year)
            context.update(self._province_context(user, year))
        return self.render("admin/filing.html", **context), status

    def _done(self, year: int, message: str):
        db.session.commit()
        flash(message, "success")
        return redirect(self.get_url(".index", year=year))

    def _refused(self, year: int, error: FilingError, form=None):
        db.session.rollback()
        return self._page(year, error=str(error), field=error.field, form=form, status=400)

    @expose("/")
    def index(self):
        return self._page(_year(request.args.get("year")))

    @expose("/file/", methods=("POST",))
    def file(self):
        self._require(Role.UNIVERSITY)
        year = _year(request.form.get("year"))
        form = {key: request.form.get(key, "").replace("\x00", "")[:60] for key in FORM_FIELDS}
        fields = {**form, "base_id": parse_id(form["base_id"]), "specialty_id": parse_id(form["specialty_id"])}
        try:
            filing = file_student(current_user._get_current_object(), year, fields)
        except FilingError as error:
            return self._refused(year, error, form)
        return self._done(year, _("%(name)s is filed.", name=filing.name))

    @expose("/template/")
    def template(self):
        self._require(Role.UNIVERSITY)
        name = _("Professional master filing template") + ".xlsx"
        response = send_file(build_template(), mimetype=XLSX_MIME, as_attachment=True, download_name="filing.xlsx")
        response.headers["Content-Disposition"] = f"attachment; filename=filing.xlsx; filename*=UTF-8''{quote(name)}"
        return response

    @expose("/import/", methods=("POST",))
    def upload(self):
        self._require(Role.UNIVERSITY)
        year = _year(request.form.get("year"))
        upload = request.files.get("file")
        try:
            result = import_filings(current_user._get_current_object(), year, upload.stream if upload else None,
                                    upload.filename if upload else None)
        except (FilingError, WorkbookError) as error:
            return self._refused(year, error if isinstance(error, FilingError) else FilingError(str(error), "file"))
        if result.filed:
            return self._done(year, _("%(count)s students filed.", count=result.filed))
        db.session.rollback()
        return self._page(year, result=result, status=400 if result.problems else 200)

    @expose("/cross-city/", methods=("POST",))
    def cross_city(self):
        self._require(Role.UNIVERSITY)
        year = _year(request.form.get("year"))
        try:
            ask_cross_city(current_user._get_current_object(), year, request.form.get("reason", ""))
        except FilingError as error:
            return self._refused(year, error, {"reason": request.form.get("reason", "")[:200]})
        return self._done(year, _("The request for cross-city training is sent to the province."))

    @expose("/cross-city/decide/", methods=("POST",))
    def decide(self):
        self._require(*PROVINCE)
        year = _year(request.form.get("year"))
        approval_id = parse_id(request.form.get("approval_id"))
        approval = db.session.get(CrossCityApproval, approval_id) if approval_id else None
        approve = request.form.get("decision") == "approve"
        reason = request.form.get("reason", "")
        set_actor(current_user._get_current_object(), reason.strip()[:200] or None)
        try:
            decide_cross_city(current_user._get_current_object(), approval, approve, reason)
        except FilingError as error:
            return self._refused(year, error)
        return self._done(year, _("Cross-city training approved.") if approve else _("Cross-city training refused."))

    @expose("/reopen/", methods=("POST",))
    def reopen_view(self):
        self._require(*PROVINCE)
        year = _year(request.form.get("year"))
        university_id = parse_id(request.form.get("university_id"))
        university = db.session.get(University, university_id) if university_id else None
        reason = request.form.get("reason", "")
        set_actor(current_user._get_current_object(), reason.strip()[:200] or None)
        try:
            row = reopen(current_user._get_current_object(), university, year, _day(request.form.get("until")),
                         reason)
        except FilingError as error:
            return self._refused(year, error)
        return self._done(year, _("The filing of %(university)s is reopened until %(day)s.",
                                  university=row.university.name, day=row.until.isoformat()))

    @expose("/deadline/", methods=("POST",))
    def deadline(self):
        self._require(*PROVINCE)
        year = _year(request.form.get("year"))
        try:
            set_deadline(current_user._get_current_object(), year, _day(request.form.get("deadline")))
        except FilingError as error:
            return self._refused(year, error)
        return self._done(year, _("The filing deadline is saved."))

    @expose("/flag/", methods=("POST",))
    def flag_view(self):
        self._require(Role.BASE_STAFF)
        year = _year(request.form.get("year"))
        filing_id = parse_id(request.form.get("filing_id"))
        filing = db.session.scalar(scope(select(MasterFiling).where(MasterFiling.id == filing_id), MasterFiling,
                                         current_user)) if filing_id else None
        try:
            flag(current_user._get_current_object(), filing, request.form.get("reason", ""))
        except FilingError as error:
            return self._refused(year, error)
        return self._done(year, _("The province is told that your base cannot take %(name)s.", name=filing.name))

    @expose("/export/")
    def export(self):
        self._require(*PROVINCE, Role.SUPPORT)
        year = _year(request.args.get("year"))
        stream = export_workbook(current_user._get_current_object(), year, now().date())
        name = _("Professional master filing %(year)s", year=year) + ".xlsx"
        response = send_file(stream, mimetype=XLSX_MIME, as_attachment=True, download_name=f"filing-{year}.xlsx")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=filing-{year}.xlsx; filename*=UTF-8''{quote(name)}")
        response.headers["Cache-Control"] = "no-store"
        return response
