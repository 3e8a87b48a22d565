"""The unit directory (工作单位目录): its Excel template and its import.

The rules in one place:

- The province administrator and the superuser import (``IMPORT_ROLES``); the view checks it.
- The template has four columns: 单位名称, 所在区县 (the 6-digit region code, the county's name
  such as 中原区, or with its city, 郑州市中原区; 济源 (419001), a city without counties, counts as a
  county), 级别 and 类别 (their Chinese labels, as in the drop-downs; the stored values too).
- A unit is identified by its name and county. A row naming a unit already in the directory
  updates its level and kind (or leaves it unchanged); any other row adds a unit. Nothing is
  ever deleted, and importing the same file again changes nothing.
- A row is refused, with its Excel row number, the column and the reason, when the name is
  missing, not text, longer than 100 characters; when the county, level or kind is missing or
  unknown; when a cell holds a formula or text that Excel would take for one (starting with
  = + - @), a NUL or another control character; when two rows name the same unit (all of them
  are refused); or when the directory already holds two units of that name in that county.
  The rows that pass are written; fixing the refused ones and importing the file again is safe.
- The whole file is refused, and nothing is written, when it is not an .xlsx workbook within the
  size limits, cannot be read, lacks a column (the message names it) or has more than
  ``MAX_DATA_ROWS`` rows.
- Updates are audited field by field like any change; added units are recorded in one audit row
  per import, with the counts (an import may add 20,000 units).
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import insert, select

from app.extensions import db
from app.i18n import cn_datetime
from app.infra.xlsx import (
    WorkbookError,
    cell_text,
    decode_ooxml,
    find_columns,
    header_key,
    read_upload,
    safe_file_part,
    sheet_rows,
    workbook_stream,
    safe_row,
    write_header,
    write_instructions,
)
from models import AuditLog, Institution, Region, Role
from models.clock import now
from models.enums import AuditAction, InstitutionKind, InstitutionLevel, RegionLevel

IMPORT_ROLES = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_DATA_ROWS = 20000
MAX_NAME_LENGTH = 100  # Institution.name
SHOWN_VALUE_LENGTH = 30  # a refused cell's text in a message
SHOWN_ROWS = 5  # the other rows named in a message about a unit repeated in the file
CHUNK = 500

NAME, COUNTY, LEVEL, KIND = "name", "county", "level", "kind"
# key → the template's header (first) and the other headers accepted for the column
COLUMNS = (
    (NAME, (_l("Unit name"), _l("Work unit"))),
    (COUNTY, (_l("County where the unit is"), _l("County code of the unit"), _l("County"), _l("County code"),
              _l("County of the unit"))),
    (LEVEL, (_l("Level"), _l("Unit level"))),
    (KIND, (_l("Category"), _l("Kind"), _l("Unit kind"))),
)
FORMULA_STARTS = ("=", "+", "-", "@")
CONTROL_RE = re.compile(r"[\x01-\x1f\x7f]")



def column_label(key: str) -> str:
    """The column's header in the template (Chinese)."""
    return str(dict(COLUMNS)[key][0])


# --- counties and labels ------------------------------------------------------------------------

def county_regions() -> list[Region]:
    """The regions a unit may lie in: counties, and cities without counties (济源示范区)."""
    return list(db.session.scalars(
        select(Region).where((Region.level == RegionLevel.COUNTY)
                             | ((Region.level == RegionLevel.CITY) & ~Region.children.any()))
        .order_by(Region.code).options(db.joinedload(Region.parent))))


def county_index(regions) -> dict[str, set[int]]:
    """Every way a file may name a county (code, name, city + name) → the regions it may mean."""
    index: dict[str, set[int]] = {}
    for region in regions:
        for text in (region.code, region.name, region.full_name):
            index.setdefault(header_key(text), set()).add(region.id)
    return index


def label_index(choices) -> dict[str, str]:
    """Chinese label, English label and stored value of each choice → the stored value."""
    index = {}
    for value, label in choices.items:
        for text in (value, str(label), str(getattr(label, "_args", [label])[0])):
            index.setdefault(header_key(text), value)
    return index


# --- reading rows (pure: plain rows in, rows and problems out) -------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """Why a row is refused: its Excel row number, the column (Chinese header) and the reason."""

    row: int
    column: str
    message: str


@dataclass
class UnitRow:
    row: int
    name: str
    region_id: int
    level: str
    kind: str


@dataclass
class ParsedFile:
    units: list[UnitRow] = field(default_factory=list)  # rows that passed, in file order
    problems: list[RowProblem] = field(default_factory=list)
    refused_rows: set[int] = field(default_factory=set)

    def refuse(self, row: int, column: str, message: str) -> None:
        self.problems.append(RowProblem(row, column, message))
        self.refused_rows.add(row)


def shown(text: str) -> str:
    """A cell's text for a message: printable, and at most ``SHOWN_VALUE_LENGTH`` characters."""
    text = CONTROL_RE.sub("?", text.replace("\x00", "?"))
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[:SHOWN_VALUE_LENGTH] + "…"


def cell_problem(value) -> str | None:
    """What makes a text cell unusable whatever its column: a NUL, another control character, a
    formula or text Excel would take for one."""
    if not isinstance(value, str):
        return None
    text = decode_ooxml(value)
    if "\x00" in text:
        return _("It contains a NUL character, which is not allowed.")
    if CONTROL_RE.search(text):
        return _("It contains invisible control characters (such as line breaks); remove them.")
    if text.strip().startswith(FORMULA_STARTS):
        return _("It is a formula or starts with = + - @; enter plain text instead.")
    return None


def value_text(value) -> str:
    """A cell as text, numbers as Excel shows them (410102, 1E+308 rather than its 309 digits)."""
    if isinstance(value, str):
        return decode_ooxml(value).strip()
    if isinstance(value, float):
        return format(value, ".15g").upper() if value == value else str(value)
    return cell_text(value)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_rows(rows: list[tuple], counties: dict[str, set[int]]) -> ParsedFile:
    """Check the rows of the sheet (the header first) against ``counties`` (``county_index``).

    Raises ``WorkbookError`` when the file is empty or lacks a column; otherwise returns the rows
    that pass and the problems of the others. Blank rows are skipped."""
    if not rows or all(is_blank(v) for v in rows[0]):
        raise WorkbookError(_("The file is empty, or its first row is not the header of the template."))
    columns = find_columns(rows[0], [(key, [*map(str, texts), *(t._args[0] for t in texts)], True)
                                     for key, texts in COLUMNS])
    levels, kinds = label_index(InstitutionLevel), label_index(InstitutionKind)
    parsed = ParsedFile()
    labels = {key: column_label(key) for key, _texts in COLUMNS}
    candidates: list[UnitRow] = []
    by_unit: dict[tuple[str, int], list[int]] = {}

    for number, values in enumerate(rows[1:], start=2):
        cells = {key: values[index] if index < len(values) else None for key, index in columns.items()}
        if all(is_blank(v) for v in cells.values()):
            continue
        for key in (NAME, COUNTY, LEVEL, KIND):
            problem = cell_problem(cells[key])
            if problem:
                parsed.refuse(number, labels[key], problem)
        if number in parsed.refused_rows:
            continue
        name = _name(cells[NAME], number, labels[NAME], parsed)
        region_id = _county(cells[COUNTY], counties, number, labels[COUNTY], parsed)
        level = _choice(cells[LEVEL], levels, number, labels[LEVEL], parsed, InstitutionLevel)
        kind = _choice(cells[KIND], kinds, number, labels[KIND], parsed, InstitutionKind)
        if name is not None and region_id is not None:
            by_unit.setdefault((name, region_id), []).append(number)
        if number not in parsed.refused_rows:
            candidates.append(UnitRow(number, name, region_id, level, kind))

    for numbers in by_unit.values():
        if len(numbers) > 1:
            for number in numbers:  # a few of the other rows: a file may repeat one unit 20,000 times
                others = [n for n in numbers[:SHOWN_ROWS + 1] if n != number][:SHOWN_ROWS]
                others = "、".join(map(str, others)) + ("…" if len(numbers) > SHOWN_ROWS + 1 else "")
                parsed.refuse(number, labels[NAME], _(
                    "The same unit (same name, same county) is also in row %(rows)s; all of these rows are "
                    "refused. Keep one of them.", rows=others))
    parsed.units = [unit for unit in candidates if unit.row not in parsed.refused_rows]
    parsed.problems.sort(key=lambda p: p.row)
    return parsed


def _name(value, number: int, label: str, parsed: ParsedFile) -> str | None:
    if is_blank(value):
        parsed.refuse(number, label, _("The unit name is missing."))
        return None
    if not isinstance(value, str):
        parsed.refuse(number, label, _("The unit name must be text, not a number or a date."))
        return None
    name = decode_ooxml(value).strip()
    if len(name) > MAX_NAME_LENGTH:
        parsed.refuse(number, label, _("The unit name has %(length)s characters; at most %(most)s are allowed.",
                                       length=len(name), most=MAX_NAME_LENGTH))
        return None
    return name


def _county(value, counties, number: int, label: str, parsed: ParsedFile) -> int | None:
    if is_blank(value):
        parsed.refuse(number, label, _("The county is missing."))
        return None
    text = value_text(value)
    found = counties.get(header_key(text), set()) if len(text) <= 50 and not isinstance(value, bool) else set()
    if len(found) == 1:
        return next(iter(found))
    if found:
        parsed.refuse(number, label, _("“%(value)s” names more than one county; enter the 6-digit county code.",
                                       value=shown(text)))
    else:
        parsed.refuse(number, label, _("Unknown county “%(value)s”: enter the 6-digit code or the name of a county "
                                       "of Henan (see the sheet “Counties” of the template).", value=shown(text)))
    return None


def _choice(value, index, number: int, label: str, parsed: ParsedFile, choices) -> str | None:
    if is_blank(value):
        parsed.refuse(number, label, _("%(column)s is missing.", column=label))
        return None
    text = value_text(value)
    found = index.get(header_key(text)) if isinstance(value, str) and len(text) <= 50 else None
    if found is None:
        parsed.refuse(number, label, _("Unknown %(column)s “%(value)s”: choose one of %(labels)s.", column=label,
                                       value=shown(text), labels="、".join(str(name) for _v, name in choices.items)))
    return found


# --- the template -----------------------------------------------------------------------------------

def template_filename() -> str:
    return f"{_('Unit directory import template')}.xlsx"


def build_template() -> io.BytesIO:
    """The import workbook: the four columns with drop-downs of the levels and kinds, a sheet of the
    counties (code, name, city) and a sheet of instructions."""
    regions = county_regions()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Units")[:31]
    write_header(sheet, [column_label(key) for key, _texts in COLUMNS], (40, 24, 20, 22))
    sheet.freeze_panes = "A2"
    for col in ("A", "B"):
        for row in range(2, 201):  # the first rows as text, so that codes keep their form
            sheet[f"{col}{row}"].number_format = "@"
    counties = _counties_sheet(workbook, regions)
    last = MAX_DATA_ROWS + 1
    county_list = DataValidation(type="list", formula1=f"'{counties.title}'!$B$2:$B${len(regions) + 1}",
                                 allow_blank=True, showErrorMessage=False)  # a code may be typed instead
    county_list.add(f"B2:B{last}")
    sheet.add_data_validation(county_list)
    for letter, choices in (("C", InstitutionLevel), ("D", InstitutionKind)):
        labels = ",".join(label for _value, label in choices.choices())
        validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True, showErrorMessage=True,
                                    errorTitle=_("Not in the list"), error=_("Choose a value from the list."))
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    write_instructions(workbook, _("Instructions"), _instructions())
    return workbook_stream(workbook)


def _counties_sheet(workbook, regions: list[Region]):
    counties = workbook.create_sheet(_("Counties")[:31])
    write_header(counties, [_("County code"), _("County"), _("City")], (14, 20, 16))
    for region in regions:
        city = region.parent.name if region.level == RegionLevel.COUNTY and region.parent else region.name
        counties.append(safe_row(counties, [region.code, region.name, city]))
    return counties


def _instructions() -> list[str]:
    return [
        _("Unit directory import template"),
        _("Generated at: %(time)s", time=cn_datetime(now())),
        "",
        _("1. One unit a row, from the second row of the sheet “Units”; do not change the header row."),
        _("2. %(name)s: the full name, at most %(most)s characters.", name=column_label(NAME), most=MAX_NAME_LENGTH),
        _("3. %(county)s: the 6-digit code or the name of the county (see the sheet “Counties”).",
          county=column_label(COUNTY)),
        _("4. %(level)s: one of %(labels)s.", level=column_label(LEVEL),
          labels="、".join(label for _v, label in InstitutionLevel.choices())),
        _("5. %(kind)s: one of %(labels)s.", kind=column_label(KIND),
          labels="、".join(label for _v, label in InstitutionKind.choices())),
        _("6. A unit already in the directory (same name and county) is updated, never added twice; units are "
          "never deleted. Importing the same file again changes nothing."),
        _("7. Plain text only: formulas, and text starting with = + - @, are refused. At most %(count)s rows.",
          count=MAX_DATA_ROWS),
    ]


# --- import -----------------------------------------------------------------------------------------

@dataclass
class UpdatedUnit:
    row: int
    name: str
    county: str
    changes: list[str]  # "级别：二级医院 → 三级医院"


@dataclass
class ImportReport:
    filename: str
    added: int = 0
    updated: list[UpdatedUnit] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    refused: int = 0  # rows


def read_file(stream, filename: str | None) -> bytes:
    """The upload's bytes if it is an .xlsx within this import's limits; else ``WorkbookError``."""
    return read_upload(stream, filename, MAX_FILE_BYTES, MAX_UNPACKED_BYTES)


def import_units(data: bytes, filename: str, actor) -> ImportReport:
    """Check every row of the workbook ``data`` and write the rows that pass (the caller commits).

    ``WorkbookError`` refuses the whole file before anything is written."""
    filename = safe_file_part(filename or "")[:100]
    rows = sheet_rows(data, MAX_DATA_ROWS, formulas=True)
    regions = county_regions()
    parsed = parse_rows(rows, county_index(regions))
    report = ImportReport(filename=filename, problems=parsed.problems)
    new_rows, changes = _match_units(parsed, report, {region.id: region.full_name for region in regions})
    report.problems.sort(key=lambda p: p.row)
    report.refused = len(parsed.refused_rows)
    ids = list(changes)
    for start in range(0, len(ids), CHUNK):  # through the ORM: each changed field is audited
        for institution in db.session.scalars(select(Institution).where(Institution.id.in_(ids[start:start + CHUNK]))):
            unit = changes[institution.id]
            institution.level, institution.kind = unit.level, unit.kind
        db.session.flush()
    for start in range(0, len(new_rows), CHUNK):  # in bulk: recorded by the import's audit row below
        db.session.execute(insert(Institution), new_rows[start:start + CHUNK])
    report.added = len(new_rows)
    _audit_import(report, actor)
    db.session.flush()
    return report


def _match_units(parsed, report: ImportReport, region_names: dict[int, str]) -> tuple[list[dict], dict]:
    """The rows to add and the units to change (by id), counting the unchanged ones into ``report``."""
    existing: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
    for unit_id, name, region_id, level, kind in db.session.execute(
            select(Institution.id, Institution.name, Institution.region_id, Institution.level, Institution.kind)):
        existing.setdefault(((name or "").strip(), region_id), []).append((unit_id, level, kind))
    new_rows, changes = [], {}
    label = {LEVEL: column_label(LEVEL), KIND: column_label(KIND)}
    for unit in parsed.units:
        matches = existing.get((unit.name, unit.region_id), [])
        if len(matches) > 1:
            report.problems.append(RowProblem(unit.row, column_label(NAME), _(
                "The directory already holds %(count)s units of this name in this county; merge them in the "
                "directory first.", count=len(matches))))
            parsed.refused_rows.add(unit.row)
        elif not matches:
            new_rows.append({"name": unit.name, "region_id": unit.region_id, "level": unit.level, "kind": unit.kind})
        elif matches[0][1:] == (unit.level, unit.kind):
            report.unchanged += 1
        else:
            unit_id, level, kind = matches[0]
            changes[unit_id] = unit
            said = []
            if level != unit.level:
                said.append(f"{label[LEVEL]}：{InstitutionLevel.label(level)} → {InstitutionLevel.label(unit.level)}")
            if kind != unit.kind:
                said.append(f"{label[KIND]}：{InstitutionKind.label(kind)} → {InstitutionKind.label(unit.kind)}")
            report.updated.append(UpdatedUnit(unit.row, unit.name, region_names.get(unit.region_id, ""), said))
    return new_rows, changes


def _audit_import(report: ImportReport, actor) -> None:
    """One audit row for the whole import, with its counts."""
    counts = {"file": report.filename, "added": report.added, "updated": len(report.updated),
              "unchanged": report.unchanged, "refused": report.refused}
    db.session.add(AuditLog(
        actor_id=getattr(actor, "id", None), actor_name=(getattr(actor, "username", "") or "")[:50],
        table_name=Institution.__tablename__, record_id="import", action=AuditAction.CREATE, field_name=None,
        new_value=json.dumps(counts, ensure_ascii=False),
        reason=_("Unit directory imported from %(file)s: %(added)s added, %(updated)s updated, %(unchanged)s "
                 "unchanged, %(refused)s rows refused.", **counts)))
