"""Residency exam scores (住培招收考试成绩): the Excel template and the score import.

The rules that need no database (items, weights, score cells, the skills and combined scores) are in
``rules.py``.

The rules in one place:

- A residency batch's skills exam has the mandatory item 单人徒手心肺复苏 (CPR) and at least one
  more item (DESIGN.md); at most ``MAX_SKILL_ITEMS`` items, a manageable template.
- ``skills_score`` is the **mean** of the item scores, rounded half-up to 2 decimals, so that it
  lies on the same 0–100 scale as the theory score and the combined-score weights mean what they
  say (the recruitment plan and DESIGN.md are silent); every score, theory and item, lies in 0–100
  with at most two decimals.
- ``combined = theory × theory_weight + skills × skills_weight``, rounded half-up to 2 decimals;
  the weights are ≥ 0 and sum to 1.
- Scores are imported only for applications confirmed on site (``Status.CONFIRMED``) of the
  chosen base and batch. A row whose score cells are all blank is skipped and leaves the
  application unchanged; a row with some scores must have all of them (a blank theory or item
  score is refused). Rows that pass are written together; refused rows are reported with their
  Excel row number and every reason.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import inspect, select

from app.domain.access import scope_condition
from app.domain.admission.publication import results_published
from app.domain.scores.rules import *  # noqa: F401,F403  (the rules are part of this package's interface)
from app.domain.scores.rules import (
    ABSENT_COLUMN,
    ABSENT_LABEL,
    ABSENT_MARKS,
    BLANK,
    CPR_NAME,
    FIRST_COLUMN,
    FIXED_COLUMNS,
    ID_COLUMN,
    ID_NUMBER_COLUMN,
    NAME_COLUMN,
    SECOND_COLUMN,
    THEORY_COLUMN,
    combined_score,
    formula_text,
    parse_application_id,
    parse_score,
    score_message,
    skills_score_of,
)
from app.domain.workflow import states
from app.extensions import db
from app.i18n import cn_datetime
from app.infra.xlsx import (
    WorkbookError,
    cell_text,
    header_key,
    safe_file_part,
    workbook_stream,
    safe_row,
    write_header,
    write_instructions,
)
from app.infra.xlsx import read_upload as read_xlsx_upload
from app.infra.xlsx import sheet_rows as read_sheet_rows
from models import Application, ApplicationChoice, Batch, Role, SpecialtySkillItem, Status, TrainingBase
from models.clock import now
from models.enums import BatchStatus, Program

ELIGIBLE_STATUS = Status.CONFIRMED
# statuses whose scores the scores page lists: confirmed on site and everything after it

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_DATA_ROWS = 5000

REQUIRED_FIXED = (ID_COLUMN, ID_NUMBER_COLUMN, THEORY_COLUMN)
IDENTIFYING = (ID_COLUMN, NAME_COLUMN, ID_NUMBER_COLUMN, FIRST_COLUMN, SECOND_COLUMN)

GREY = PatternFill("solid", start_color="FFD9D9D9", end_color="FFD9D9D9")


ScoreFileError = WorkbookError  # the whole file is refused; ``str(error)`` is the Chinese message


# --- exam settings --------------------------------------------------------------------------------


# --- who imports for which base -----------------------------------------------------------------------

SCORE_ROLES = (Role.BASE_STAFF, Role.PROVINCE_ADMIN)


def may_manage_base(user, base: TrainingBase) -> bool:
    """Base staff handle their own base's scores; the province administrator any base's."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.PROVINCE_ADMIN:
        return True
    return user.role == Role.BASE_STAFF and user.base_id == base.id


def residency_batches() -> list[Batch]:
    return list(db.session.scalars(select(Batch).where(Batch.program == Program.RESIDENCY)
                                   .order_by(Batch.id.desc())))


# --- skills items per specialty ----------------------------------------------------------------------

@dataclass
class ItemSets:
    """The skills items of a base in a batch: per specialty (专业基地) when the base has set them (考试安排),
    else the batch's one list for everybody. ``columns`` is the template's item columns, CPR first."""

    columns: list[str]
    by_specialty: dict[int, list[str]]

    def of(self, application: Application) -> list[str]:
        """The items ``application`` is examined in: those of its first-choice specialty."""
        if not self.by_specialty:
            return self.columns
        first = next((c.specialty_id for c in sorted(application.choices, key=lambda c: c.rank)), None)
        return self.by_specialty.get(first, [])


def skill_items_by_specialty(batch_id: int, base_id: int) -> dict[int, list[str]]:
    """Item names per specialty id that a base set in a batch, CPR first (one query)."""
    result: dict[int, list[str]] = {}
    for item in db.session.scalars(select(SpecialtySkillItem).where(
            SpecialtySkillItem.batch_id == batch_id, SpecialtySkillItem.base_id == base_id)
            .order_by(SpecialtySkillItem.specialty_id, SpecialtySkillItem.position, SpecialtySkillItem.id)):
        result.setdefault(item.specialty_id, []).append(item.name)
    return result


def item_sets(batch: Batch, base: TrainingBase) -> ItemSets:
    by_specialty = skill_items_by_specialty(batch.id, base.id)
    if not by_specialty:
        return ItemSets([item.name for item in batch.skill_items], {})
    columns: list[str] = []
    for names in by_specialty.values():
        columns.extend(name for name in names if name not in columns)
    columns.sort(key=lambda name: name != CPR_NAME)  # stable: CPR first, the others as they came
    return ItemSets(columns, by_specialty)
def default_scores_batch(batches: list[Batch]) -> Batch | None:
    """The batch the scores page opens on: the newest with applicants confirmed on site (the ones to
    score), else the newest published one, else the newest. One query."""
    if not batches:
        return None
    with_candidates = set(db.session.scalars(select(Application.batch_id).where(
        Application.batch_id.in_([b.id for b in batches]), Application.status == Status.CONFIRMED).distinct()))
    return next((b for b in batches if b.id in with_candidates), None) \
        or next((b for b in batches if b.status != BatchStatus.DRAFT), batches[0])


# --- template -------------------------------------------------------------------------------------

def column_headers(batch: Batch, items: list[str] | None = None) -> list[str]:
    """The template's header row: the fixed columns, one per skills exam item, then 缺考."""
    items = [item.name for item in batch.skill_items] if items is None else items
    return [str(label) for _key, label in FIXED_COLUMNS] + list(items) + [str(ABSENT_LABEL)]


def eligible_applications(batch: Batch, base: TrainingBase, user) -> list[Application]:
    """The base's applications in ``batch`` that may receive scores, in number order (fixed queries)."""
    stmt = (select(Application)
            .where(Application.batch_id == batch.id, Application.base_id == base.id,
                   Application.status == ELIGIBLE_STATUS, scope_condition(Application, user))
            .options(db.joinedload(Application.trainee),
                     db.selectinload(Application.choices).joinedload(ApplicationChoice.specialty))
            .order_by(Application.id))
    return list(db.session.scalars(stmt).unique())


def choice_name(application: Application, rank: int) -> str:
    for choice in application.choices:
        if choice.rank == rank:
            return choice.specialty.name
    return ""


def _number(value):
    return float(value) if value is not None else None


def template_filename(batch: Batch, base: TrainingBase) -> str:
    """成绩导入模板_<批次>_<基地>.xlsx"""
    return f"{_('Score import template')}_{safe_file_part(batch.name)}_{safe_file_part(base.name)}.xlsx"


def build_template(batch: Batch, base: TrainingBase, user) -> io.BytesIO:
    """The score workbook of ``base`` in ``batch``: a locked grey block of identifying columns, score
    cells limited to decimals 0–100 (pre-filled with scores imported before), and a sheet of
    instructions. The caller checks that ``user`` may manage ``base``."""
    applications = eligible_applications(batch, base, user)
    sets = item_sets(batch, base)
    items = sets.columns
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Scores")[:31]
    headers = column_headers(batch, items)
    write_header(sheet, headers, [max(10, min(30, len(header) * 2 + 4)) for header in headers], wrap=True)
    sheet.column_dimensions[get_column_letter(3)].width = 22
    for application in applications:
        scores = application.skill_scores or {}
        sheet.append(safe_row(sheet, [application.id, application.trainee.name, application.trainee.id_number,
                                      choice_name(application, 1), choice_name(application, 2),
                                      _number(application.theory_score)] + [scores.get(name) for name in items]
                                     + [_("Yes") if application.exam_absent else None]))
    _lock_identifying_columns(sheet, last_row=max(len(applications) + 1, 2), last_score=len(headers) - 1)
    _absent_column(sheet, column=len(headers), last_row=max(len(applications) + 1, 2))
    _lock_other_items(sheet, applications, sets)
    write_instructions(workbook, _("Instructions"), _instructions(batch, base, len(applications), items))
    return workbook_stream(workbook)


def _lock_identifying_columns(sheet, last_row: int, last_score: int) -> None:
    """Grey, locked identifying columns; unlocked score cells that take decimals 0–100; a protected sheet."""
    first_score = len(IDENTIFYING) + 1
    for col in range(1, last_score + 1):
        sheet.cell(row=1, column=col).protection = Protection(locked=True)
    for row in range(2, last_row + 1):
        for col in range(1, first_score):
            cell = sheet.cell(row=row, column=col)
            cell.fill = GREY
            cell.protection = Protection(locked=True)
        sheet.cell(row=row, column=3).number_format = "@"
        for col in range(first_score, last_score + 1):
            cell = sheet.cell(row=row, column=col)
            cell.protection = Protection(locked=False)
            cell.number_format = "0.00"
    validation = DataValidation(type="decimal", operator="between", formula1="0", formula2="100",
                                allow_blank=True, showErrorMessage=True, showInputMessage=True,
                                errorTitle=_("Invalid score"),
                                error=_("Enter a number from 0 to 100, with at most two decimal places."),
                                promptTitle=_("Score"), prompt=_("0–100, at most two decimal places"))
    validation.add(f"{get_column_letter(first_score)}2:{get_column_letter(last_score)}{last_row}")
    sheet.add_data_validation(validation)
    sheet.freeze_panes = sheet.cell(row=2, column=first_score)
    sheet.protection.sheet = True  # makes the lock of the grey columns effective (no password)
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _lock_other_items(sheet, applications: list[Application], sets: ItemSets) -> None:
    """Grey, locked cells for the items a row's specialty does not examine."""
    first = len(IDENTIFYING) + 2  # after the theory score
    for row, application in enumerate(applications, start=2):
        examined = set(sets.of(application))
        for offset, name in enumerate(sets.columns):
            if name not in examined:
                cell = sheet.cell(row=row, column=first + offset)
                cell.fill = GREY
                cell.protection = Protection(locked=True)


def _absent_column(sheet, column: int, last_row: int) -> None:
    """The 缺考 column: unlocked cells that take “是” or nothing."""
    for row in range(2, last_row + 1):
        sheet.cell(row=row, column=column).protection = Protection(locked=False)
    validation = DataValidation(type="list", formula1=f'"{ABSENT_MARKS[0]}"', allow_blank=True,
                                showErrorMessage=True, errorTitle=str(ABSENT_LABEL),
                                error=_("Write “%(mark)s” for an absent candidate, or leave the cell empty.",
                                        mark=ABSENT_MARKS[0]))
    letter = get_column_letter(column)
    validation.add(f"{letter}2:{letter}{last_row}")
    sheet.add_data_validation(validation)


def _instructions(batch: Batch, base: TrainingBase, count: int, items: list[str]) -> list[str]:
    return [
        _("Score import template"),
        _("Batch: %(batch)s", batch=batch.name),
        _("Training base: %(base)s", base=base.name),
        _("Generated at: %(time)s", time=cn_datetime(now())),
        _("Applicants listed: %(count)s (only those confirmed on site)", count=count),
        "",
        _("1. Fill in the theory score and the score of every skills exam item: a number from 0 to 100 with at "
          "most two decimal places."),
        _("2. Do not change the grey columns; every row is matched by its application number and ID number."),
        _("3. To leave an applicant's scores unchanged, leave all of the row's score cells empty. A row with some "
          "scores must have all of them, or it is refused."),
        _("4. The skills score is the average of the skills exam items: %(items)s.", items="、".join(items)),
        _("5. %(formula)s, rounded to two decimal places.",
          formula=formula_text(batch.theory_weight, batch.skills_weight)),
        _("6. Importing again overwrites the scores imported before; every change is recorded."),
        _("7. Rows of other training bases or batches, and applicants not confirmed on site, are refused."),
        _("8. For a candidate absent from the exam, write “%(mark)s” in the column “%(column)s” and leave the scores "
          "empty; an empty row only means the scores are not known yet.", mark=ABSENT_MARKS[0],
          column=str(ABSENT_LABEL)),
    ]


# --- reading the file ---------------------------------------------------------------------------

def read_upload(stream: BinaryIO | None, filename: str | None = None) -> bytes:
    """The uploaded file's bytes if it is an .xlsx within this module's limits; else ``ScoreFileError``."""
    return read_xlsx_upload(stream, filename, MAX_FILE_BYTES, MAX_UNPACKED_BYTES)


def sheet_rows(data: bytes) -> list[tuple]:
    """The first worksheet's rows (values, not formulas), at most the header and ``MAX_DATA_ROWS``."""
    return read_sheet_rows(data, MAX_DATA_ROWS)


def map_columns(header: tuple, items: list[str]) -> dict[str, int]:
    """Column index of every column the import reads; ``ScoreFileError`` naming the missing ones.

    Fixed columns are found by their Chinese header (or the English one); skills columns by the
    item's name."""
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        key = header_key(value)
        if key and key not in positions:
            positions[key] = index
    columns: dict[str, int] = {}
    missing = []
    for key, label in FIXED_COLUMNS:
        for text in (str(label), str(label._args[0])):
            if header_key(text) in positions:
                columns[key] = positions[header_key(text)]
                break
        else:
            if key in REQUIRED_FIXED:
                missing.append(str(label))
    for name in items:
        index = positions.get(header_key(name))
        if index is None:
            missing.append(name)
        else:
            columns["skill:" + name] = index
    for text in (str(ABSENT_LABEL), str(ABSENT_LABEL._args[0])):  # optional: older templates lack it
        if header_key(text) in positions:
            columns[ABSENT_COLUMN] = positions[header_key(text)]
            break
    if missing:
        raise ScoreFileError(_("The file lacks these columns: %(columns)s. Please download the template again "
                               "and fill it in.", columns="、".join(missing)))
    return columns


# --- import ----------------------------------------------------------------------------------------

@dataclass
class RowOutcome:
    """One data row of the file: its Excel row number, what it names and, if refused, why."""

    row: int
    application_text: str
    name: str
    reasons: list[str] = field(default_factory=list)
    application: Application | None = None
    theory: Decimal | None = None
    items: dict[str, Decimal] = field(default_factory=dict)
    skills: Decimal | None = None
    combined: Decimal | None = None
    absent: bool = False  # 缺考
    bad_items: set[str] = field(default_factory=set)  # item cells refused already (not a number, …)


@dataclass
class ImportReport:
    imported: list[RowOutcome] = field(default_factory=list)
    refused: list[RowOutcome] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # Excel rows without any score


def import_scores(data: bytes, batch: Batch, base: TrainingBase, actor) -> ImportReport:
    """Check every row of the workbook ``data`` and write the scores of the rows that pass.

    The caller has checked that ``actor`` may manage ``base`` (``may_manage_base``) and commits;
    the writes are flushed here in one go (audited by the session hook) and guarded by the
    applications' version numbers. ``ScoreFileError`` refuses the whole file."""
    sets = _importable_items(batch, base)
    rows = sheet_rows(data)
    if not rows:
        raise ScoreFileError(_("The file is empty."))
    report = ImportReport()
    candidates = _read_rows(rows, map_columns(rows[0], sets.columns), sets.columns, report)
    _match_applications(candidates, batch, base, actor)
    for outcome, _number, _id_text in candidates:
        if outcome.application is not None and not outcome.absent:
            outcome.reasons.extend(_item_problems(outcome, sets.of(outcome.application)))
        if outcome.reasons:
            report.refused.append(outcome)
            continue
        _write_scores(outcome, batch)
        report.imported.append(outcome)
    report.refused.sort(key=lambda o: o.row)
    if report.imported:
        db.session.flush()
    return report


def _write_scores(outcome: RowOutcome, batch: Batch) -> None:
    """The row's scores onto its application; an absent candidate (缺考) has none."""
    application = outcome.application
    application.exam_absent = outcome.absent
    if outcome.absent:
        outcome.theory, outcome.items = None, {}
        application.theory_score = application.skill_scores = application.skills_score = None
        application.combined_score = None
        return
    outcome.skills = skills_score_of(outcome.items)
    outcome.combined = combined_score(outcome.theory, outcome.skills, batch.theory_weight, batch.skills_weight)
    application.theory_score = outcome.theory
    application.skill_scores = {name: float(score) for name, score in outcome.items.items()}
    application.skills_score = outcome.skills
    application.combined_score = outcome.combined


def _item_problems(outcome: RowOutcome, examined: list[str]) -> list[str]:
    """A score for every item of the applicant's specialty, none for the others; keeps the examined ones."""
    if not examined:
        return [_("The skills exam items of this applicant's specialty are not set yet (考试安排).")]
    problems = [score_message(BLANK, name) for name in examined if outcome.items.get(name) is None
                and name not in outcome.bad_items]
    problems += [_("“%(item)s” is not a skills exam item of this applicant's specialty; leave it empty.",
                   item=name) for name, number in outcome.items.items()
                 if name not in examined and (number is not None or name in outcome.bad_items)]
    outcome.items = {name: outcome.items.get(name) for name in examined}
    return problems


def _importable_items(batch: Batch, base: TrainingBase) -> ItemSets:
    """The skills items of a batch that may take scores now; ``ScoreFileError`` when it may not."""
    if batch.program != Program.RESIDENCY:
        raise ScoreFileError(_("Scores are imported only for residency batches."))
    if results_published(batch, base.id):
        raise ScoreFileError(_("The admission results of this batch have been published; scores can no longer "
                               "change."))
    sets = item_sets(batch, base)
    if not sets.columns:
        raise ScoreFileError(_("This batch has no skills exam items yet; the province administrator sets them "
                               "in the batch's exam settings."))
    return sets


def _read_rows(rows, columns, items, report) -> list[tuple[RowOutcome, int | None, str]]:
    """Each non-empty row's scores checked (a wholly blank score row is skipped), with its application
    number and ID number as written."""
    theory_label = str(dict(FIXED_COLUMNS)[THEORY_COLUMN])
    id_label = str(dict(FIXED_COLUMNS)[ID_COLUMN])
    candidates: list[tuple[RowOutcome, int | None, str]] = []

    def cell(values, key):
        index = columns.get(key)
        return values[index] if index is not None and index < len(values) else None

    for offset, values in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        raw_id = cell(values, ID_COLUMN)
        outcome = RowOutcome(row=offset, application_text=cell_text(raw_id)[:20],
                             name=cell_text(cell(values, NAME_COLUMN))[:50])
        score_cells = [(theory_label, cell(values, THEORY_COLUMN))] + [
            (name, cell(values, "skill:" + name)) for name in items]
        parsed = [(label, *parse_score(value)) for label, value in score_cells]
        absent_text = cell_text(cell(values, ABSENT_COLUMN)).strip().upper()
        absent_text = "" if absent_text in NOT_ABSENT_MARKS else absent_text
        if all(code == BLANK for _label, _number, code in parsed) and not absent_text:
            report.skipped.append(offset)
            continue
        outcome.absent = absent_text in ABSENT_MARKS
        outcome.reasons.extend(_score_problems(parsed, absent_text))
        outcome.theory = parsed[0][1]
        outcome.items = {label: number for label, number, _code in parsed[1:]}
        outcome.bad_items = {label for label, _number, code in parsed[1:] if code not in (None, BLANK)}
        number = parse_application_id(raw_id)
        if number is None:
            outcome.reasons.insert(0, _("%(column)s is empty.", column=id_label) if not cell_text(raw_id)
                                   else _("%(column)s is not a valid number.", column=id_label))
        candidates.append((outcome, number, cell_text(cell(values, ID_NUMBER_COLUMN)).upper()))
    return candidates


NOT_ABSENT_MARKS = ("否", "N", "NO")


def _score_problems(parsed, absent_text: str) -> list[str]:
    """Why a row's score cells are refused: each bad score, or scores beside 缺考, or a 缺考 cell that is
    neither “是” nor empty."""
    if absent_text and absent_text not in ABSENT_MARKS:
        return [_("Write “%(mark)s” in the column “%(column)s” for an absent candidate, or leave it empty.",
                  mark=ABSENT_MARKS[0], column=str(ABSENT_LABEL))]
    if absent_text:
        if any(code != BLANK for _label, _number, code in parsed):
            return [_("The candidate is marked absent but has scores: clear the scores or the absence.")]
        return []
    theory, items = parsed[0], parsed[1:]
    problems = [score_message(theory[2], theory[0])] if theory[2] is not None else []
    return problems + [score_message(code, label) for label, _number, code in items if code not in (None, BLANK)]


def _match_applications(candidates, batch: Batch, base: TrainingBase, actor) -> None:
    """Each row's application, in one query within the actor's scope and the base, with the reasons a
    row is refused: repeated, unknown (base staff are never told whether another base's number
    exists), another batch, not confirmed on site, or the ID number does not match."""
    by_number: dict[int, list[RowOutcome]] = {}
    for outcome, number, _id_text in candidates:
        if number is not None:
            by_number.setdefault(number, []).append(outcome)
    wanted = list(by_number)
    found = {}
    if wanted:
        found = {a.id: a for a in db.session.scalars(
            select(Application).where(Application.id.in_(wanted), Application.base_id == base.id,
                                      scope_condition(Application, actor))
            .options(db.joinedload(Application.trainee), db.joinedload(Application.batch),
                     db.selectinload(Application.choices))).unique()}
    existing: set[int] = set()
    absent = [n for n in wanted if n not in found]
    if absent and actor.role in Role.PROVINCE_WIDE:  # province-wide users may learn that a number is unused
        existing = set(db.session.scalars(select(Application.id).where(Application.id.in_(absent))))
    for outcome, number, id_text in candidates:
        if number is None:
            continue
        duplicates = by_number[number]
        if len(duplicates) > 1:
            outcome.reasons.append(_("Application No. %(number)s appears in several rows (%(rows)s); all of them "
                                     "are refused.", number=number,
                                     rows="、".join(str(o.row) for o in duplicates)))
        application = found.get(number)
        if application is None:
            if actor.role in Role.PROVINCE_WIDE and number not in existing:
                outcome.reasons.append(_("No such application."))
            else:
                outcome.reasons.append(_("Not an application of this base."))
            continue
        if application.batch_id != batch.id:
            outcome.reasons.append(_("The application belongs to another batch (%(batch)s).",
                                     batch=application.batch.name))
        elif application.status != ELIGIBLE_STATUS:
            outcome.reasons.append(_("The application is “%(status)s”; scores are imported only for applications "
                                     "confirmed on site.", status=application.status_label))
        if id_text != (application.trainee.id_number or "").upper():
            outcome.reasons.append(_("The ID number does not match the application."))
        outcome.application = application


def scored_applications_query(batch: Batch, user, base: TrainingBase | None = None):
    """The scores page's list: in-scope applications of ``batch`` confirmed on site or later."""
    stmt = select(Application).where(Application.batch_id == batch.id, Application.status.in_(states.CONFIRMED_OR_LATER),
                                     scope_condition(Application, user))
    if base is not None:
        stmt = stmt.where(Application.base_id == base.id)
    return stmt


def recompute_combined_scores(batch: Batch) -> int:
    """After the weights of ``batch`` changed, recompute the combined score of its applications still
    awaiting admission (``CONFIRMED``) that have both scores; audited like any change. Returns how many."""
    state = inspect(batch)
    if not (state.attrs.theory_weight.history.has_changes() or state.attrs.skills_weight.history.has_changes()):
        return 0
    applications = db.session.scalars(select(Application).where(
        Application.batch_id == batch.id, Application.status == ELIGIBLE_STATUS,
        Application.theory_score.is_not(None), Application.skills_score.is_not(None))).all()
    for application in applications:
        application.combined_score = combined_score(application.theory_score, application.skills_score,
                                                    batch.theory_weight, batch.skills_weight)
    return len(applications)
