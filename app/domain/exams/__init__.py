"""Residency exam arrangements (考试安排): rooms, the 准考证 window, skills items per specialty, seats.

The rules in one place:

- 考试地点及考务工作由各住培基地负责确定并组织实施 (the plan): each base sets, per batch, its
  theory-exam rooms (考场: name, address, 1–``MAX_ROOM_CAPACITY`` seats, invigilators) and the days
  on which its applicants may download the 准考证 (first and last day inclusive, China time). The
  province may set a default window on the batch; the window in force is the base's own, else the
  batch's (``card_window``). A room's capacity may be changed, never below the seats already given
  in it.
- 技能考试各专业基地必考项为单人徒手心肺复苏，各专业基地结合专业特点至少再选择一项: each
  specialty of the base (the specialties the batch gives it places in) has CPR plus at least one
  item of its own. An applicant is examined in the items of the first specialty choice.
- Allocation gives every applicant of the base confirmed on site (and everyone later in the
  process) an exam number and a seat. Numbers already issued are kept; the new ones, in application
  order, take the next sequence numbers and the lowest free seats, rooms in the order they were
  added. If the free seats do not suffice, nothing is allocated and the shortfall is named.
- The exam number (准考证号) is ``<batch year><batch id, ≥3 digits><base id, ≥4 digits><sequence,
  ≥4 digits>``, e.g. ``2024 001 0007 0012`` → ``202400100070012`` (the 12th number of base 7 in
  batch 1 of 2024); unique (a database constraint).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.domain.admission.publication import results_published
from app.domain.scores.rules import CPR_NAME, MAX_SKILL_ITEMS, skill_items_error
from app.domain.workflow import states
from app.extensions import db
from app.i18n import cn_date, cn_datetime
from models import Application, ApplicationChoice, Batch, Quota, Specialty, TrainingBase
from models.clock import now
from models.enums import Program
from models.exam import MAX_ROOM_CAPACITY, ExamPlan, ExamRoom, ExamSeat, SpecialtySkillItem

NAME_MAX, ADDRESS_MAX, INVIGILATORS_MAX = 50, 200, 200
ITEM_SEPARATORS = re.compile(r"[、,，;；\n\r]+")


class ExamError(ValueError):
    """A refused arrangement; ``str(error)`` is the Chinese message, ``field`` the form field concerned."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _clean(value, limit: int) -> str:
    return "".join(ch for ch in str(value or "") if ch.isprintable()).strip()[:limit + 1]


# --- rooms ------------------------------------------------------------------------------------------

def parse_capacity(raw) -> int:
    """A whole number of seats, 1–``MAX_ROOM_CAPACITY``; a control character (NUL) makes it no number."""
    text = _clean(raw, 20)
    if not text:
        raise ExamError(_("Please enter the room's capacity."), "capacity")
    if not re.fullmatch(r"[+-]?\d{1,18}", text) or not str(raw).strip().isprintable():
        raise ExamError(_("The capacity must be a whole number."), "capacity")
    number = int(text)
    if number <= 0:
        raise ExamError(_("The capacity must be greater than 0."), "capacity")
    if number > MAX_ROOM_CAPACITY:
        raise ExamError(_("A room holds at most %(count)s candidates.", count=MAX_ROOM_CAPACITY), "capacity")
    return number


def add_room(batch: Batch, base: TrainingBase, name, address, capacity, invigilators) -> ExamRoom:
    """A new room of ``base`` in ``batch``; ``ExamError`` for a missing or too long value, a capacity
    outside 1–``MAX_ROOM_CAPACITY`` or a name the base already uses."""
    name, address, invigilators = _clean(name, NAME_MAX), _clean(address, ADDRESS_MAX), _clean(invigilators,
                                                                                              INVIGILATORS_MAX)
    if not name:
        raise ExamError(_("Please enter the room's name."), "name")
    if len(name) > NAME_MAX:
        raise ExamError(_("At most %(count)s characters.", count=NAME_MAX), "name")
    if not address:
        raise ExamError(_("Please enter the room's address."), "address")
    if len(address) > ADDRESS_MAX:
        raise ExamError(_("At most %(count)s characters.", count=ADDRESS_MAX), "address")
    if len(invigilators) > INVIGILATORS_MAX:
        raise ExamError(_("At most %(count)s characters.", count=INVIGILATORS_MAX), "invigilators")
    seats = parse_capacity(capacity)
    taken = db.session.scalar(select(ExamRoom.id).where(ExamRoom.batch_id == batch.id, ExamRoom.base_id == base.id,
                                                        ExamRoom.name == name))
    if taken:
        raise ExamError(_("The base already has a room named “%(name)s”.", name=name), "name")
    room = ExamRoom(batch_id=batch.id, base_id=base.id, name=name, address=address, capacity=seats,
                    invigilators=invigilators)
    db.session.add(room)
    db.session.flush()
    return room


def set_capacity(room: ExamRoom, raw) -> ExamRoom:
    """Change the capacity of ``room``: 1–``MAX_ROOM_CAPACITY`` and not below the seats already given in
    it (seat numbers run up to the capacity); ``ExamError`` otherwise, with nothing changed."""
    seats = parse_capacity(raw)
    seated = db.session.scalar(select(func.count()).select_from(ExamSeat).where(ExamSeat.room_id == room.id)) or 0
    highest = db.session.scalar(select(func.max(ExamSeat.seat_no)).where(ExamSeat.room_id == room.id)) or 0
    if seats < seated:
        raise ExamError(_("“%(name)s” already has %(count)s candidates seated; its capacity cannot be less than "
                          "%(count)s.", name=room.name, count=seated), "capacity")
    if seats < highest:
        raise ExamError(_("Seat %(seat)s of “%(name)s” is taken; its capacity cannot be less than %(seat)s.",
                          name=room.name, seat=highest), "capacity")
    room.capacity = seats
    db.session.flush()
    return room


def delete_room(room: ExamRoom) -> None:
    """Remove a room nobody is seated in; ``ExamError`` otherwise."""
    seated = db.session.scalar(select(func.count()).select_from(ExamSeat).where(ExamSeat.room_id == room.id))
    if seated:
        raise ExamError(_("“%(name)s” already has %(count)s candidates seated; it cannot be removed.",
                          name=room.name, count=seated))
    db.session.delete(room)


def rooms(batch: Batch, base: TrainingBase) -> list[ExamRoom]:
    return list(db.session.scalars(select(ExamRoom).where(ExamRoom.batch_id == batch.id, ExamRoom.base_id == base.id)
                                   .order_by(ExamRoom.id)))


def room_of(batch: Batch, base: TrainingBase, room_id: int | None) -> ExamRoom | None:
    """The room ``room_id`` if it is one of ``base``'s in ``batch`` (another base's room is None)."""
    if not room_id:
        return None
    room = db.session.get(ExamRoom, room_id)
    return room if room is not None and room.batch_id == batch.id and room.base_id == base.id else None


def seated_counts(batch: Batch, base: TrainingBase) -> dict[int, int]:
    """Seats taken per room id (one grouped query)."""
    rows = db.session.execute(select(ExamSeat.room_id, func.count()).where(
        ExamSeat.batch_id == batch.id, ExamSeat.base_id == base.id).group_by(ExamSeat.room_id))
    return dict(rows.all())


# --- the 准考证 window ----------------------------------------------------------------------------------

def plan_of(batch_id: int, base_id: int | None) -> ExamPlan | None:
    if base_id is None:
        return None
    return db.session.scalar(select(ExamPlan).where(ExamPlan.batch_id == batch_id, ExamPlan.base_id == base_id))


@dataclass(frozen=True)
class CardWindow:
    """The days (inclusive) the 准考证 can be downloaded, and whether they are the base's own."""

    opens_on: date
    closes_on: date
    own: bool  # False: the province's default on the batch


def card_window(batch: Batch, plan: ExamPlan | None) -> CardWindow | None:
    """The window in force for a base: its own (``plan``), else the batch's default, else None."""
    if plan is not None:
        return CardWindow(plan.card_opens_on, plan.card_closes_on, True)
    if batch.card_opens_on is not None and batch.card_closes_on is not None:
        return CardWindow(batch.card_opens_on, batch.card_closes_on, False)
    return None


def clear_card_window(batch: Batch, base: TrainingBase) -> None:
    """The base gives up its own window: the batch's default applies again."""
    plan = plan_of(batch.id, base.id)
    if plan is not None:
        db.session.delete(plan)
        db.session.flush()


def set_card_window(batch: Batch, base: TrainingBase, opens_on: date | None, closes_on: date | None) -> ExamPlan:
    if opens_on is None or closes_on is None:
        raise ExamError(_("Please enter the first and the last day of the download window."), "card_window")
    if closes_on < opens_on:
        raise ExamError(_("The last day of the window cannot be before its first day."), "card_window")
    plan = plan_of(batch.id, base.id) or ExamPlan(batch_id=batch.id, base_id=base.id)
    plan.card_opens_on, plan.card_closes_on = opens_on, closes_on
    db.session.add(plan)
    db.session.flush()
    return plan


# --- skills items per specialty -------------------------------------------------------------------------

def base_specialties(batch: Batch, base: TrainingBase) -> list[Specialty]:
    """The specialties of ``base`` that ``batch`` gives places to (its quotas), by code."""
    return list(db.session.scalars(select(Specialty).join(Quota, Quota.specialty_id == Specialty.id)
                                   .where(Quota.batch_id == batch.id, Quota.base_id == base.id)
                                   .order_by(Specialty.code)))


def parse_skill_items(text) -> list[str]:
    """Item names typed in one box, separated by 、 , ; or new lines."""
    raw = "".join(ch for ch in str(text or "")[:2000] if ch.isprintable() or ch in "\r\n")
    return [name.strip() for name in ITEM_SEPARATORS.split(raw) if name.strip()]


def skill_set_error(names: list[str]) -> str | None:
    """Why a specialty's item set cannot be saved: 必考项为单人徒手心肺复苏 … 至少再选择一项."""
    if CPR_NAME not in names:
        return _("The skills items must include the mandatory item “%(name)s”.", name=CPR_NAME)
    if len(names) < 2:
        return _("Choose at least one more skills item besides “%(name)s” for this specialty.", name=CPR_NAME)
    if any(len(name) > NAME_MAX for name in names):
        return _("A skills item's name has at most %(count)s characters.", count=NAME_MAX)
    if len(names) > MAX_SKILL_ITEMS:
        return _("At most %(count)s skills exam items.", count=MAX_SKILL_ITEMS)
    return skill_items_error(Program.RESIDENCY, [(name, True) for name in names])


def set_skill_items(batch: Batch, base: TrainingBase, specialty: Specialty, names: list[str]) -> None:
    """Replace the items of ``specialty`` at ``base``; CPR is stored first."""
    if specialty.id not in {s.id for s in base_specialties(batch, base)}:
        raise ExamError(_("This specialty has no places at the base in this batch."))
    problem = skill_set_error(names)
    if problem:
        raise ExamError(problem, f"items-{specialty.id}")
    ordered = [CPR_NAME] + [name for name in names if name != CPR_NAME]
    for item in db.session.scalars(select(SpecialtySkillItem).where(
            SpecialtySkillItem.batch_id == batch.id, SpecialtySkillItem.base_id == base.id,
            SpecialtySkillItem.specialty_id == specialty.id)):
        db.session.delete(item)
    db.session.flush()
    db.session.add_all(SpecialtySkillItem(batch_id=batch.id, base_id=base.id, specialty_id=specialty.id, name=name,
                                          position=position) for position, name in enumerate(ordered))
    db.session.flush()


# --- allocation --------------------------------------------------------------------------------------------

def exam_number(batch: Batch, base_id: int, sequence: int) -> str:
    return f"{batch.year}{batch.id:03d}{base_id:04d}{sequence:04d}"


@dataclass
class Allocation:
    issued: int  # numbers issued by this run
    total: int  # applicants with a number now


def applicants_query(batch: Batch, base: TrainingBase):
    """The base's applications that sit the exam: confirmed on site, or later in the process."""
    return select(Application).where(Application.batch_id == batch.id, Application.base_id == base.id,
                                     Application.status.in_(states.CONFIRMED_OR_LATER))


def allocate(batch: Batch, base: TrainingBase) -> Allocation:
    """Give each applicant of ``base`` without a number the next number and the lowest free seat.

    All or nothing: ``ExamError`` naming the shortfall when the rooms' free seats do not suffice."""
    seated = set(db.session.scalars(select(ExamSeat.application_id).where(
        ExamSeat.batch_id == batch.id, ExamSeat.base_id == base.id)))
    waiting = [a for a in db.session.scalars(applicants_query(batch, base).with_only_columns(Application.id)
                                             .order_by(Application.id)) if a not in seated]
    free = _free_seats(batch, base)
    if len(waiting) > len(free):
        raise ExamError(_("Not enough seats: %(waiting)s applicants are waiting for a seat but only %(free)s seats "
                          "are free; add rooms or seats for %(short)s more. Nothing was allocated.",
                          waiting=len(waiting), free=len(free), short=len(waiting) - len(free)), "allocate")
    sequence = db.session.scalar(select(func.coalesce(func.max(ExamSeat.sequence), 0)).where(
        ExamSeat.batch_id == batch.id, ExamSeat.base_id == base.id))
    moment = now()
    for application_id, (room_id, seat_no) in zip(waiting, free):
        sequence += 1
        db.session.add(ExamSeat(application_id=application_id, batch_id=batch.id, base_id=base.id, room_id=room_id,
                                seat_no=seat_no, sequence=sequence, exam_number=exam_number(batch, base.id, sequence),
                                issued_at=moment))
    db.session.flush()
    return Allocation(issued=len(waiting), total=len(seated) + len(waiting))


def _free_seats(batch: Batch, base: TrainingBase) -> list[tuple[int, int]]:
    """(room id, seat number) of every free seat, rooms in the order they were added, seats ascending."""
    taken: dict[int, set[int]] = {}
    for room_id, seat_no in db.session.execute(select(ExamSeat.room_id, ExamSeat.seat_no).where(
            ExamSeat.batch_id == batch.id, ExamSeat.base_id == base.id)):
        taken.setdefault(room_id, set()).add(seat_no)
    return [(room.id, number) for room in rooms(batch, base) for number in range(1, room.capacity + 1)
            if number not in taken.get(room.id, set())]


def allocation_counts(batch: Batch, base: TrainingBase) -> list[tuple[str, int, int, int, int]]:
    """(first-choice specialty, applicants sitting the exam, with a seat, with a theory score, absent (缺考))
    — one grouped query."""
    stmt = (applicants_query(batch, base)
            .join(ApplicationChoice, (ApplicationChoice.application_id == Application.id)
                  & (ApplicationChoice.rank == 1))
            .join(Specialty, Specialty.id == ApplicationChoice.specialty_id)
            .outerjoin(ExamSeat, ExamSeat.application_id == Application.id)
            .with_only_columns(Specialty.name, func.count(Application.id), func.count(ExamSeat.id),
                               func.count(Application.theory_score),
                               func.count(case((Application.exam_absent.is_(True), 1))))
            .group_by(Specialty.code, Specialty.name).order_by(Specialty.code))
    return [tuple(row) for row in db.session.execute(stmt)]


def seat_of(application: Application) -> ExamSeat | None:
    return db.session.scalar(select(ExamSeat).where(ExamSeat.application_id == application.id)
                             .options(db.joinedload(ExamSeat.room)))


def room_roster(room: ExamRoom) -> list[ExamSeat]:
    """The seats of ``room`` in seat order, with applicant, trainee and choices loaded (fixed queries)."""
    return list(db.session.scalars(
        select(ExamSeat).where(ExamSeat.room_id == room.id).order_by(ExamSeat.seat_no)
        .options(db.joinedload(ExamSeat.application).joinedload(Application.trainee),
                 db.joinedload(ExamSeat.application).selectinload(Application.choices)
                 .joinedload(ApplicationChoice.specialty))).unique())


def first_choice(application: Application) -> Specialty | None:
    return next((c.specialty for c in sorted(application.choices, key=lambda c: c.rank)), None)


# --- the trainee's 准考证 ------------------------------------------------------------------------------------

def card_refusal(application: Application, seat: ExamSeat | None, window: CardWindow | None,
                 today: date) -> str | None:
    """Why the trainee cannot download the 准考证 today, or ``None``: "Trainees download it only inside a
    window set by the base" — the base's own window, else the province's default on the batch (first
    and last day included)."""
    if application.batch.program != Program.RESIDENCY or seat is None:
        return _("You have no exam number yet; the training base allocates them after on-site confirmation.")
    if window is None:
        return _("The training base has not yet set when the admission ticket can be downloaded.")
    if today < window.opens_on:
        return _("The admission ticket can be downloaded from %(date)s.", date=cn_date(window.opens_on))
    if today > window.closes_on:
        return _("The admission ticket download closed on %(date)s.", date=cn_date(window.closes_on))
    return None


def theory_exam_text(batch: Batch) -> str:
    """The unified theory exam's time as the trainee reads it, e.g. ``2024年5月25日 09:00–11:00``."""
    starts, ends = batch.theory_exam_starts_at, batch.theory_exam_ends_at
    if starts is None:
        return ""
    if ends is None:
        return cn_datetime(starts)
    if ends.date() == starts.date():
        return f"{cn_datetime(starts)}–{ends:%H:%M}"
    return f"{cn_datetime(starts)} – {cn_datetime(ends)}"


# --- the score line after admission ------------------------------------------------------------------------

def score_lines(batch: Batch, base_id: int | None, base_published: bool | None = None) -> list[tuple[str, object, int]]:
    """(specialty, lowest combined score admitted (最低录取分), number admitted) of a base, once the batch's
    admission is published (by the province, or by the base for its own); empty before (one grouped query).
    ``base_published``: whether the base published its own, when the caller already knows."""
    if base_id is None:
        return []
    if base_published is None:
        published = results_published(batch, base_id)
    else:
        published = batch.admission_published_at is not None or base_published
    if not published:
        return []
    stmt = (select(Specialty.name, func.min(Application.combined_score), func.count(Application.id))
            .join(Application, Application.admitted_specialty_id == Specialty.id)
            .where(Application.batch_id == batch.id, Application.base_id == base_id,
                   Application.status.in_(states.ADMITTED))
            .group_by(Specialty.code, Specialty.name).order_by(Specialty.code))
    return [tuple(row) for row in db.session.execute(stmt)]
