"""Imports over ``IMPORT_JOB_BYTES`` run as jobs: the unit directory (``unit_import``), a base's
exam scores (``score_import``) and a batch's quotas (``quota_import``, all or nothing). The upload is checked and kept in the file store (``job-input-…``);
the worker imports it in one transaction, as the page would (``app.domain.institutions.import_units``,
``app.domain.scores.import_scores``: the rows that pass, or nothing for a refused file), and writes
every row's result with its reason into the result file."""
from __future__ import annotations

import io
import secrets

from flask_babel import gettext as _
from openpyxl import Workbook

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.domain.institutions import MAX_FILE_BYTES, import_units
from app.domain.jobs import same_scope
from app.domain.quota_import import MAX_FILE_BYTES as MAX_QUOTA_FILE_BYTES
from app.domain.quota_import import import_quotas
from app.domain.quotas import may_edit_quotas
from app.domain.scores import MAX_FILE_BYTES as MAX_SCORE_FILE_BYTES
from app.domain.scores import ScoreFileError, import_scores, may_manage_base
from app.extensions import db
from app.infra import jobs
from app.infra.audit import acting_as
from app.infra.filestore import store
from app.infra.xlsx import XLSX_MIME, WorkbookError, safe_row
from models import Account, Batch, TrainingBase

UNIT_IMPORT = "unit_import"
SCORE_IMPORT = "score_import"
QUOTA_IMPORT = "quota_import"


def _keep_and_submit(kind: str, data: bytes, actor, title: str, params: dict) -> int:
    """Keep the checked upload and queue its import; the job's id (``QueueUnavailable``: nothing kept)."""
    name = f"{jobs.INPUT_PREFIX}{secrets.token_hex(12)}.xlsx"
    store().save(name, io.BytesIO(data), XLSX_MIME)
    try:
        return jobs.submit(kind, actor, title, {**params, "input": name})
    except jobs.QueueUnavailable:
        store().delete(name)
        raise


def _requester(job) -> Account:
    actor = db.session.get(Account, job.account_id)
    if actor is None or not actor.is_active or not same_scope(actor, job):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    return actor


def _kept_input(job, limit: int) -> bytes:
    try:
        with store().open(str(job.parameters.get("input", ""))) as stream:
            return stream.read(limit + 1)
    except FileNotFoundError:
        raise jobs.JobError(_("The uploaded file is no longer kept; please upload it again.")) from None


def start_unit_import(data: bytes, filename: str, actor) -> int:
    return _keep_and_submit(UNIT_IMPORT, data, actor, _("Import unit directory: %(file)s", file=filename),
                            {"filename": filename})


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
    actor = _requester(job)
    name = str(params.get("input", ""))
    data = _kept_input(job, MAX_FILE_BYTES)
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


def start_score_import(data: bytes, filename: str, batch: Batch, base: TrainingBase, actor) -> int:
    title = _("Import exam scores: %(base)s, %(file)s", base=base.name, file=filename)
    return _keep_and_submit(SCORE_IMPORT, data, actor, title,
                            {"filename": filename, "batch_id": batch.id, "base_id": base.id})


def _results_file(header: list, rows) -> str:
    """An import's results as a one-sheet workbook in a temporary file (text cells made formula-safe)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Results"))
    for row in (header, *rows):
        sheet.append(safe_row(sheet, row))
    path = jobs.temporary_path(".xlsx")
    workbook.save(path)
    return path


def _score_results_file(report) -> str:
    outcomes = sorted([(o, True) for o in report.imported] + [(o, False) for o in report.refused],
                      key=lambda pair: pair[0].row)
    return _results_file(
        [_("Excel row"), _("Application No."), _("Trainee name"), _("Result"), _("Why")],
        ([outcome.row, outcome.application_text, outcome.name, _("Row imported") if imported else _("Row refused"),
          "；".join(outcome.reasons)] for outcome, imported in outcomes))


def run_score_import(job, progress) -> jobs.JobOutput:
    params = job.parameters
    actor = _requester(job)
    batch = db.session.get(Batch, int(params.get("batch_id") or 0))
    base = db.session.get(TrainingBase, int(params.get("base_id") or 0))
    if batch is None or base is None or not may_manage_base(actor, base):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    name = str(params.get("input", ""))
    data = _kept_input(job, MAX_SCORE_FILE_BYTES)
    try:
        with acting_as(actor):
            report = import_scores(data, batch, base, actor)
            db.session.commit()
    except ScoreFileError as error:
        db.session.rollback()
        store().delete(name)
        raise jobs.JobError(str(error)) from error
    except StaleDataError:
        db.session.rollback()
        store().delete(name)
        raise jobs.JobError(_("Someone else changed some of these applications meanwhile; nothing was imported. "
                              "Please upload the file again.")) from None
    store().delete(name)  # kept until done: a worker killed meanwhile leaves it for the job's rerun
    progress(1, 1)
    summary = _("Imported: %(imported)s rows; refused: %(refused)s rows; without scores (unchanged): %(skipped)s "
                "rows.", imported=len(report.imported), refused=len(report.refused), skipped=len(report.skipped))
    return jobs.JobOutput(_score_results_file(report), _("Exam score import results.xlsx"), summary)


def start_quota_import(data: bytes, filename: str, batch: Batch, actor) -> int:
    title = _("Import quotas: %(batch)s, %(file)s", batch=batch.name, file=filename)
    return _keep_and_submit(QUOTA_IMPORT, data, actor, title, {"filename": filename, "batch_id": batch.id})


def _quota_results_file(report) -> str:
    rows = [[problem.row, problem.message] for problem in report.problems] or [
        ["", _("Imported: %(rows)s rows; %(changed)s quotas changed.", rows=report.rows, changed=report.changed)]]
    return _results_file([_("Excel row"), _("Problem")], rows)


def run_quota_import(job, progress) -> jobs.JobOutput:
    """All or nothing, as on the page: a refused row leaves every quota as it was."""
    params = job.parameters
    actor = _requester(job)
    batch = db.session.get(Batch, int(params.get("batch_id") or 0))
    if batch is None or not may_edit_quotas(actor):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    name = str(params.get("input", ""))
    data = _kept_input(job, MAX_QUOTA_FILE_BYTES)
    try:
        with acting_as(actor):
            report = import_quotas(data, batch)
            if report.problems:
                db.session.rollback()
            else:
                db.session.commit()
    except WorkbookError as error:
        db.session.rollback()
        store().delete(name)
        raise jobs.JobError(str(error)) from error
    except IntegrityError:  # another administrator added the same quota meanwhile
        db.session.rollback()
        store().delete(name)
        raise jobs.JobError(_("Someone else changed these quotas meanwhile; nothing was saved. Please check the "
                              "grid and save again.")) from None
    store().delete(name)
    progress(1, 1)
    if report.problems:
        summary = _("Nothing was imported: %(refused)s of %(rows)s rows are refused.",
                    refused=len(report.problems), rows=report.rows)
    else:
        summary = _("Imported: %(rows)s rows; %(changed)s quotas changed.", rows=report.rows, changed=report.changed)
    return jobs.JobOutput(_quota_results_file(report), _("Quota import results.xlsx"), summary)


jobs.register(UNIT_IMPORT, run_unit_import)
jobs.register(SCORE_IMPORT, run_score_import)
jobs.register(QUOTA_IMPORT, run_quota_import)
