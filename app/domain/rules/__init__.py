"""Rules of eligibility and exemption: pure functions over a profile snapshot.

Nothing here imports Flask, Flask-Babel, SQLAlchemy or the models: a rule gets plain data (the
snapshot shape of ``app.domain.enrollment.snapshot``, plain dicts, ISO date strings, enumeration *values*) and a
reference date, and returns a list of :class:`RuleResult`. They are unit-tested without an app;
the portal shows them as a pre-check and reviewers see them on the application detail page.

Messages are English msgids with ``%(name)s`` placeholders, marked with :func:`N_` so that
``pybabel extract`` (``N_`` is one of Babel's default keywords, so the project's
``pybabel extract -F babel.cfg -k _l`` already collects them) puts them in the catalogue. They
are translated only when shown. The display helper in the view layer does::

    from flask_babel import gettext
    text = result.render(gettext)        # == gettext(result.message, **params), see below

i.e. ``gettext(result.message, **result.params)``, except that parameters whose key ends in
``_label`` hold msgids themselves (an enumeration's label such as ``"Secondary hospital"``) and
are translated first, so that facts like "当前工作单位为二级医院" come out Chinese too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, Iterable


def N_(message: str) -> str:
    """Mark ``message`` as a msgid for extraction; it is translated later, when shown."""
    return message


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule.

    ``code``: a stable identifier of the rule (see the modules for the list);
    ``passed``: whether the data satisfy it;
    ``message``: an English msgid with ``%(name)s`` placeholders, saying the facts found and what is required;
    ``params``: the placeholder values (plain JSON values; keys ending in ``_label`` hold msgids);
    ``hard``: hard rules block submission when failed; flags (``hard=False``) only inform the reviewer.
    """

    code: str
    passed: bool
    message: str
    params: dict = field(default_factory=dict, hash=False)
    hard: bool = True

    def to_json(self) -> dict:
        return {"code": self.code, "passed": self.passed, "message": self.message,
                "params": dict(self.params), "hard": self.hard}

    @classmethod
    def from_json(cls, data: dict) -> "RuleResult":
        return cls(code=data["code"], passed=bool(data["passed"]), message=data["message"],
                   params=dict(data.get("params") or {}), hard=bool(data.get("hard", True)))

    def render(self, translate: Callable[..., str] | None = None) -> str:
        """The message with its parameters filled in.

        ``translate`` is a gettext-like callable, ``translate(msgid, **variables)`` (Flask-Babel's
        ``gettext``); without one the English msgid is filled in as is.
        """
        if translate is None:  # English, for logs and tests: values as stored
            return self.message % self.params if self.params else self.message
        params = {key: _shown(key, value, translate) for key, value in self.params.items()}
        return translate(self.message, **params)


ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _shown(key: str, value, translate):
    """A parameter as the Chinese message shows it: labels translated, ISO dates as 2020年5月1日."""
    if isinstance(value, str) and key.endswith("_label") and value:
        return translate(value)
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, str) and (match := ISO_DATE.match(value)):
        year, month, day = (int(part) for part in match.groups())
        return f"{year}年{month}月{day}日"
    return value


def results_to_json(results: Iterable[RuleResult]) -> list[dict]:
    return [result.to_json() for result in results]


def results_from_json(data: Iterable[dict] | None) -> list[RuleResult]:
    return [RuleResult.from_json(item) for item in data or []]


def all_passed(results: Iterable[RuleResult]) -> bool:
    """True when every hard rule passed (flags never block)."""
    return all(result.passed for result in results if result.hard)


# ---------------------------------------------------------------------------------------------
# Labels of the enumeration values the messages mention. The msgids are the ones models.enums uses
# (already in the catalogue); they are repeated here because models.enums imports Flask-Babel.

UNIT_LEVEL_LABELS = {
    "primary": N_("Primary care institution"),
    "secondary": N_("Secondary hospital"),
    "tertiary": N_("Tertiary hospital"),
    "other": N_("Other"),
}
TITLE_LABELS = {
    "resident": N_("Resident physician"),
    "attending": N_("Attending physician"),
    "associate_chief": N_("Associate chief physician"),
    "chief": N_("Chief physician"),
    "other": N_("Other"),
}
TITLE_GRADE_LABELS = {
    "none": N_("No title"),
    "junior": N_("Junior"),
    "intermediate": N_("Intermediate"),
    "associate_senior": N_("Associate senior"),
    "senior": N_("Senior"),
}
EDUCATION_LEVEL_LABELS = {
    "junior_college": N_("Junior college"),
    "bachelor": N_("Bachelor"),
    "master": N_("Master"),
    "doctor": N_("Doctor"),
}
PRACTICE_CATEGORY_LABELS = {
    "clinical": N_("Clinical"),
    "dental": N_("Dental"),
    "public_health": N_("Public health"),
    "tcm": N_("Traditional Chinese medicine"),
}
NOT_RECORDED = N_("not recorded")

# ---------------------------------------------------------------------------------------------
# Small helpers on plain data, shared by the rule modules.


def parse_date(value: Any) -> date | None:
    """An ISO ``YYYY-MM-DD`` string (or a date) as a date; anything else as None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def months_between(start: date, end: date) -> tuple[int, int]:
    """Whole calendar months from ``start`` to ``end`` and the days left over (``end`` exclusive)."""
    if end <= start:
        return 0, 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days
