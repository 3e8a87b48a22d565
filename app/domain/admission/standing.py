"""Where each residency application stands after on-site confirmation (现场确认), for the back
office's application list, its filters and its export: the exam seat (准考证号, room, seat), the
scores (or 缺考), the admission, the trainee's answer to the 录取通知, 报到, and the documents still
missing after acceptance (the signed agreement; a fresh graduate's diploma and degree by the deadline).

Read with a list page's rows (``app.domain.review.list_page``) or an export chunk (``standing_columns``,
joined to the applications' own statement, whatever the number of rows), and as conditions on
``Application`` for the list's filters (no query of their own). Scope is not here: every list is narrowed
by ``app.domain.access`` first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, exists, false

from app.domain.review.listing import in_program
from app.domain.workflow import states
from models import Acceptance, AdmissionNotice, Application, Specialty, Status, TrainingBase, TrainingRecord
from models.enums import Program
from models.exam import ExamRoom, ExamSeat

SEAT_VALUES = ("assigned", "unassigned")
SCORE_VALUES = ("entered", "absent", "missing")
NOT_ISSUED = "not_issued"
NOTICE_VALUES = (*Acceptance.values(), NOT_ISSUED)
REPORT_VALUES = ("reported", "waiting")
MISSING_VALUES = ("agreement", "diploma")


@dataclass(frozen=True)
class Standing:
    """One application after on-site confirmation (None: not reached, or not known yet)."""

    status: str
    exam_number: str | None
    room: str | None
    seat_no: int | None
    theory: Decimal | None
    skills: Decimal | None
    combined: Decimal | None
    absent: bool
    result: str
    admitted_base: str | None
    admitted_specialty: str | None
    acceptance: str | None  # None: no 录取通知 issued
    agreement_missing: str | None  # the AgreementKind not uploaded yet
    diploma_due: date | None  # set while a fresh graduate's diploma or degree is missing
    withdrawn: bool

    @property
    def admitted(self) -> bool:
        return self.status in states.ADMITTED

    @property
    def reported(self) -> bool:
        return self.status == Status.REPORTED

    @property
    def scored(self) -> bool:
        return self.theory is not None or self.skills is not None or self.combined is not None


def sits_exam():
    """Residency applications confirmed on site, or later in the process: they sit the exam."""
    return and_(in_program(Program.RESIDENCY), Application.status.in_(states.CONFIRMED_OR_LATER))


def standing_columns():
    """What a standing is made of, after the application's id: read with ``with_standing_joins``
    and turned into a ``Standing`` by ``standing_from``."""
    return (Application.status, ExamSeat.exam_number, ExamRoom.name, ExamSeat.seat_no, Application.theory_score,
            Application.skills_score, Application.combined_score, Application.exam_absent,
            Application.admission_result, TrainingBase.name, Specialty.name, AdmissionNotice.acceptance,
            TrainingRecord.agreement_kind, TrainingRecord.agreement_file_id, TrainingRecord.diploma_due,
            TrainingRecord.diploma_file_id, TrainingRecord.degree_file_id, TrainingRecord.withdrawn_at)


STANDING_WIDTH = 18  # len(standing_columns())


def with_standing_joins(statement, base=TrainingBase):
    """``statement`` (a select from ``Application``) joined to what ``standing_columns`` read; a caller
    that has joined the application's base already passes it as ``base``."""
    statement = (statement.outerjoin(ExamSeat, ExamSeat.application_id == Application.id)
                 .outerjoin(ExamRoom, ExamRoom.id == ExamSeat.room_id)
                 .outerjoin(Specialty, Specialty.id == Application.admitted_specialty_id))
    if base is not None:
        statement = statement.outerjoin(base, base.id == Application.base_id)
    return (statement.outerjoin(AdmissionNotice, and_(AdmissionNotice.application_id == Application.id,
                                                      AdmissionNotice.current.is_(True)))
            .outerjoin(TrainingRecord, TrainingRecord.application_id == Application.id))


def standing_from(values) -> Standing:
    """The ``Standing`` of the values of ``standing_columns`` (in that order)."""
    (status, number, room, seat, theory, skills, combined, absent, result, base, specialty, acceptance,
     kind, agreement_file, due, diploma_file, degree_file, withdrawn_at) = values
    active = kind is not None and withdrawn_at is None
    return Standing(
        status=status, exam_number=number, room=room, seat_no=seat, theory=theory, skills=skills,
        combined=combined, absent=bool(absent), result=result,
        admitted_base=base if specialty is not None else None, admitted_specialty=specialty,
        acceptance=acceptance, agreement_missing=kind if active and agreement_file is None else None,
        diploma_due=due if active and due is not None and (diploma_file is None or degree_file is None) else None,
        withdrawn=withdrawn_at is not None)


def sits_exam_values(program: str, status: str) -> bool:
    """``sits_exam`` of an application already read (its batch's program and its status)."""
    return program == Program.RESIDENCY and status in states.CONFIRMED_OR_LATER


def standing_index(attribute) -> int:
    """Where ``attribute`` (one of ``standing_columns``, such as the application's base's name) is among them."""
    return next(position for position, column in enumerate(standing_columns()) if column is attribute)


def standing_of(program: str, values) -> Standing | None:
    """The ``Standing`` of the values of ``standing_columns`` read for an application of ``program`` (the
    first of them is its status); None when it does not sit the exam."""
    return standing_from(values) if sits_exam_values(program, values[0]) else None


# --- the list's filters -------------------------------------------------------------------------------

def seat_condition(value: str):
    """准考证: a seat allocated, or sitting the exam without one yet."""
    seated = exists().where(ExamSeat.application_id == Application.id)
    return seated if value == "assigned" else and_(sits_exam(), ~seated)


def score_condition(value: str):
    """成绩: entered (some score), 缺考 (recorded absent), or not yet entered (neither)."""
    scored = (Application.theory_score.is_not(None) | Application.skills_score.is_not(None)
              | Application.combined_score.is_not(None))
    if value == "entered":
        return and_(sits_exam(), scored)
    if value == "absent":
        return and_(sits_exam(), Application.exam_absent.is_(True))
    return and_(sits_exam(), Application.exam_absent.is_(False), ~scored)


def notice_condition(value: str):
    """录取通知: the trainee's answer to the current notice, or admitted without a notice yet."""
    current = and_(AdmissionNotice.application_id == Application.id, AdmissionNotice.current.is_(True))
    if value == NOT_ISSUED:
        return and_(sits_exam(), Application.status.in_(states.ADMITTED), ~exists().where(current))
    if value not in Acceptance.values():
        return false()
    return and_(in_program(Program.RESIDENCY), exists().where(current, AdmissionNotice.acceptance == value))


def report_condition(value: str):
    """报到: reported, or admitted and not reported yet."""
    status = Status.REPORTED if value == "reported" else Status.ADMITTED
    return and_(in_program(Program.RESIDENCY), Application.status == status)


def missing_condition(value: str):
    """材料缺失: the signed agreement not uploaded, or a fresh graduate's diploma or degree missing (the
    same test as ``TrainingRecord.missing_graduation_documents``); withdrawn trainees are not listed."""
    record = and_(TrainingRecord.application_id == Application.id, TrainingRecord.withdrawn_at.is_(None))
    if value == "agreement":
        return exists().where(record, TrainingRecord.agreement_kind.is_not(None),
                              TrainingRecord.agreement_file_id.is_(None))
    return exists().where(record, TrainingRecord.diploma_due.is_not(None),
                          TrainingRecord.diploma_file_id.is_(None) | TrainingRecord.degree_file_id.is_(None))
