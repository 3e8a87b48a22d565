"""The residency admission page (住培录取): dry run, export, and publication of a batch's results."""
from __future__ import annotations

import tempfile
from datetime import date
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy import or_, select

from app.domain.admission import (
    AdmissionError,
    Plan,
    candidate_count,
    format_score,
    plan,
    province_bases,
    publication_problem,
    publication_refusal,
    publish,
    record_publication_reason,
)
from app.domain.admission.bases import base_states, deadline_text, set_base_admission
from app.domain.admission.publish_job import start_publication
from app.domain.privacy import mask_id_number
from app.extensions import db
from app.infra import jobs
from app.i18n import cn_datetime
from app.infra.sql import contains, starts_with
from app.infra.access_log import record_access
from app.infra.audit import set_actor
from app.infra.xlsx import safe_row
from models import AccessAction, Application, ApplicationChoice, Batch, Role, Specialty, Trainee, TrainingBase
from models.clock import now
from models.enums import Program
from views.admin.base import RoleAccessMixin, without_nul
from views.helpers import parse_id


def parse_day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None

PAGE_SIZE = 50
MAX_TERM = 50


def residency_batches() -> list[Batch]:
    return list(db.session.scalars(select(Batch).where(Batch.program == Program.RESIDENCY)
                                   .order_by(Batch.year.desc(), Batch.id.desc())))


def search_ids(batch: Batch, term: str) -> set[int]:
    """Applications of ``batch`` whose trainee's name contains ``term`` or whose ID number is (or,
    from 6 characters, starts with) ``term``."""
    condition = or_(contains(Trainee.name, term), Trainee.id_number == term.upper())
    if len(term) >= 6:  # the start of an ID number
        condition = or_(condition, starts_with(Trainee.id_number, term.upper()))
    return set(db.session.scalars(
        select(Application.id).join(Trainee, Trainee.id == Application.trainee_id)
        .where(Application.batch_id == batch.id, condition)))


def row_details(ids: list[int]) -> dict[int, dict]:
    """Name, ID number, base, choices and scores of the listed applications (two queries)."""
    if not ids:
        return {}
    details = {}
    for row in db.session.execute(
            select(Application.id, Trainee.name, Trainee.id_number, TrainingBase.name.label("base_name"),
                   Application.combined_score, Application.theory_score, Application.skills_score,
                   Application.submitted_at)
            .join(Trainee, Trainee.id == Application.trainee_id)
            .outerjoin(TrainingBase, TrainingBase.id == Application.base_id)
            .where(Application.id.in_(ids))):
        details[row.id] = {"name": row.name, "id_number": row.id_number, "base": row.base_name or "",
                           "combined": format_score(row.combined_score), "theory": format_score(row.theory_score),
                           "skills": format_score(row.skills_score), "submitted_at": cn_datetime(row.submitted_at),
                           "choices": {}}
    for application_id, rank, name in db.session.execute(
            select(ApplicationChoice.application_id, ApplicationChoice.rank, Specialty.name)
            .join(Specialty, Specialty.id == ApplicationChoice.specialty_id)
            .where(ApplicationChoice.application_id.in_(ids))):
        if application_id in details:
            details[application_id]["choices"][rank] = name
    return details


class AdmissionView(RoleAccessMixin, BaseView):
    """Pick a residency batch, check the dry run, export it, publish it once."""

    read_roles = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
    publish_roles = (Role.PROVINCE_ADMIN,)  # the admit / not_admit edges of app.domain.workflow

    def _batch(self, raw) -> tuple[Batch | None, str | None]:
        """The chosen residency batch, or an error for the batch field."""
        if raw in (None, ""):
            return None, None
        number = parse_id(raw)
        batch = db.session.get(Batch, number) if number else None
        if batch is None or batch.program != Program.RESIDENCY:
            return None, _("Please choose a resident standardized training batch.")
        return batch, None

    def can_publish(self) -> bool:
        return current_user.is_authenticated and current_user.role in self.publish_roles

    def _batches(self) -> list[Batch]:
        return residency_batches()

    def _plan(self, batch) -> Plan | None:
        """The plan shown (and exported): the province's run over every base not publishing its own."""
        return plan(batch)

    def _extra(self, batch, form: dict | None) -> dict:
        """The per-base state table and the switch of admission by the bases (the province's page)."""
        if batch is None:
            return {}
        return {"base_states": base_states(batch), "base_form": form or {
                    "enabled": batch.base_admission_enabled,
                    "deadline": batch.phase_one_deadline.isoformat() if batch.phase_one_deadline else ""},
                "can_set_bases": self.can_publish(), "deadline": deadline_text(batch)}

    def _page(self, batch, batch_error=None, publish_error=None, status=200, form=None):
        term = without_nul((request.args.get("q") or "").strip())[:MAX_TERM]
        page = parse_id(request.args.get("page")) or 1
        context = {"batches": self._batches(), "batch": batch, "raw_batch": request.args.get("batch_id", ""),
                   "batch_error": batch_error, "publish_error": publish_error, "term": term,
                   "can_publish": self.can_publish(), "cn_datetime": cn_datetime, **self._extra(batch, form)}
        result = self._plan(batch) if batch is not None else None
        if result is not None:
            ids = result.order
            if term:
                matches = search_ids(batch, term)
                ids = [i for i in ids if i in matches]
            pages = max((len(ids) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
            page = min(page, pages)
            shown = ids[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
            context.update(plan=result, rows=self._rows(result, shown), page=page, pages=pages, matched=len(ids),
                           fingerprint=result.fingerprint())
        return self.render("admin/admission.html", **context), status

    @staticmethod
    def _rows(result: Plan, ids: list[int]) -> list[dict]:
        details = row_details(ids)
        rows = []
        for application_id in ids:
            outcome = result.outcomes[application_id]
            rows.append({"id": application_id, "position": outcome.position, "admitted": outcome.admitted,
                         "choice_rank": outcome.choice_rank, "note": result.notes.get(application_id, ""),
                         **details.get(application_id, {"name": "", "id_number": "", "base": "", "combined": "",
                                                        "theory": "", "skills": "", "submitted_at": "",
                                                        "choices": {}})})
        return rows

    def _chosen_batch(self, raw):
        """The batch a publishing action names, for a user who may publish (else 403): (batch, None),
        or (None, the page asking for a batch, answered 400)."""
        if not self.can_publish():
            abort(403)
        batch, error = self._batch(raw)
        if batch is None:
            return None, self._page(None, batch_error=error or _("Please choose a resident standardized training batch."),
                                    status=400)
        return batch, None

    @expose("/")
    def index(self):
        batch, error = self._batch(request.args.get("batch_id"))
        return self._page(batch, batch_error=error)

    @expose("/export/")
    def export(self):
        batch, error = self._batch(request.args.get("batch_id"))
        if batch is None:
            return self._page(None, batch_error=error or _("Please choose a resident standardized training batch."))
        result = self._plan(batch)
        if result is None:
            return self._page(batch, publish_error=_("Please run the dry run first."), status=409)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Admission dry run")[:31])
        sheet.append(safe_row(sheet, [_("Ranking"), _("No."), _("Trainee name"), _("ID number"), _("Training base"),
                      _("First choice"), _("Second choice"), _("Combined score"), _("Theory score"),
                      _("Skills score"), _("Result"), _("Explanation")]))
        chunk = 2000
        for start in range(0, len(result.order), chunk):
            ids = result.order[start:start + chunk]
            details = row_details(ids)
            for application_id in ids:
                outcome = result.outcomes[application_id]
                row = details.get(application_id, {})
                choices = row.get("choices", {})
                sheet.append(safe_row(sheet, [outcome.position or "", application_id, row.get("name", ""),
                                          mask_id_number(row.get("id_number", "")),
                                          row.get("base", ""), choices.get(1, ""), choices.get(2, ""),
                                          row.get("combined", ""), row.get("theory", ""), row.get("skills", ""),
                                          _("Admitted") if outcome.admitted else _("Not admitted"),
                                          result.notes.get(application_id, "")]))
        summary = workbook.create_sheet(_("Quotas")[:31])
        summary.append(safe_row(summary, [_("Training base"), _("Specialty"), _("Quota"), _("Taken earlier"), _("Admitted"),
                        _("Lowest admitted score")]))
        for line in result.seat_lines:
            summary.append(safe_row(summary, [line.base_name, line.specialty_name, line.capacity, line.taken, line.admitted,
                            line.lowest_text]))
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        workbook.save(spool)
        spool.seek(0)
        stem = _("Admission results") if result.published else _("Admission dry run")
        filename = f"{stem}_{batch.name}_{now():%Y%m%d%H%M}.xlsx"
        response = send_file(spool, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             as_attachment=True, download_name=filename)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=admission.xlsx; filename*=UTF-8''{quote(filename)}")
        record_access(AccessAction.EXPORT, "application", query=self._export_query(batch), rows=len(result.order))
        return response

    def _export_query(self, batch) -> str:
        return f"batch={batch.id}"

    @expose("/bases/", methods=("POST",))
    def bases_settings(self):
        """The province opens or closes admission by the bases for a batch, until the first-phase deadline."""
        batch, refused = self._chosen_batch(request.form.get("batch_id"))
        if refused:
            return refused
        raw_day = without_nul(request.form.get("deadline") or "").strip()[:20]
        form = {"enabled": request.form.get("enabled") == "1", "deadline": raw_day}
        day = parse_day(raw_day)
        if raw_day and day is None:
            return self._page(batch, publish_error=_("Please enter a valid date."), status=400, form=form)
        actor = current_user._get_current_object()
        refusal = set_base_admission(batch, form["enabled"], day, actor)
        if refusal:
            db.session.rollback()
            return self._page(batch, publish_error=refusal, status=409, form=form)
        set_actor(actor)
        db.session.commit()
        flash(_("Admission by the training bases is open until %(date)s.", date=deadline_text(batch))
              if batch.base_admission_enabled else _("Admission by the training bases is closed."), "success")
        return redirect(self.get_url(".index", batch_id=batch.id))

    def _confirm_page(self, batch, result, fingerprint, refusal=None, reason="", status=200):
        """The publication's confirmation, with why it would be refused now and the reason box."""
        return self.render("admin/admission_confirm.html", batch=batch, plan=result, fingerprint=fingerprint,
                           refusal=refusal or publication_refusal(batch, None), refused=bool(refusal),
                           reason=reason), status

    @expose("/publish/", methods=("GET", "POST"))
    def publish_view(self):
        batch, refused = self._chosen_batch(request.values.get("batch_id"))
        if refused:
            return refused
        if request.method == "GET":
            result = plan(batch)
            if result.published:
                return redirect(self.get_url(".index", batch_id=batch.id))
            return self._confirm_page(batch, result, result.fingerprint())
        expected = (request.form.get("fingerprint") or "")[:64]
        reason = request.form.get("reason") or ""
        refusal = publication_refusal(batch, reason)
        if refusal:
            return self._confirm_page(batch, plan(batch), expected, refusal=refusal, reason=reason, status=409)
        actor = current_user._get_current_object()
        count = candidate_count(batch, province_bases(batch))  # the bases that published their own are skipped
        if count > int(current_app.config.get("PUBLISH_JOB_APPLICANTS", 2000)):
            return self._publish_as_job(batch, expected, count, reason)
        if reason.strip():
            record_publication_reason(batch, actor, reason)
        try:
            result = publish(batch, actor, expected=expected)
        except AdmissionError as exc:
            return self._page(db.session.get(Batch, batch.id), publish_error=str(exc), status=409)
        flash(_("The admission results were published: %(admitted)s admitted, %(not_admitted)s not admitted.",
                admitted=result.admitted, not_admitted=result.candidates - result.admitted), "success")
        return redirect(self.get_url(".index", batch_id=batch.id))

    def _publish_as_job(self, batch, expected: str, count: int, reason: str):
        """A big batch: publication's own checks now, the publication itself as a job (which audits the
        province's reason for publishing early in its own transaction)."""
        actor = current_user._get_current_object()
        problem = publication_problem(batch, actor, expected)
        if problem:
            return self._page(batch, publish_error=problem, status=409)
        try:
            job_id = start_publication(batch, actor, expected, count, reason)
        except jobs.QueueUnavailable:
            return self._page(batch, publish_error=_("The task queue is unavailable; please try again later."),
                              status=503)
        return redirect(url_for("jobs.detail", job_id=job_id))
