"""The quotas of a batch in an Excel workbook (名额导入): the template and the import.

Long format, one row per cell of the grid (``app.domain.quotas``): 基地编号 (the base's number on the
platform), 培训基地, 专业代码, 专业, 名额, and 已占用名额 (for reading; the import ignores it). A base is
found by its number, or by its name when the number is empty; a specialty by its code, or by its name.

All or nothing: every row is checked (unknown base or specialty, a base that does not train the
batch's program, a specialty the batch has no column for, text, negative, decimal or huge numbers,
the same base and specialty twice, fewer places than are taken); when any row is refused nothing is
applied and each refused row is listed with its Excel row number. A row whose 名额 is empty changes
nothing. A malformed file (not .xlsx, damaged, too large, a column missing) is refused as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from app.domain.quotas import MAX_CAPACITY, Cell, Grid, apply_capacities, cell_problem, load_grid, parse_capacity
from app.extensions import db
from app.infra.xlsx import (
    WorkbookError,
    cell_text,
    decode_ooxml,
    find_columns,
    header_key,
    read_upload,
    safe_file_part,
    safe_row,
    sheet_rows,
    workbook_stream,
    write_header,
    write_instructions,
)
from models import Batch, Specialty, TrainingBase

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_DATA_ROWS = 5000
COLUMNS = (
    ("base_no", (_l("Base number"),), False),
    ("base", (_l("Training base"), _l("Base name")), False),
    ("specialty_code", (_l("Specialty code"),), False),
    ("specialty", (_l("Specialty"), _l("Specialty name")), False),
    ("capacity", (_l("Places"), _l("Quota")), True),
)
TAKEN_HEADER = _l("Places taken (not imported)")


@dataclass(frozen=True)
class RowProblem:
    row: int
    message: str


@dataclass
class QuotaImportReport:
    rows: int = 0  # rows with a number of places
    changed: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.problems


def read_quota_upload(stream, filename) -> bytes:
    return read_upload(stream, filename, MAX_FILE_BYTES, MAX_UNPACKED_BYTES)


def template_filename(batch: Batch) -> str:
    return f"{safe_file_part(_('Quotas'))}-{safe_file_part(batch.name)}.xlsx"


def build_template(batch: Batch) -> object:
    """The batch's quotas, one row per cell of the grid, with an instructions sheet."""
    grid = load_grid(batch)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Quotas")[:31]
    headers = [str(texts[0]) for _key, texts, _required in COLUMNS] + [str(TAKEN_HEADER)]
    write_header(sheet, headers, (10, 30, 10, 24, 10, 14), wrap=True)
    count = 0
    for base in grid.bases:
        for specialty in grid.specialties:
            cell = (base.id, specialty.id)
            if grid.editable(cell):
                sheet.append(safe_row(sheet, [base.id, base.name, specialty.code, specialty.name,
                                              grid.capacities.get(cell), grid.taken.get(cell, 0)]))
                count += 1
    for row in range(2, count + 2):
        sheet.cell(row=row, column=3).number_format = "@"
    validation = DataValidation(type="whole", operator="between", formula1="0", formula2=str(MAX_CAPACITY),
                                allow_blank=True, showErrorMessage=True, errorTitle=_("Invalid number of places"),
                                error=_("Enter a whole number from 0 to %(max)s.", max=MAX_CAPACITY))
    validation.add(f"E2:E{max(count + 1, 2)}")
    sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    write_instructions(workbook, _("Instructions"), _instructions(batch))
    return workbook_stream(workbook)


def _instructions(batch: Batch) -> list[str]:
    return [
        _("Quotas of %(batch)s", batch=batch.name),
        _("One row per training base and specialty: the base's number and name, the specialty's code and name, "
          "and its places (名额). The file lists every base that trains this batch's program, with the current "
          "places."),
        _("Places: a whole number from 0 to %(max)s. A row whose places are empty is left unchanged; enter 0 to "
          "remove the places.", max=MAX_CAPACITY),
        _("A base is found by its number, or by its name when the number is empty; a specialty by its code, or "
          "by its name when the code is empty."),
        _("The places cannot be fewer than those already taken (assigned or admitted trainees), shown in the last "
          "column, which the import does not read."),
        _("Each base and specialty appears once. Rows may be deleted; other rows and columns are not changed."),
        _("If any row is refused, nothing is imported: correct the rows listed and import the whole file again."),
    ]


# --- the import --------------------------------------------------------------------------------------

def _field(row: tuple, columns: dict[str, int], key: str):
    index = columns.get(key)
    return row[index] if index is not None and index < len(row) else None


def _text(value) -> str:
    return decode_ooxml(cell_text(value))


class _Lookups:
    def __init__(self, grid: Grid, bases: list[TrainingBase], specialties: list[Specialty]):
        self.grid = grid
        self.by_id = {base.id: base for base in bases}
        self.by_name = {header_key(base.name): base for base in bases}
        self.specialty_by_code = {s.code: s for s in specialties}
        self.specialty_by_name = {header_key(s.name): s for s in specialties}
        self.grid_bases = {base.id for base in grid.bases}
        self.grid_specialties = {s.id for s in grid.specialties}

    def base(self, number: str, name: str) -> TrainingBase:
        if number:
            base = self.by_id.get(int(number)) if number.isdigit() and len(number) < 10 else None
            if base is None:
                raise ValueError(_("No training base has the number %(number)s.", number=number[:20]))
            if name and header_key(name) != header_key(base.name):
                raise ValueError(_("Base number %(number)s is %(base)s, not %(name)s.", number=number,
                                   base=base.name, name=name[:30]))
        elif name:
            base = self.by_name.get(header_key(name))
            if base is None:
                raise ValueError(_("No training base is named %(name)s.", name=name[:30]))
        else:
            raise ValueError(_("Please fill in the training base."))
        if base.id not in self.grid_bases:
            raise ValueError(_("%(base)s does not train this batch's program.", base=base.name))
        return base

    def specialty(self, code: str, name: str) -> Specialty:
        if code:
            key = code.zfill(4) if code.isdigit() and len(code) < 4 else code
            specialty = self.specialty_by_code.get(key)
            if specialty is None:
                raise ValueError(_("No specialty has the code %(code)s.", code=code[:20]))
            if name and header_key(name) != header_key(specialty.name):
                raise ValueError(_("Specialty code %(code)s is %(specialty)s, not %(name)s.", code=key,
                                   specialty=specialty.name, name=name[:30]))
        elif name:
            specialty = self.specialty_by_name.get(header_key(name))
            if specialty is None:
                raise ValueError(_("No specialty is named %(name)s.", name=name[:30]))
        else:
            raise ValueError(_("Please fill in the specialty."))
        if specialty.id not in self.grid_specialties:
            raise ValueError(_("This batch has no places in %(specialty)s.", specialty=specialty.name))
        return specialty


def _check_row(lookups: _Lookups, row: tuple, columns: dict[str, int], seen: dict[Cell, int], number: int):
    """The row's cell and places, None for a row without places, or ``ValueError`` with the reason."""
    base = lookups.base(_text(_field(row, columns, "base_no")), _text(_field(row, columns, "base")))
    specialty = lookups.specialty(_text(_field(row, columns, "specialty_code")),
                                  _text(_field(row, columns, "specialty")))
    cell = (base.id, specialty.id)
    if cell in seen:
        raise ValueError(_("%(base)s, %(specialty)s is also on row %(row)s.", base=base.name,
                           specialty=specialty.name, row=seen[cell]))
    seen[cell] = number
    raw = _field(row, columns, "capacity")
    value, problem = parse_capacity(decode_ooxml(raw) if isinstance(raw, str) else raw)
    if problem:
        raise ValueError(problem)
    if value is None:
        return None
    problem = cell_problem(lookups.grid, cell, value, base, specialty)
    if problem:
        raise ValueError(problem)
    return cell, value


def _check_rows(grid: Grid, rows: list[tuple], columns: dict[str, int]):
    lookups = _Lookups(grid, list(db.session.scalars(select(TrainingBase))),
                       list(db.session.scalars(select(Specialty))))
    values: dict[Cell, int] = {}
    rows_of: dict[Cell, int] = {}
    seen: dict[Cell, int] = {}
    problems = []
    for number, row in enumerate(rows, start=2):
        if not any(_text(value) for value in row):
            continue
        try:
            checked = _check_row(lookups, row, columns, seen, number)
        except ValueError as error:
            problems.append(RowProblem(number, str(error)))
            continue
        if checked is not None:
            values[checked[0]] = checked[1]
            rows_of[checked[0]] = number
    return values, rows_of, problems


def import_quotas(data: bytes, batch: Batch) -> QuotaImportReport:
    """Check the workbook's rows and apply them when every row passes (the caller commits, or rolls
    back when the report has problems). ``WorkbookError`` refuses the whole file."""
    rows = sheet_rows(data, MAX_DATA_ROWS, formulas=True)
    if not rows:
        raise WorkbookError(_("The file is empty."))
    columns = find_columns(rows[0], [(key, texts, required) for key, texts, required in COLUMNS])
    if "base_no" not in columns and "base" not in columns:
        raise WorkbookError(_("The file lacks these columns: %(columns)s. Please download the template again "
                              "and fill it in.", columns=str(COLUMNS[1][1][0])))
    if "specialty_code" not in columns and "specialty" not in columns:
        raise WorkbookError(_("The file lacks these columns: %(columns)s. Please download the template again "
                              "and fill it in.", columns=str(COLUMNS[3][1][0])))
    grid = load_grid(batch)
    values, rows_of, problems = _check_rows(grid, rows[1:], columns)
    report = QuotaImportReport(rows=len(values) + len(problems), problems=problems)
    if problems:
        return report
    late, report.changed = apply_capacities(batch, values)  # checked again under the lock
    report.problems = sorted((RowProblem(rows_of[cell], message) for cell, message in late.items()),
                             key=lambda p: p.row)
    return report
