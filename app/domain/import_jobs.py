"""Unit-directory imports over ``IMPORT_JOB_BYTES`` run as a job (``unit_import``): the upload is
checked and kept in the file store (``job-input-…``), the worker imports it in one transaction
(``app.domain.institutions.import_units``: all rows that pass, or nothing for a refused file) and
writes every refused row with its reason into the result file."""
from __future__ import annotations

import io
import secrets

from flask_babel import gettext as _
from openpyxl import Workbook

from app.domain.institutions import MAX_FILE_BYTES, import_units
from app.domain.jobs import same_scope
from app.extensions import db
from app.infra import jobs
from app.infra.audit import acting_as
from app.infra.filestore import store
from app.infra.xlsx import XLSX_MIME, WorkbookError, safe_row
from models import Account

UNIT_IMPORT = "unit_import"


def start_unit_import(data: bytes, filename: str, actor) -> int:
    """Keep the checked upload and queue its import; the job's id (``QueueUnavailable``: nothing kept)."""
    name = f"{jobs.INPUT_PREFIX}{secrets.token_hex(12)}.xlsx"
    store().save(name, io.BytesIO(data), XLSX_MIME)
    title = _("Import unit directory: %(file)s", file=filename)
    try:
        return jobs.submit(UNIT_IMPORT, actor, title, {"input": name, "filename": filename})
    except jobs.QueueUnavailable:
        store().delete(name)
        raise


def _problems_file(report) -> str:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Results"))
    sheet.append(safe_row(sheet, [_("Row"), _("Column"), _("Problem")]))
    for problem in report.problems:
        sheet.append(safe_row(sheet, [problem.row, problem.column, problem.message]))
    for unit in report.updated:
        sheet.append(safe_row(sheet, [unit.row, "", _("Updated: %(changes)s", changes="；".join(unit.changes))]))
    path = jobs.temporary_path(".xlsx")
    workbook.save(path)
    return path


def run_unit_import(job, progress) -> jobs.JobOutput:
    params = job.parameters
    actor = db.session.get(Account, job.account_id)
    if actor is None or not actor.is_active or not same_scope(actor, job):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    name = str(params.get("input", ""))
    try:
        with store().open(name) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise jobs.JobError(_("The uploaded file is no longer kept; please upload it again.")) from None
    try:
        with acting_as(actor):
            report = import_units(data, str(params.get("filename", "")), actor)
            db.session.commit()
    except WorkbookError as error:
        db.session.rollback()
        store().delete(name)
        raise jobs.JobError(str(error)) from error
    store().delete(name)
    progress(1, 1)
    summary = _("%(added)s added, %(updated)s updated, %(unchanged)s unchanged, %(refused)s rows refused.",
                added=report.added, updated=len(report.updated), unchanged=report.unchanged, refused=report.refused)
    return jobs.JobOutput(_problems_file(report), _("Unit directory import results.xlsx"), summary)


jobs.register(UNIT_IMPORT, run_unit_import)
