"""Filing professional master's students from an Excel workbook (专硕备案导入).

All or nothing: every row is checked by the same rules as a single filing (``check_filing``), and
the students are filed only when no row is refused. Otherwise nothing is filed and each refused
row is listed with its Excel row number and the reason, so the university fixes the file and
imports it again. A malformed file (not .xlsx, damaged, a column missing, too many rows) is
refused as a whole (``WorkbookError``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import select

from app.domain.filing import FilingError, check_filing, ensure_open, load_context
from app.extensions import db
from app.infra.xlsx import (
    cell_text,
    decode_ooxml,
    find_columns,
    header_key,
    read_upload,
    sheet_rows,
    workbook_stream,
    write_header,
    write_instructions,
)
from models import MasterFiling, Specialty, TrainingBase
from models.clock import now

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_DATA_ROWS = 2000
COLUMNS = (
    ("name", (_l("Full name"), _l("Student name"), _l("Name"))),
    ("id_number", (_l("Resident ID number"), _l("ID number"))),
    ("major", (_l("Major"),)),
    ("enrolment_year", (_l("Enrolment year"),)),
    ("base", (_l("Training base"),)),
    ("specialty", (_l("Residency specialty base"), _l("Residency specialty"))),
)


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str


@dataclass
class ImportResult:
    filed: int = 0
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def build_template() -> object:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Students")
    write_header(sheet, [str(texts[0]) for _key, texts in COLUMNS], (12, 22, 12, 10, 28, 16))
    write_instructions(workbook, _("Instructions"), [
        _("Professional master's filing"),
        _("One student per row. Major: 临床医学 or 口腔医学 (traditional Chinese medicine majors are not filed)."),
        _("Training base and specialty: their names as listed on the platform."),
        _("If any row is refused, nothing is filed: correct the rows listed and import the whole file again."),
    ])
    return workbook_stream(workbook)


def _by_name(model) -> dict[str, object]:
    return {header_key(row.name): row for row in db.session.scalars(select(model))}


def _row_fields(row: tuple, columns: dict[str, int]) -> dict[str, str]:
    def text(key):
        index = columns[key]
        return decode_ooxml(cell_text(row[index])) if index < len(row) else ""
    return {key: text(key) for key in columns}


def _check_rows(context, rows, columns) -> tuple[list, list[RowProblem]]:
    bases, specialties = _by_name(TrainingBase), _by_name(Specialty)
    accepted, problems, seen = [], [], {}
    for number, row in enumerate(rows, start=2):
        fields = _row_fields(row, columns)
        if not any(fields.values()):
            continue
        base, specialty = bases.get(header_key(fields["base"])), specialties.get(header_key(fields["specialty"]))
        try:
            if fields["base"] and base is None:
                raise FilingError(_("No training base is named %(name)s.", name=fields["base"][:30]))
            if fields["specialty"] and specialty is None:
                raise FilingError(_("No specialty is named %(name)s.", name=fields["specialty"][:30]))
            values = check_filing(context, fields, base, specialty)
            if values["id_number"] in seen:
                raise FilingError(_("The same ID number is on row %(row)s.", row=seen[values["id_number"]]))
        except FilingError as error:
            problems.append(RowProblem(number, str(error)))
            continue
        seen[values["id_number"]] = number
        accepted.append({**values, "base_id": base.id, "specialty_id": specialty.id})
    return accepted, problems


def import_filings(actor, year: int, stream, filename: str | None) -> ImportResult:
    """Check the workbook and file its students when every row passes (the caller commits)."""
    context = load_context(actor.university, year)
    today = now().date()
    win = ensure_open(context, today)
    rows = sheet_rows(read_upload(stream, filename, MAX_FILE_BYTES, MAX_UNPACKED_BYTES), MAX_DATA_ROWS,
                      formulas=True)
    if not rows:
        raise FilingError(_("The file is empty."))
    columns = find_columns(rows[0], [(key, texts, True) for key, texts in COLUMNS])
    accepted, problems = _check_rows(context, rows[1:], columns)
    result = ImportResult(rows=len(accepted) + len(problems), problems=problems)
    if problems or not accepted:
        return result
    late = win.is_late(today)
    for values in accepted:
        db.session.add(MasterFiling(year=year, university_id=context.university.id, late=late,
                                    filed_by_id=actor.id, **values))
    db.session.flush()
    result.filed = len(accepted)
    return result
