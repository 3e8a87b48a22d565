"""The scores page (考试成绩): a residency batch's exam settings, the Excel template, score import and list.

Base staff see and import their own base only; the province administrator any base; every other
role is refused (``RoleAccessMixin``). Rules live in ``app.domain.scores``; scope in ``app.domain.access``.
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.domain.scores import (
    FIXED_COLUMNS,
    SCORE_ROLES,
    ImportReport,
    ScoreFileError,
    build_template,
    choice_name,
    formula_text,
    import_scores,
    item_sets,
    may_manage_base,
    read_upload,
    default_scores_batch,
    residency_batches,
    scored_applications_query,
    template_filename,
)
from app.domain.import_jobs import start_score_import
from app.extensions import db
from app.infra import jobs
from app.infra.access_log import record_access
from app.infra.audit import set_actor
from app.infra.filestore import StoreUnavailable
from app.infra.xlsx import XLSX_MIME, safe_file_part
from models import AccessAction, Application, ApplicationChoice, Role, Status, TrainingBase
from views.admin.base import MAX_PAGE, RoleAccessMixin
from views.helpers import parse_id

PAGE_SIZE = 50


def score_text(value) -> str:
    """A score with two decimals, or empty."""
    if value is None or value == "":
        return ""
    try:
        return format(Decimal(str(value)).quantize(Decimal("0.01")), "f")
    except ArithmeticError:
        return str(value)


class BatchBaseMixin:
    """A residency batch and a training base chosen in the request: base staff have their own base
    only; the province administrator any base. Changes are audited as the current user's."""

    read_roles = SCORE_ROLES

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    # --- choices from the request -----------------------------------------------------------------
    def _batch(self, raw, batches):
        """The chosen residency batch (by default the newest with confirmed applicants); 404 for anything else."""
        if raw in (None, ""):
            return default_scores_batch(batches)
        number = parse_id(raw)
        for batch in batches:
            if batch.id == number:
                return batch
        abort(404)

    def _base(self, raw):
        """Base staff: their own base (naming another is refused); province: the chosen base or None."""
        user = current_user
        if user.role == Role.BASE_STAFF:
            own = db.session.get(TrainingBase, user.base_id)
            if raw not in (None, "") and parse_id(raw) != own.id:
                abort(403)
            return own
        if raw in (None, ""):
            return None
        number = parse_id(raw)
        base = db.session.get(TrainingBase, number) if number else None
        if base is None:
            abort(404)
        return base

    def _base_options(self):
        if current_user.role == Role.BASE_STAFF:
            return []
        return list(db.session.scalars(select(TrainingBase).where(TrainingBase.trains_residency)
                                       .order_by(TrainingBase.name)))



class ScoresView(BatchBaseMixin, RoleAccessMixin, BaseView):
    """Choose a residency batch; download the template, upload scores, see the report and the list."""

    # --- the page -----------------------------------------------------------------------------------
    def _page(self, batch, base, batches, report: ImportReport | None = None, errors=None, status=200):
        page = parse_id(request.args.get("page")) or 1
        page = page if page <= MAX_PAGE else 1
        rows, total = [], 0
        if batch is not None:
            stmt = scored_applications_query(batch, current_user, base)
            total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
            rows = list(db.session.scalars(
                stmt.options(db.joinedload(Application.trainee), db.joinedload(Application.base),
                             db.selectinload(Application.choices).joinedload(ApplicationChoice.specialty))
                .order_by(Application.combined_score.desc().nulls_last(), Application.id)
                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique())
        pages = max(1, -(-total // PAGE_SIZE))
        html = self.render(
            "admin/scores.html", batches=batches, batch=batch, base=base, bases=self._base_options(),
            is_base_staff=current_user.role == Role.BASE_STAFF,
            items=[item for item in batch.skill_items] if batch else [],
            list_items=item_sets(batch, base).columns if batch and base else
            [item.name for item in batch.skill_items] if batch else [],
            formula=formula_text(batch.theory_weight, batch.skills_weight) if batch else "",
            report=report, errors=errors or {}, rows=rows, total=total, page=page, pages=pages,
            score_text=score_text, choice_name=choice_name,
            status_label=lambda a: Status.label_for(a.status, a.batch.program if a.batch else None),
            column_labels=[str(label) for _key, label in FIXED_COLUMNS])
        return html, status

    @expose("/")
    def index(self):
        batches = residency_batches()
        batch = self._batch(request.args.get("batch"), batches)
        return self._page(batch, self._base(request.args.get("base")), batches)

    @expose("/template/")
    def template(self):
        batches = residency_batches()
        batch = self._batch(request.args.get("batch"), batches)
        base = self._base(request.args.get("base"))
        if batch is None:
            abort(404)
        if base is None:
            flash(_("Please choose a training base first."), "error")
            return redirect(self.get_url(".index", batch=batch.id))
        if not may_manage_base(current_user, base):
            abort(403)
        if not item_sets(batch, base).columns:
            flash(_("This batch has no skills exam items yet; the province administrator sets them in the batch's "
                    "exam settings."), "error")
            return redirect(self.get_url(".index", batch=batch.id, base=base.id))
        stream = build_template(batch, base, current_user)
        # full ID numbers: the import checks each row's number against the trainee's
        record_access(AccessAction.EXPORT_FULL, "application", query=f"batch={batch.id}&base={base.id}",
                      reason=_("Score template: the import checks each row's ID number"))
        filename = template_filename(batch, base)
        response = send_file(stream, mimetype=XLSX_MIME, as_attachment=True, download_name="scores.xlsx")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=scores.xlsx; filename*=UTF-8''{quote(filename)}")
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/import/", methods=("POST",))
    def upload(self):
        batches = residency_batches()
        batch = self._batch(request.form.get("batch"), batches)
        if batch is None:
            abort(404)
        base = self._base(request.form.get("base"))
        if base is None:
            return self._page(batch, None, batches, errors={"base": _("Please choose a training base first.")})
        if not may_manage_base(current_user, base):
            abort(403)
        upload = request.files.get("file")
        try:
            data = read_upload(upload.stream if upload else None, upload.filename if upload else None)
            if len(data) > int(current_app.config.get("IMPORT_JOB_BYTES", 512 * 1024)):
                return self._import_as_job(data, upload.filename, batch, base, batches)
            report = import_scores(data, batch, base, current_user._get_current_object())
            db.session.commit()
        except ScoreFileError as error:
            db.session.rollback()
            return self._page(batch, base, batches, errors={"file": str(error)})
        except StaleDataError:
            db.session.rollback()
            return self._page(batch, base, batches, errors={"file": _(
                "Someone else changed some of these applications meanwhile; nothing was imported. Please upload "
                "the file again.")})
        return self._page(batch, base, batches, report=report)

    def _import_as_job(self, data: bytes, filename: str, batch, base, batches):
        """A big file: its import runs as a job; the user follows it on the job page."""
        try:
            job_id = start_score_import(data, safe_file_part(filename or "")[:100], batch, base,
                                        current_user._get_current_object())
        except (jobs.QueueUnavailable, StoreUnavailable):
            return self._page(batch, base, batches, errors={"file": _(
                "The task queue is unavailable; please try again later.")}, status=503)
        return redirect(url_for("jobs.detail", job_id=job_id))
