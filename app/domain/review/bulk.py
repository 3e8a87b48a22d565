"""Review actions over a whole filtered list (全部 N 条符合条件的报名), run as a job (``bulk_review``).

The view re-checks the count the reviewer confirmed and queues the ids it found (in the job's
parameters, never in a URL). The worker works ``CHUNK`` applications at a time: one
``transition_many`` for the chunk; if it refuses (one application changed state, or is outside the
reviewer's scope now), each application of the chunk is tried on its own in a savepoint. Each
chunk's changes, its per-row results and the progress are committed together, so an application is
changed only with a recorded result; a job run again (after its worker was killed) resumes after
the rows already recorded. The result file lists every row: applied, or refused with the reason.
"""
from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from app.domain.access import scope
from app.domain.jobs import same_scope
from app.domain.review.claims import approval_refusals
from app.domain.workflow import TransitionError, action_label, transition_many
from app.extensions import db
from app.infra import jobs
from app.infra.xlsx import safe_row
from models import Account, Application

KIND = "bulk_review"
CHUNK = 500


def start_bulk(actor, action: str, reason: str | None, ids: list[int], description: str) -> int:
    """Queue ``action`` on ``ids`` (found by the list's filter) as ``actor``; the job's id."""
    title = _("%(action)s: all %(count)s matching applications%(filter)s", action=action_label(action),
              count=len(ids), filter=f"（{description}）" if description else "")
    return jobs.submit(KIND, actor, title, {"action": action, "reason": reason or "", "ids": ids}, total=len(ids))


def _one_by_one(applications, action, actor, reason) -> list[dict]:
    rows = []
    for application in applications:
        try:
            with db.session.begin_nested():
                transition_many({action: [application]}, actor, reasons={application.id: reason} if reason else None)
            rows.append({"id": application.id, "applied": True, "message": ""})
        except TransitionError as error:
            rows.append({"id": application.id, "applied": False, "message": str(error)})
    return rows


def apply_chunk(ids: list[int], action: str, actor, reason: str | None) -> list[dict]:
    """Apply ``action`` to the chunk (the caller commits); one result per id."""
    found = {a.id: a for a in db.session.scalars(scope(
        select(Application).where(Application.id.in_(ids)), Application, actor)
        .options(db.joinedload(Application.batch), db.selectinload(Application.exemptions)))}
    rows = [{"id": number, "applied": False, "message": _("This application does not exist or is outside your scope.")}
            for number in ids if number not in found]
    # an approval never decides the exemption claims silently: undecided claims refuse the row
    refusals = approval_refusals(found.values(), actor) if action.endswith("_approve") else {}
    rows += [{"id": number, "applied": False, "message": refusals[number]} for number in ids if number in refusals]
    applications = [found[number] for number in ids if number in found and number not in refusals]
    if not applications:
        return rows
    try:
        with db.session.begin_nested():
            transition_many({action: applications}, actor,
                            reasons={a.id: reason for a in applications} if reason else None)
        return rows + [{"id": a.id, "applied": True, "message": ""} for a in applications]
    except TransitionError:
        return rows + _one_by_one(applications, action, actor, reason)


def _result_file(job_id: int, rows: list[dict]) -> str:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Results"))
    sheet.append(safe_row(sheet, [_("Application No."), _("Result"), _("Reason")]))
    for row in rows:
        sheet.append(safe_row(sheet, [row["id"], _("Applied") if row["applied"] else _("Not applied"),
                                      row["message"]]))
    path = jobs.temporary_path(".xlsx")
    workbook.save(path)
    return path


def run_bulk(job, progress) -> jobs.JobOutput:
    params = job.parameters
    actor = db.session.get(Account, job.account_id)
    if actor is None or not actor.is_active or not same_scope(actor, job):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    action, reason = str(params.get("action", "")), (params.get("reason") or None)
    ids = [number for number in params.get("ids", []) if isinstance(number, int)]
    done = {row["id"] for row in jobs.recorded_rows(job.id)}
    todo = [number for number in ids if number not in done]
    for start in range(0, len(todo), CHUNK):
        rows = apply_chunk(todo[start:start + CHUNK], action, actor, reason)
        jobs.record_rows(job.id, rows)
        progress(len(done) + start + len(rows), len(ids))  # commits the chunk with its results
    rows = jobs.recorded_rows(job.id)
    applied = sum(1 for row in rows if row["applied"])
    return jobs.JobOutput(_result_file(job.id, rows), _("%(action)s results.xlsx", action=action_label(action)),
                          _("%(applied)s applied, %(refused)s not applied.", applied=applied,
                            refused=len(rows) - applied))


jobs.register(KIND, run_bulk)
