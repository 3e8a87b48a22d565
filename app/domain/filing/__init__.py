"""The professional master's filing (专硕备案) of the 2024 recruitment plan (七、其他事宜).

The rules in one place:

- A university administrator files the year's 临床医学 (not 中医) and 口腔医学 professional master's
  students of their own university: name, ID number (the GB 11643 check), major, enrolment year,
  base and specialty. An ID number is filed once a year.
- Filing is open until the year's deadline, inclusive (``FilingDeadline``; 8-10 when the year has
  none: "于 2024 年 8 月 10 日前…报我委备案"). After it the filing is closed; the province may reopen
  it for one university until a day, with a reason (audited); what is filed then is marked late.
- A university outside Henan is refused ("各住培基地不得接收外省专硕研究生").
- A base in another city than the university's is refused unless the province approved the
  university's cross-city training for the year ("各高校若有在省内跨市培养专硕研究生需求的，应报我委审核").
- A base may flag a filing it cannot take, with a reason; the province sees the flag.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.validators import IdNumberError, check_id_number, typed_text_problem
from models import CrossCityApproval, FilingDeadline, FilingReopening, MasterFiling, Role, Specialty, TrainingBase
from models.clock import now
from models.enums import ApprovalState, MasterMajor

DEFAULT_DEADLINE = (8, 10)  # month, day
MAX_NAME = 50
MAX_REASON = 200
ENROLMENT_YEARS_BACK = 3  # a professional master's programme lasts three years
PROVINCE_ROLES = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
TCM_WORDS = ("中医", "中西医", "针灸", "推拿", "中药", "民族医")
MAJOR_WORDS = {MasterMajor.CLINICAL: ("clinical", "临床医学", "临床"), MasterMajor.DENTAL: ("dental", "口腔医学", "口腔")}


class FilingError(ValueError):
    """A filing or decision that is refused; ``field`` names the form field, the message is Chinese."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- the window -----------------------------------------------------------------------------------

def deadline_of(year: int) -> date:
    """The year's filing deadline: the setting, else 8-10."""
    row = db.session.get(FilingDeadline, year)
    return row.deadline if row else date(year, *DEFAULT_DEADLINE)


@dataclass(frozen=True)
class Window:
    """Whether a university may file for a year today: open, late (in a reopening) or closed."""

    deadline: date
    reopened_until: date | None

    def is_open(self, today: date) -> bool:
        return today <= self.deadline or self.is_late(today)

    def is_late(self, today: date) -> bool:
        return today > self.deadline and self.reopened_until is not None and today <= self.reopened_until


def window(university_id: int, year: int) -> Window:
    until = db.session.scalar(select(FilingReopening.until).where(
        FilingReopening.university_id == university_id, FilingReopening.year == year)
        .order_by(FilingReopening.until.desc()).limit(1))
    return Window(deadline_of(year), until)


def closed_message(win: Window) -> str:
    return _("The filing closed on %(deadline)s (各高校于 8 月 10 日前报我委备案，逾期不报，所培养的专业硕士研究生不得进入"
             "住培系统). A late filing needs the province to reopen it.", deadline=win.deadline.isoformat())


# --- one row's fields -----------------------------------------------------------------------------

def parse_major(text: str) -> str:
    """The stored major for a typed or chosen one; ``FilingError`` for 中医 and unknown majors."""
    text = (text or "").strip()
    if any(word in text for word in TCM_WORDS):
        raise FilingError(_("Traditional Chinese medicine majors are not filed: only clinical medicine (excluding "
                            "traditional Chinese medicine) and stomatology (临床医学（不含中医）类、口腔医学类)."), "major")
    for value, words in MAJOR_WORDS.items():
        if text in words:
            return value
    raise FilingError(_("Choose the major: clinical medicine or stomatology."), "major")


def parse_name(text: str) -> str:
    name = (text or "").strip()
    if not name:
        raise FilingError(_("Enter the student's name."), "name")
    problem = typed_text_problem(name) or (
        _("The text may not start with =, +, - or @.") if name.startswith(("=", "+", "-", "@")) else None)
    if problem:
        raise FilingError(problem, "name")
    if len(name) > MAX_NAME:
        raise FilingError(_("The name is longer than %(count)s characters.", count=MAX_NAME), "name")
    return name


def parse_id_number(text: str) -> str:
    try:
        return check_id_number(text)
    except IdNumberError as error:
        raise FilingError(str(error), "id_number") from None


def parse_enrolment_year(text, year: int) -> int:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not year - ENROLMENT_YEARS_BACK < value <= year:
        raise FilingError(_("The enrolment year must be between %(first)s and %(last)s.",
                            first=year - ENROLMENT_YEARS_BACK + 1, last=year), "enrolment_year")
    return value


# --- the rules about the university and the base ----------------------------------------------------

@dataclass
class FilingContext:
    """What the rules need about one university's year, loaded once (an import checks many rows)."""

    university: object
    year: int
    cross_city_approved: bool
    filed_numbers: set[str]  # ID numbers already filed this year, by any university


def load_context(university, year: int) -> FilingContext:
    approved = db.session.scalar(select(CrossCityApproval.id).where(
        CrossCityApproval.university_id == university.id, CrossCityApproval.year == year,
        CrossCityApproval.state == ApprovalState.APPROVED)) is not None
    numbers = set(db.session.scalars(select(MasterFiling.id_number).where(MasterFiling.year == year)))
    return FilingContext(university, year, approved, numbers)


def university_problem(university) -> str | None:
    if not university.in_henan:
        return _("Universities outside the province cannot file: bases may not take professional master's students "
                 "of universities outside Henan (各住培基地不得接收外省专硕研究生).")
    return None


def base_problem(context: FilingContext, base: TrainingBase, specialty: Specialty) -> str | None:
    if not base.trains_residency:
        return _("%(base)s is not a residency training base.", base=base.name)
    if base.city_id != context.university.city_id and not context.cross_city_approved:
        return _("%(base)s is in another city than the university: training in another city needs the province's "
                 "approval first (跨市培养…应报我委审核，经我委同意后，方可安排). Request it under cross-city training.",
                 base=base.name)
    offered = base.specialties
    if offered and specialty not in offered:
        return _("%(base)s does not train %(specialty)s.", base=base.name, specialty=specialty.name)
    return None


def check_filing(context: FilingContext, fields: dict, base, specialty) -> dict:
    """The row's stored values, or ``FilingError`` for its first problem."""
    values = {"name": parse_name(fields.get("name")), "id_number": parse_id_number(fields.get("id_number")),
              "major": parse_major(fields.get("major")),
              "enrolment_year": parse_enrolment_year(fields.get("enrolment_year"), context.year)}
    if base is None:
        raise FilingError(_("Choose a training base."), "base_id")
    if specialty is None:
        raise FilingError(_("Choose a specialty."), "specialty_id")
    problem = base_problem(context, base, specialty)
    if problem:
        raise FilingError(problem, "base_id")
    if values["id_number"] in context.filed_numbers:
        raise FilingError(_("This ID number is already filed for %(year)s.", year=context.year), "id_number")
    return values


def ensure_open(context: FilingContext, today: date) -> Window:
    problem = university_problem(context.university)
    if problem:
        raise FilingError(problem)
    win = window(context.university.id, context.year)
    if not win.is_open(today):
        raise FilingError(closed_message(win))
    return win


def file_student(actor, year: int, fields: dict) -> MasterFiling:
    """File one student of ``actor``'s university (the caller commits); ``FilingError`` says why not."""
    if actor.role != Role.UNIVERSITY:
        raise FilingError(_("Only a university administrator files professional master's students."))
    context = load_context(actor.university, year)
    today = now().date()
    win = ensure_open(context, today)
    base = db.session.get(TrainingBase, fields.get("base_id")) if fields.get("base_id") else None
    specialty = db.session.get(Specialty, fields.get("specialty_id")) if fields.get("specialty_id") else None
    values = check_filing(context, fields, base, specialty)
    filing = MasterFiling(year=year, university_id=context.university.id, base_id=base.id, specialty_id=specialty.id,
                          late=win.is_late(today), filed_by_id=actor.id, **values)
    db.session.add(filing)
    db.session.flush()
    return filing


# --- decisions -------------------------------------------------------------------------------------

def _reason(text: str, required: bool = True) -> str:
    reason = (text or "").strip()
    if required and not reason:
        raise FilingError(_("Give the reason."), "reason")
    problem = typed_text_problem(reason)
    if problem:
        raise FilingError(problem, "reason")
    if len(reason) > MAX_REASON:
        raise FilingError(_("The reason is longer than %(count)s characters.", count=MAX_REASON), "reason")
    return reason


def request_cross_city(actor, year: int, reason: str) -> CrossCityApproval:
    """The university asks the province to approve its cross-city training in ``year``."""
    if actor.role != Role.UNIVERSITY:
        raise FilingError(_("Only a university administrator requests cross-city training."))
    problem = university_problem(actor.university)
    if problem:
        raise FilingError(problem)
    reason = _reason(reason)
    row = db.session.scalar(select(CrossCityApproval).where(
        CrossCityApproval.university_id == actor.university_id, CrossCityApproval.year == year))
    if row is not None and row.state != ApprovalState.REFUSED:
        raise FilingError(_("A request for %(year)s is already %(state)s.", year=year,
                            state=ApprovalState.label(row.state)))
    if row is None:
        row = CrossCityApproval(university_id=actor.university_id, year=year)
        db.session.add(row)
    row.state, row.request_reason, row.requested_by_id, row.requested_at = (
        ApprovalState.PENDING, reason, actor.id, now())
    row.decision_reason = row.decided_by_id = row.decided_at = None
    db.session.flush()
    return row


def decide_cross_city(actor, approval: CrossCityApproval | None, approve: bool, reason: str) -> None:
    """The province approves or refuses a pending request, with a reason (audited)."""
    if actor.role not in PROVINCE_ROLES:
        raise FilingError(_("Only the province approves cross-city training."))
    if approval is None or approval.state != ApprovalState.PENDING:
        raise FilingError(_("This request is not awaiting approval (it may have been decided already)."))
    approval.decision_reason = _reason(reason)
    approval.state = ApprovalState.APPROVED if approve else ApprovalState.REFUSED
    approval.decided_by_id, approval.decided_at = actor.id, now()


def reopen(actor, university, year: int, until: date | None, reason: str) -> FilingReopening:
    """The province reopens ``university``'s filing of ``year`` until ``until`` (audited, with a reason)."""
    if actor.role not in PROVINCE_ROLES:
        raise FilingError(_("Only the province reopens a closed filing."))
    if university is None:
        raise FilingError(_("Choose a university."), "university_id")
    if until is None or until < now().date():
        raise FilingError(_("Choose a day from today on until which the filing is reopened."), "until")
    row = FilingReopening(university_id=university.id, year=year, until=until, reason=_reason(reason),
                          created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def flag(actor, filing: MasterFiling | None, reason: str) -> None:
    """The base says it cannot take a student filed to it, with a reason."""
    if actor.role != Role.BASE_STAFF or filing is None or filing.base_id != actor.base_id:
        raise FilingError(_("This filing is not one of your base's."))
    filing.flag_reason = _reason(reason)
    filing.flagged_at = now()


def set_deadline(actor, year: int, deadline: date | None) -> None:
    if actor.role not in PROVINCE_ROLES:
        raise FilingError(_("Only the province sets the filing deadline."))
    if deadline is None or deadline.year != year:
        raise FilingError(_("Choose a day of %(year)s.", year=year), "deadline")
    row = db.session.get(FilingDeadline, year)
    if row is None:
        db.session.add(FilingDeadline(year=year, deadline=deadline))
    else:
        row.deadline = deadline


def filed_master(id_number: str | None, year: int | None = None) -> dict | None:
    """The latest filing of an ID number (the eligibility rule's fact), or None."""
    if not id_number:
        return None
    stmt = select(MasterFiling).where(MasterFiling.id_number == id_number.upper())
    if year is not None:
        stmt = stmt.where(MasterFiling.enrolment_year > year - ENROLMENT_YEARS_BACK)
    row = db.session.scalar(stmt.order_by(MasterFiling.year.desc()).limit(1))
    return {"university": row.university.name, "year": row.year} if row else None
