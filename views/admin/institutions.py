"""Importing the unit directory (工作单位目录) from Excel: the page, the template and the upload.

Only the province administrator and the superuser reach it (``RoleAccessMixin``); the rules and
the reading of the file live in ``app.domain.institutions``.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import current_app, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from app.domain.institutions import (
    IMPORT_ROLES,
    MAX_DATA_ROWS,
    ImportReport,
    build_template,
    column_label,
    import_units,
    read_file,
    template_filename,
)
from app.domain.import_jobs import start_unit_import
from app.extensions import db
from app.infra import jobs
from app.infra.filestore import StoreUnavailable
from app.infra.audit import set_actor
from app.infra.xlsx import XLSX_MIME, WorkbookError, safe_file_part
from views.admin.base import RoleAccessMixin

SHOWN_PROBLEMS = 500  # refused rows listed on the result page; the counts cover all of them


class InstitutionImportView(RoleAccessMixin, BaseView):
    """导入工作单位目录: download the template, upload it filled in, read the result."""

    read_roles = IMPORT_ROLES

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    def _page(self, report: ImportReport | None = None, error: str | None = None, status: int = 200):
        columns = [column_label(key) for key in ("name", "county", "level", "kind")]
        problems = report.problems[:SHOWN_PROBLEMS] if report else []
        return self.render("admin/institution_import.html", report=report, error=error, columns=columns,
                           problems=problems, shown_limit=SHOWN_PROBLEMS, max_rows=MAX_DATA_ROWS), status

    @expose("/")
    def index(self):
        return self._page()

    @expose("/template/")
    def template(self):
        response = send_file(build_template(), mimetype=XLSX_MIME, as_attachment=True, download_name="units.xlsx")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=units.xlsx; filename*=UTF-8''{quote(template_filename())}")
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/upload/", methods=("POST",))
    def upload(self):
        upload = request.files.get("file")
        try:
            data = read_file(upload.stream if upload else None, upload.filename if upload else None)
            if len(data) > int(current_app.config.get("IMPORT_JOB_BYTES", 512 * 1024)):
                return self._import_as_job(data, upload.filename)
            report = import_units(data, upload.filename, current_user._get_current_object())
            db.session.commit()
        except WorkbookError as error:
            db.session.rollback()
            return self._page(error=str(error), status=400)
        return self._page(report=report)

    def _import_as_job(self, data: bytes, filename: str):
        """A big file: its import runs as a job; the user follows it on the job page."""
        try:
            job_id = start_unit_import(data, safe_file_part(filename or "")[:100], current_user._get_current_object())
        except (jobs.QueueUnavailable, StoreUnavailable):
            return self._page(error=_("The task queue is unavailable; please try again later."), status=503)
        return redirect(url_for("jobs.detail", job_id=job_id))
