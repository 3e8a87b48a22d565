"""Exports of a back-office list: the workbook (column widths, frozen header, autofilter, real date
cells) streamed by the request for a small list (its first bytes before the first row is read:
``app.infra.xlsx_stream``), or written by a job (``export``) for one over ``EXPORT_JOB_ROWS`` rows,
which the user follows on the job page.

The job runs the list view's own export in the worker: a request context with the list's query
string and the requester signed in, so the scope, filters, sort and masking are exactly those of the
list (and of a full-value export when the requester gave a reason). Both read the list's ids first
and then the rows in chunks of ``CHUNK`` (``export_values`` of the view); the job reports progress
after each one.
"""
from __future__ import annotations

import re
from array import array
from datetime import date, datetime
from typing import Iterator

from flask import current_app, flash, g, redirect, request, url_for
from flask_admin.tools import rec_getattr
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Integer

from app.domain.jobs import same_scope
from app.extensions import db
from app.infra import jobs
from app.infra.access_log import record_access
from app.infra.xlsx_stream import stream_xlsx
from models import AccessAction, Account

KIND = "export"
CHUNK = 1000
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 8, 40


def cell_value(view, model, name: str):
    """The value written for column ``name``: a real date for a plain date column, else the list's text."""
    if not view.is_pii(name) and name not in view.column_formatters_export and name not in view.column_formatters:
        raw = rec_getattr(model, name)
        if isinstance(raw, (date, datetime)):
            return raw
    value = view.get_export_value(model, name)
    if isinstance(value, Markup):
        value = value.striptags()
    return "" if value is None else value if isinstance(value, (int, float)) else str(value)


def export_row(view, model, columns) -> list:
    return [cell_value(view, model, name) for name, _label in columns]


def column_width(view, name: str, label: str) -> float:
    wanted = getattr(view, "export_widths", {}).get(name)
    if wanted:
        return wanted
    return max(MIN_WIDTH, min(MAX_WIDTH, len(str(label)) * 2 + 4))


def sheet_name(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", title).strip("'")[:31] or "Sheet1"


def id_chunks(view, progress=None) -> Iterator[list]:
    """The ids of the filtered, sorted, scoped list in its order (one statement of ids only), ``CHUNK``
    at a time; ``progress`` (the job's) after each chunk is written. No cursor stays open between
    chunks, so the job may commit its progress."""
    pk = view.model.__mapper__.primary_key[0]
    found = db.session.connection().execute(view.export_list_query().with_entities(pk).statement).scalars()
    # whole-number ids kept as 8 bytes each, not as Python objects: 1 MB for 140,000 rows
    ids = array("q", found) if isinstance(pk.type, Integer) else list(found)
    if progress is not None:
        progress(0, len(ids))
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        yield chunk
        if progress is not None:
            progress(start + len(chunk), len(ids))


def model_values(view, ids: list) -> list[list]:
    """The rows ``ids`` as the list's records, each column's value as the list formats it (the export of
    most views): the records in one query, then what the export-only columns need for the whole chunk
    (``export_prefetch``, a fixed number of queries)."""
    pk = view.model.__mapper__.primary_key[0]
    models = {getattr(model, pk.key): model for model in view.export_query(view.get_query().filter(pk.in_(ids)))}
    ordered = [models[number] for number in ids if number in models]
    if ordered:
        view.export_prefetch(ordered)
    columns = view._export_columns
    return [export_row(view, model, columns) for model in ordered]


def export_rows(view, progress=None, counter: list | None = None) -> Iterator[list]:
    """Each row's values, chunk by chunk (``view.export_values`` of each chunk of ids)."""
    for ids in id_chunks(view, progress):
        values = view.export_values(ids)
        if counter is not None:
            counter[0] += len(values)
        yield from values


def workbook(view, rows) -> Iterator[bytes]:
    """The export as it is written: widths, a frozen bold header, real date cells, an autofilter."""
    columns = view._export_columns
    return stream_xlsx(sheet_name(view.export_title()), [str(label) for _name, label in columns],
                       [column_width(view, name, label) for name, label in columns], rows)


# --- over the threshold: a job --------------------------------------------------------------------

def start_export_job(view, count: int):
    """Queue the export of the current list as a job; the user goes to its page."""
    full = bool(g.get("pii_full_export"))
    title = _("Export: %(name)s (%(count)s rows)", name=view.export_title(), count=count)
    params = {"endpoint": view.endpoint, "path": url_for(f"{view.endpoint}.index_view"),
              "query": request.query_string.decode("utf-8", "replace"),  # the list's filters, sort and search
              "full": full, "filename": view.get_export_name("xlsx")}
    try:
        job_id = jobs.submit(KIND, current_user._get_current_object(), title, params, total=count)
    except jobs.QueueUnavailable:
        flash(_("The task queue is unavailable, so the export was not started. Please try again later."), "error")
        return redirect(url_for(f"{view.endpoint}.index_view", **request.args.to_dict(flat=False)))
    if not full and view.reads_personal_data:
        record_access(AccessAction.EXPORT, view.record_type, query=view.export_filters(), rows=count)
    flash(_("The list has %(count)s rows: the export runs in the background. This page shows its progress.",
            count=count), "info")
    return redirect(url_for("jobs.detail", job_id=job_id))


def _view_of(endpoint: str):
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    return None


def run_export(job, progress) -> jobs.JobOutput:
    """The worker's side: the list's export as the requester, with the list's query string."""
    params = job.parameters
    view = _view_of(str(params.get("endpoint", "")))
    account = db.session.get(Account, job.account_id)
    if view is None or not getattr(view, "can_export", False):
        raise jobs.JobError(_("This list can no longer be exported."))
    if account is None or not account.is_active or not same_scope(account, job):
        raise jobs.JobError(_("Your role or area has changed since you started this task; it was not run."))
    with current_app.test_request_context(str(params.get("path", "/")), query_string=str(params.get("query", ""))):
        g._login_user = account
        g.pii_full_export = bool(params.get("full"))
        counter = [0]
        path = jobs.temporary_path(".xlsx")
        with open(path, "wb") as target:
            for piece in workbook(view, export_rows(view, progress, counter)):
                target.write(piece)
    return jobs.JobOutput(path, str(params.get("filename") or "export.xlsx"),
                          _("%(count)s rows exported.", count=counter[0]))


jobs.register(KIND, run_export)
