"""Whose jobs are whose: a user sees their own jobs only, and downloads a result only while their
account still has the role and scope (region, base) it had when they asked."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from models import Job, JobState
from models.clock import now

LIST_LIMIT = 50


def own_jobs(user, limit: int = LIST_LIMIT) -> list[Job]:
    """The user's latest jobs, newest first (one query)."""
    return list(db.session.scalars(select(Job).where(Job.account_id == user.id)
                                   .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


def own_job(user, job_id: int) -> Job | None:
    """The job ``job_id`` if ``user`` asked for it; ``None`` for anybody else's or a forged id."""
    return db.session.scalar(select(Job).where(Job.id == job_id, Job.account_id == user.id))


def same_scope(user, job: Job) -> bool:
    return (user.role, user.region_id, user.base_id) == (job.role, job.region_id, job.base_id)


def download_refusal(user, job: Job | None) -> str | None:
    """Why ``user`` may not download the result of ``job`` (a Chinese sentence), or ``None``."""
    if job is None:
        return _("This task does not exist or is not yours.")
    if not same_scope(user, job):
        return _("Your role or area has changed since you started this task; its result is no longer yours to "
                 "download. Please run it again.")
    if job.state != JobState.DONE:
        return _("This task has no result to download yet.")
    if job.result_name is None or (job.expires_at is not None and job.expires_at <= now()):
        return _("This result has expired and was deleted. Please run the task again.")
    return None
