"""我的任务: the signed-in user's jobs, a job's page with its progress bar (``job-progress.js`` polls
``status``), the download of its result and a retry of a failed one."""
from __future__ import annotations

from urllib.parse import quote

from flask import flash, jsonify, redirect, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from app.domain.jobs import download_refusal, own_job, own_jobs
from app.errors import error_page
from app.infra import jobs, storage
from models import JobState
from views.admin.base import RoleAccessMixin


def job_status(job) -> dict:
    """What the progress bar shows (the JSON the page polls)."""
    return {"state": job.state, "state_label": JobState.label(job.state), "done": job.done, "total": job.total,
            "percent": job.percent, "summary": job.summary or "", "error": job.error or "",
            "finished": job.state in (JobState.DONE, JobState.FAILED),
            "download_url": url_for(".download", job_id=job.id) if job.state == JobState.DONE and job.result_name
            else ""}


class JobsView(RoleAccessMixin, BaseView):
    """Every staff member sees their own jobs only."""

    def _own(self, job_id: int):
        return own_job(current_user, job_id)

    @expose("/")
    def index(self):
        return self.render("admin/jobs.html", jobs=own_jobs(current_user), state_label=JobState.label)

    @expose("/<int:job_id>/")
    def detail(self, job_id: int):
        job = self._own(job_id)
        if job is None:
            return error_page(404, _("This task does not exist or is not yours."))
        return self.render("admin/job.html", job=job, status=job_status(job))

    @expose("/<int:job_id>/status")
    def status(self, job_id: int):
        job = self._own(job_id)
        if job is None:
            return jsonify({"error": _("This task does not exist or is not yours.")}), 404
        return jsonify(job_status(job))

    @expose("/<int:job_id>/download")
    def download(self, job_id: int):
        job = self._own(job_id)
        refusal = download_refusal(current_user, job)
        if refusal is not None:
            return error_page(404 if job is None else 403, refusal)
        try:
            response = storage.stream_response(job.result_name, jobs.XLSX)
        except NotFound:
            return error_page(404, _("This result has expired and was deleted. Please run the task again."))
        name = job.result_filename or f"task-{job.id}.xlsx"
        response.headers["Content-Disposition"] = (
            f"attachment; filename=task-{job.id}.xlsx; filename*=UTF-8''{quote(name)}")
        return storage.protect_file_response(response)

    @expose("/<int:job_id>/retry", methods=("POST",))
    def retry(self, job_id: int):
        job = self._own(job_id)
        if job is None:
            return error_page(404, _("This task does not exist or is not yours."))
        try:
            if jobs.retry(job.id):
                flash(_("The task was queued again."), "success")
            else:
                flash(_("Only a failed task can be run again."), "error")
        except jobs.QueueUnavailable:
            flash(_("The task queue is unavailable; please try again later."), "error")
        return redirect(url_for(".detail", job_id=job_id))
