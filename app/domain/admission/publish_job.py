"""Admission publication as a job (``admission_publish``): the province administrator queues it after
publication's own checks, follows its progress on the job page, and the worker publishes the whole
batch in one transaction (``publish``: any size, all or nothing; a second publication is refused)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.domain.admission.publication import AdmissionError, publish, record_publication_reason
from app.domain.jobs import same_scope
from app.extensions import db
from app.infra import jobs
from models import Account, Batch

KIND = "admission_publish"


def start_publication(batch, actor, expected: str | None, count: int, reason: str = "") -> int:
    """Queue the publication of ``batch``; the job's id (``jobs.QueueUnavailable`` when the queue is down).
    ``reason``: why the province publishes before registration closed or every candidate was scored
    (``publication_refusal`` accepted it); the job audits it with the publication."""
    title = _("Publish admission: %(batch)s (%(count)s applicants)", batch=batch.name, count=count)
    return jobs.submit(KIND, actor, title, {"batch_id": batch.id, "fingerprint": expected,
                                            "reason": (reason or "").strip()}, total=count)


def run_publication(job, progress) -> jobs.JobOutput:
    params = job.parameters
    batch_id = params.get("batch_id")
    batch = db.session.get(Batch, batch_id) if isinstance(batch_id, int) else None
    actor = db.session.get(Account, job.account_id)
    if batch is None:
        raise jobs.JobError(_("This batch no longer exists."))
    if actor is None or not actor.is_active or not same_scope(actor, job):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    reason = str(params.get("reason") or "")
    if reason:
        record_publication_reason(batch, actor, reason)  # in the publication's transaction
    try:
        result = publish(batch, actor, expected=params.get("fingerprint") or None,
                         progress=jobs.side_progress_of(job.id))
    except AdmissionError as error:
        raise jobs.JobError(str(error)) from error
    return jobs.JobOutput(None, "", _("The admission results were published: %(admitted)s admitted, "
                                      "%(not_admitted)s not admitted.", admitted=result.admitted,
                                      not_admitted=result.candidates - result.admitted))


jobs.register(KIND, run_publication)
