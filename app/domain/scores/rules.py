"""The rules of residency exam scores, without the database: the skills items a batch needs (CPR and at
least one more), the weights, the exam window, how a score cell is read, the skills score (the mean of
the items) and the combined score. ``app.domain.scores`` (the workbook and the import) uses them."""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.base import MAX_INT
from models.enums import Program

SCORE_MIN, SCORE_MAX = Decimal(0), Decimal(100)
# the template's fixed columns: key → English msgid (the header is its translation)
ID_COLUMN, NAME_COLUMN, ID_NUMBER_COLUMN, FIRST_COLUMN, SECOND_COLUMN, THEORY_COLUMN = (
    "application_id", "name", "id_number", "first_choice", "second_choice", "theory")
FIXED_COLUMNS = (
    (ID_COLUMN, _l("Application number")),
    (NAME_COLUMN, _l("Trainee name")),
    (ID_NUMBER_COLUMN, _l("Identity card number")),
    (FIRST_COLUMN, _l("First choice")),
    (SECOND_COLUMN, _l("Second choice")),
    (THEORY_COLUMN, _l("Theory score")),
)

CPR_NAME = "单人徒手心肺复苏"
# the last column of the template: 缺考 is written as “是” (an empty cell: present, or not yet known)
ABSENT_COLUMN, ABSENT_LABEL = "absent", _l("Absent from the exam")
ABSENT_MARKS = ("是", "缺考", "Y", "YES")


MAX_SKILL_ITEMS = 9  # 9 × 100 fits skills_score (Numeric 5,2)


TWO_PLACES = Decimal("0.01")


def skills_score_of(item_scores: dict[str, Decimal]) -> Decimal:
    """The skills score: the mean of the item scores (see the module docstring)."""
    if not item_scores:
        return Decimal(0).quantize(TWO_PLACES)
    mean = sum(item_scores.values(), Decimal(0)) / len(item_scores)
    return mean.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def combined_score(theory: Decimal, skills: Decimal, theory_weight: Decimal, skills_weight: Decimal) -> Decimal:
    """``theory × theory_weight + skills × skills_weight``, rounded half-up to two decimals."""
    total = Decimal(theory) * Decimal(theory_weight) + Decimal(skills) * Decimal(skills_weight)
    return total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def weight_text(weight) -> str:
    try:
        return format(Decimal(weight).quantize(TWO_PLACES, rounding=ROUND_HALF_UP), "f")
    except (InvalidOperation, TypeError, ValueError):
        return "?"


def formula_text(theory_weight, skills_weight) -> str:
    """The combined-score formula in words, e.g. 综合成绩 = 理论成绩×0.50 + 技能成绩×0.50."""
    return _("Combined score = theory score × %(theory)s + skills score × %(skills)s",
             theory=weight_text(theory_weight), skills=weight_text(skills_weight))


def weights_error(theory_weight, skills_weight) -> str | None:
    """Why the two weights cannot be saved, or ``None``: both given, 0–1, two decimals, sum 1."""
    if theory_weight is None or skills_weight is None:
        return _("Please enter both weights.")
    weights = (Decimal(theory_weight), Decimal(skills_weight))
    if any(w < 0 or w > 1 for w in weights):
        return _("Each weight must be between 0 and 1.")
    if any(w != w.quantize(TWO_PLACES) for w in weights):
        return _("A weight may have at most two decimal places.")
    if sum(weights) != 1:
        return _("The two weights must add up to 1 (now %(total)s).", total=format(sum(weights), "f"))
    return None


def exam_window_error(starts_at, ends_at) -> str | None:
    """Why the theory-exam window is wrong, or ``None``: both or neither, end after start."""
    if (starts_at is None) != (ends_at is None):
        return _("Please enter both the start and the end of the theory exam.")
    if starts_at is not None and ends_at <= starts_at:
        return _("The theory exam must end after it starts.")
    return None


def skill_items_error(program: str, items: list[tuple[str, bool]]) -> str | None:
    """Why a batch's skills-exam items ``[(name, mandatory)]`` cannot be saved, or ``None``."""
    names = [(name or "").strip() for name, _mandatory in items]
    if any(not name for name in names):
        return _("Every skills exam item needs a name.")
    if len(set(names)) != len(names):
        return _("Two skills exam items have the same name.")
    if len(names) > MAX_SKILL_ITEMS:
        return _("At most %(count)s skills exam items.", count=MAX_SKILL_ITEMS)
    reserved = {str(label).strip() for _key, label in FIXED_COLUMNS} | {str(label._args[0]) for _key, label
                                                                       in FIXED_COLUMNS}
    clash = [name for name in names if name in reserved]
    if clash:
        return _("“%(name)s” is a column of the score template and cannot be a skills exam item.", name=clash[0])
    if program != Program.RESIDENCY:
        return None
    if not any(name == CPR_NAME and mandatory for (name, mandatory) in zip(names, (m for _n, m in items))):
        return _("A residency batch must have the mandatory skills exam item “%(name)s” (tick “Mandatory”).",
                 name=CPR_NAME)
    if len(names) < 2:
        return _("Add at least one more skills exam item besides “%(name)s”.", name=CPR_NAME)
    return None


BLANK, NOT_NUMBER, OUT_OF_RANGE, TOO_PRECISE = "blank", "not_number", "out_of_range", "too_precise"


NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_score(value) -> tuple[Decimal | None, str | None]:
    """(score, None) for a valid cell, else (None, one of the error codes above)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, BLANK
    if isinstance(value, bool):
        return None, NOT_NUMBER
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, NOT_NUMBER
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not NUMBER_RE.match(text):
            return None, NOT_NUMBER
        number = Decimal(text)
    else:
        return None, NOT_NUMBER
    if not SCORE_MIN <= number <= SCORE_MAX:
        return None, OUT_OF_RANGE
    if number != number.quantize(TWO_PLACES):
        return None, TOO_PRECISE
    return number.quantize(TWO_PLACES), None


def parse_application_id(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and unicodedata.normalize("NFKC", value).strip().isdigit():
        text = unicodedata.normalize("NFKC", value).strip()
        if len(text) > 18:  # past any id (and int() refuses 4,300 digits)
            return None
        number = int(text)
    else:
        return None
    return number if 0 < number <= MAX_INT else None


def score_message(code: str, column: str) -> str:
    return {
        BLANK: _("%(column)s is empty.", column=column),
        NOT_NUMBER: _("%(column)s is not a number.", column=column),
        OUT_OF_RANGE: _("%(column)s must be between 0 and 100.", column=column),
        TOO_PRECISE: _("%(column)s has more than two decimal places.", column=column),
    }[code]


__all__ = ['ABSENT_COLUMN', 'ABSENT_LABEL', 'ABSENT_MARKS', 'BLANK', 'CPR_NAME', 'FIRST_COLUMN', 'FIXED_COLUMNS', 'ID_COLUMN', 'ID_NUMBER_COLUMN', 'MAX_SKILL_ITEMS', 'NAME_COLUMN', 'NOT_NUMBER', 'NUMBER_RE', 'OUT_OF_RANGE', 'SCORE_MAX', 'SCORE_MIN', 'SECOND_COLUMN', 'THEORY_COLUMN', 'TOO_PRECISE', 'TWO_PLACES', 'combined_score', 'exam_window_error', 'formula_text', 'parse_application_id', 'parse_score', 'score_message', 'skill_items_error', 'skills_score_of', 'weight_text', 'weights_error']
