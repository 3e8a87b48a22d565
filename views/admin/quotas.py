"""The quota grid (名额表格) of a batch: bases × specialties, saved at once; its Excel template and import.

Open to the province administrator and the superuser only (``QUOTA_ROLES``); the rules live in
``app.domain.quotas`` and ``app.domain.quota_import``. Changes are audited as the current user's.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.domain.import_jobs import start_quota_import
from app.domain.quota_import import (
    MAX_DATA_ROWS,
    build_template,
    import_quotas,
    read_quota_upload,
    template_filename,
)
from app.domain.quotas import QUOTA_ROLES, apply_capacities, editable_batches, load_grid, parse_grid_form
from app.extensions import db
from app.infra import jobs
from app.infra.audit import set_actor
from app.infra.filestore import StoreUnavailable
from app.infra.xlsx import XLSX_MIME, WorkbookError, safe_file_part
from models import Batch
from views.admin.base import RoleAccessMixin
from views.helpers import parse_id


CHANGED_MEANWHILE = _l("Someone else changed these quotas meanwhile; nothing was saved. Please check the grid "
                       "and save again.")


class QuotaGridView(RoleAccessMixin, BaseView):
    read_roles = QUOTA_ROLES

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    def _batch(self, raw, batches: list[Batch]) -> Batch | None:
        """The chosen batch (by default the newest); 404 for a number that names no batch."""
        if raw in (None, ""):
            return batches[0] if batches else None
        number = parse_id(raw)
        for batch in batches:
            if batch.id == number:
                return batch
        abort(404)

    def _page(self, batch, batches, typed=None, problems=None, report=None, file_error=None, status=200):
        grid = load_grid(batch) if batch is not None else None
        labels = {}
        if grid is not None and problems:
            bases = {b.id: b.name for b in grid.bases}
            names = {s.id: s.name for s in grid.specialties}
            labels = {cell: f"{bases.get(cell[0], '')} · {names.get(cell[1], '')}" for cell in problems}
        return self.render("admin/quota_grid.html", batches=batches, batch=batch, grid=grid, typed=typed or {},
                           problems=problems or {}, labels=labels, report=report, file_error=file_error,
                           max_rows=MAX_DATA_ROWS), status

    @expose("/")
    def index(self):
        batches = editable_batches()
        return self._page(self._batch(request.args.get("batch"), batches), batches)

    @expose("/save/", methods=("POST",))
    def save(self):
        batches = editable_batches()
        batch = self._batch(request.form.get("batch"), batches)
        if batch is None:
            abort(404)
        grid = load_grid(batch)
        typed, values, problems, strays = parse_grid_form(grid, request.form)
        if strays:
            flash(_("The form names cells that are not in this batch's grid; nothing was saved. Please reload "
                    "the page."), "error")
            return self._page(batch, batches, typed=typed, status=400)
        if not problems:
            try:
                problems, changed = apply_capacities(batch, values)
                if not problems:
                    db.session.commit()
                    flash(_("Saved: %(count)s quotas changed.", count=changed), "success")
                    return redirect(self.get_url(".index", batch=batch.id))
            except IntegrityError:  # another administrator added the same quota meanwhile
                db.session.rollback()
                flash(str(CHANGED_MEANWHILE), "error")
                return self._page(batch, batches, typed=typed, status=409)
            db.session.rollback()
        flash(_("Nothing was saved: %(count)s cells need correcting (in red).", count=len(problems)), "error")
        return self._page(batch, batches, typed=typed, problems=problems)

    @expose("/template/")
    def template(self):
        batch = self._batch(request.args.get("batch"), editable_batches())
        if batch is None:
            abort(404)
        response = send_file(build_template(batch), mimetype=XLSX_MIME, as_attachment=True,
                             download_name="quotas.xlsx")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=quotas.xlsx; filename*=UTF-8''{quote(template_filename(batch))}")
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/import/", methods=("POST",))
    def upload(self):
        batches = editable_batches()
        batch = self._batch(request.form.get("batch"), batches)
        if batch is None:
            abort(404)
        upload = request.files.get("file")
        try:
            data = read_quota_upload(upload.stream if upload else None, upload.filename if upload else None)
            if len(data) > int(current_app.config.get("IMPORT_JOB_BYTES", 512 * 1024)):
                return self._import_as_job(data, upload.filename, batch, batches)
            report = import_quotas(data, batch)
            if report.problems:
                db.session.rollback()
                return self._page(batch, batches, report=report)
            db.session.commit()
        except WorkbookError as error:
            db.session.rollback()
            return self._page(batch, batches, file_error=str(error))
        except IntegrityError:
            db.session.rollback()
            return self._page(batch, batches, file_error=str(CHANGED_MEANWHILE), status=409)
        flash(_("Imported: %(rows)s rows; %(changed)s quotas changed.", rows=report.rows, changed=report.changed),
              "success")
        return redirect(self.get_url(".index", batch=batch.id))

    def _import_as_job(self, data: bytes, filename: str, batch, batches):
        """A big file: its import runs as a job; the user follows it on the job page."""
        try:
            job_id = start_quota_import(data, safe_file_part(filename or "")[:100], batch,
                                        current_user._get_current_object())
        except (jobs.QueueUnavailable, StoreUnavailable):
            return self._page(batch, batches, file_error=_("The task queue is unavailable; please try again later."),
                              status=503)
        return redirect(url_for("jobs.detail", job_id=job_id))
