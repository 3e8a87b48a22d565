"""Residency ranked admission (住培录取): the pure ranking engine and its database layer.

The engine (``Applicant``, ``rank_key``, ``run``, ``explain``) imports neither Flask nor the
database. Applicants are taken in combined-score order (higher first), ties broken by the
batch's published tie-break list (``Batch.tie_break``, e.g. ``"theory,skills,submitted_at"``)
and finally by the application number; each is placed in the first of their ordered specialty
choices that still has a free seat at their chosen base. This serial dictatorship gives the
resident-optimal stable matching of the hospital–resident problem in which every (base,
specialty) ranks applicants by that one common order (tests/test_admission.py checks it against
the ``matching`` package).

Explanations are English msgids with ``%(name)s`` placeholders (``Message``), translated only
when shown, like ``app.domain.rules.RuleResult``: ``message.render(gettext)``.

The database layer (``plan`` / ``publish``) loads a batch's candidates with a handful of
queries and writes all results in one transaction through ``app.domain.workflow.transition_many``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable, Container, Iterable, Mapping

# --- messages -------------------------------------------------------------------------------------


def N_(message: str) -> str:
    """Mark ``message`` as a msgid for extraction; it is translated later, when shown."""
    return message


@dataclass(frozen=True)
class Message:
    """An English msgid with parameters, rendered with a gettext-like callable when shown.

    Parameter values may be plain values, keys ending in ``_label`` hold msgids (translated
    first), a ``Message`` (rendered first) or a tuple of messages (rendered and joined by "；")."""

    message: str
    params: dict = field(default_factory=dict, hash=False)

    def render(self, translate: Callable[..., str] | None = None) -> str:
        if translate is None:
            def translate(msgid, **variables):
                return msgid % variables if variables else msgid
        params = {}
        for key, value in self.params.items():
            if isinstance(value, Message):
                value = value.render(translate)
            elif isinstance(value, tuple):
                value = "；".join(item.render(translate) for item in value)
            elif key.endswith("_label") and isinstance(value, str) and value:
                value = translate(value)
            params[key] = value
        return translate(self.message, **params)


# --- tie-break configuration ----------------------------------------------------------------------

TIE_BREAK_KEYS = ("theory", "skills", "submitted_at")
DEFAULT_TIE_BREAK = "theory,skills,submitted_at"
TIE_BREAK_LABELS = {
    "theory": N_("higher theory score"),
    "skills": N_("higher skills score"),
    "submitted_at": N_("earlier submission"),
}


class TieBreakError(ValueError):
    """An invalid tie-break list; ``error.message`` says why (a ``Message``)."""

    def __init__(self, message: Message):
        super().__init__(message.render())
        self.message = message


def parse_tie_break(text: str | None) -> tuple[str, ...]:
    """The keys of a comma-separated tie-break list; ``TieBreakError`` for unknown, repeated or no keys.

    An empty list is allowed (ties then go by application number alone)."""
    keys = tuple(part.strip().lower() for part in (text or "").split(",") if part.strip())
    unknown = [key for key in keys if key not in TIE_BREAK_KEYS]
    if unknown:
        raise TieBreakError(Message(N_("Unknown tie-break item: %(items)s. Allowed items: %(allowed)s."),
                                    {"items": ", ".join(unknown), "allowed": ", ".join(TIE_BREAK_KEYS)}))
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise TieBreakError(Message(N_("Tie-break item listed more than once: %(items)s."),
                                    {"items": ", ".join(repeated)}))
    return keys


def describe_tie_break(keys: Iterable[str]) -> Message:
    """The rule in words: "综合成绩从高到低；同分时依次比较：理论成绩高者优先、…、报名编号小者优先"."""
    items = tuple(Message(TIE_BREAK_LABELS[key]) for key in keys) + (Message(N_("smaller application number")),)
    return Message(N_("By combined score, highest first; on equal scores, in turn: %(items)s."),
                   {"items": items})


# --- the engine -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Applicant:
    """One candidate: the chosen base, specialty ids in the order of preference, and the scores."""

    id: int
    base_id: int | None
    choices: tuple[int, ...]
    combined: Decimal | float | None
    theory: Decimal | float | None = None
    skills: Decimal | float | None = None
    submitted_at: datetime | None = None


Seat = tuple[int, int]  # (base id, specialty id)


def _higher_first(value) -> tuple:
    return (1, 0) if value is None else (0, -value)


def _earlier_first(value) -> tuple:
    return (1, 0) if value is None else (0, value)


def rank_key(applicant: Applicant, tie_break: Iterable[str] = TIE_BREAK_KEYS) -> tuple:
    """Sort key of the common ranking: combined score (higher first), the tie-break keys, the id.

    Missing values sort last."""
    parts = [_higher_first(applicant.combined)]
    for key in tie_break:
        if key == "theory":
            parts.append(_higher_first(applicant.theory))
        elif key == "skills":
            parts.append(_higher_first(applicant.skills))
        elif key == "submitted_at":
            parts.append(_earlier_first(applicant.submitted_at))
        else:
            raise TieBreakError(Message(N_("Unknown tie-break item: %(items)s. Allowed items: %(allowed)s."),
                                        {"items": key, "allowed": ", ".join(TIE_BREAK_KEYS)}))
    parts.append(applicant.id)
    return tuple(parts)


@dataclass
class SeatStats:
    """One (base, specialty) quota after the run."""

    base_id: int
    specialty_id: int
    capacity: int
    admitted: int = 0
    lowest: Decimal | float | None = None  # the lowest combined score admitted

    @property
    def full(self) -> bool:
        return self.admitted >= self.capacity


@dataclass(frozen=True)
class Outcome:
    """What the run decided for one applicant; ``position`` is the place in the ranking (1 = best)."""

    applicant_id: int
    admitted: bool
    specialty_id: int | None = None
    choice_rank: int | None = None
    position: int | None = None


@dataclass
class Result:
    tie_break: tuple[str, ...]
    outcomes: dict[int, Outcome]
    seats: dict[Seat, SeatStats]
    order: list[int]  # applicant ids by ranking, those without a combined score last (by id)
    applicants: dict[int, Applicant]

    @property
    def admitted_count(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.admitted)


def run(applicants: Iterable[Applicant], seats: Mapping[Seat, int], tie_break: str | Iterable[str] = DEFAULT_TIE_BREAK
        ) -> Result:
    """Admit ``applicants`` into ``seats`` ({(base id, specialty id): capacity}) in ranking order.

    Applicants without a combined score are not admitted. A seat missing from ``seats`` has no
    places. ``tie_break`` is a comma string or a sequence of keys (``TieBreakError`` if invalid)."""
    keys = parse_tie_break(tie_break) if isinstance(tie_break, str) or tie_break is None \
        else parse_tie_break(",".join(tie_break))
    by_id = {applicant.id: applicant for applicant in applicants}
    stats = {seat: SeatStats(seat[0], seat[1], max(int(capacity), 0)) for seat, capacity in seats.items()}
    scored = sorted((a for a in by_id.values() if a.combined is not None), key=lambda a: rank_key(a, keys))
    unscored = sorted(a.id for a in by_id.values() if a.combined is None)
    outcomes: dict[int, Outcome] = {}
    for position, applicant in enumerate(scored, start=1):
        outcome = Outcome(applicant.id, False, position=position)
        for rank, specialty_id in enumerate(applicant.choices, start=1):
            seat = stats.get((applicant.base_id, specialty_id))
            if seat is not None and seat.admitted < seat.capacity:
                seat.admitted += 1
                seat.lowest = applicant.combined  # ranking order: the last one admitted is the lowest
                outcome = Outcome(applicant.id, True, specialty_id, rank, position)
                break
        outcomes[applicant.id] = outcome
    for applicant_id in unscored:
        outcomes[applicant_id] = Outcome(applicant_id, False)
    return Result(keys, outcomes, stats, [a.id for a in scored] + unscored, by_id)


# --- explanations ---------------------------------------------------------------------------------

ORDINAL_LABELS = {1: N_("first choice"), 2: N_("second choice")}


def format_score(value) -> str:
    return "" if value is None else f"{Decimal(str(value)):.2f}"


def _choice_missed(result: Result, applicant: Applicant, rank: int, specialty_id: int,
                   names: Mapping[int, str], with_places: Container[Seat] | None) -> Message:
    """Why ``applicant`` did not get choice ``rank``."""
    key = (applicant.base_id, specialty_id)
    seat = result.seats.get(key)
    params = {"choice_label": ORDINAL_LABELS.get(rank, str(rank)),
              "specialty": names.get(specialty_id, str(specialty_id))}
    has_places = (key in with_places) if with_places is not None else (seat is not None and seat.capacity > 0)
    if not has_places:
        return Message(N_("%(choice_label)s %(specialty)s has no places at this base"), params)
    if seat is None or seat.lowest is None:  # every place was taken before this run
        return Message(N_("%(choice_label)s %(specialty)s is full"), params)
    return Message(N_("%(choice_label)s %(specialty)s is full, lowest admitted score %(lowest)s"),
                   {**params, "lowest": format_score(seat.lowest)})


def explain(result: Result, applicant_id: int, names: Mapping[int, str],
            with_places: Container[Seat] | None = None) -> Message:
    """The explanation of one applicant's outcome; ``names`` maps specialty ids to their names.

    ``with_places``: the seats that have a quota at all, when some of their places were taken
    before this run (then ``run`` saw fewer places); by default, the seats ``run`` had places in."""
    applicant = result.applicants[applicant_id]
    outcome = result.outcomes[applicant_id]
    if applicant.combined is None:
        return Message(N_("Not admitted: no combined score"))
    if outcome.admitted:
        params = {"choice_label": ORDINAL_LABELS.get(outcome.choice_rank, str(outcome.choice_rank)),
                  "specialty": names.get(outcome.specialty_id, str(outcome.specialty_id))}
        missed = tuple(_choice_missed(result, applicant, rank, specialty_id, names, with_places)
                       for rank, specialty_id in enumerate(applicant.choices[:outcome.choice_rank - 1], start=1))
        if missed:
            return Message(N_("Admitted: %(choice_label)s %(specialty)s (%(missed)s)"), {**params, "missed": missed})
        return Message(N_("Admitted: %(choice_label)s %(specialty)s"), params)
    if not applicant.choices:
        return Message(N_("Not admitted: no specialty chosen"))
    missed = tuple(_choice_missed(result, applicant, rank, specialty_id, names, with_places)
                   for rank, specialty_id in enumerate(applicant.choices, start=1))
    return Message(N_("Not admitted: %(missed)s"), {"missed": missed})


# === database layer ===============================================================================
# Everything below needs the app: it reads a batch's candidates and writes the published results.

WAITING_STATUSES = ("submitted", "base_approved")  # not yet confirmed on site: left as they are
TAKEN_STATUSES = ("admitted", "reported")  # places already taken in the batch (never re-counted)
CANDIDATE_STATUS = "confirmed"
RESULT_STATUSES = ("admitted", "not_admitted", "reported")


class AdmissionError(Exception):
    """A refused dry run or publication; ``str(error)`` is the Chinese message for the user."""


@dataclass
class SeatLine:
    """One row of the summary: a (base, specialty) quota and what the run gives it."""

    base_id: int
    base_name: str
    specialty_id: int
    specialty_name: str
    capacity: int  # the quota
    taken: int  # places already taken before this run (admitted earlier in the batch)
    admitted: int  # admitted by this run (or, once published, by the publication)
    lowest: Decimal | float | None  # lowest admitted combined score

    @property
    def lowest_text(self) -> str:
        return format_score(self.lowest)


@dataclass
class Plan:
    """A batch's admission: the dry run before publication, the stored results after it."""

    batch: object
    published: bool
    tie_break: tuple[str, ...] | None
    tie_break_text: str  # the rule in Chinese, or the error
    tie_break_error: str | None
    seat_lines: list[SeatLine]
    order: list[int]  # application ids as listed: ranking order, unscored last
    outcomes: dict[int, Outcome]
    notes: dict[int, str]  # the explanation of each application's outcome, in Chinese
    waiting: int  # applications still awaiting base review or on-site confirmation
    result: Result | None = None
    published_by: str = ""
    published_at: datetime | None = None

    @property
    def candidates(self) -> int:
        return len(self.order)

    @property
    def admitted(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.admitted)

    @property
    def unscored(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome.position is None)

    def fingerprint(self) -> str:
        """A short digest of every outcome: publishing checks the admin saw the same dry run."""
        import hashlib
        digest = hashlib.sha256()
        for application_id in self.order:
            outcome = self.outcomes[application_id]
            digest.update(f"{application_id}:{int(outcome.admitted)}:{outcome.specialty_id}:"
                          f"{outcome.choice_rank};".encode())
        return digest.hexdigest()[:16]


def _translate():
    from flask_babel import gettext
    return gettext


def tie_break_message(text: str | None) -> tuple[tuple[str, ...] | None, str, str | None]:
    """(keys, the rule in Chinese, the error in Chinese or None) for a batch's tie-break list."""
    translate = _translate()
    try:
        keys = parse_tie_break(text)
    except TieBreakError as error:
        return None, "", error.message.render(translate)
    return keys, describe_tie_break(keys).render(translate), None


def validate_tie_break(text: str | None) -> str | None:
    """The Chinese error of a tie-break list, or None when valid (for the batch form)."""
    return tie_break_message(text)[2]


def _names():
    from sqlalchemy import select

    from app.extensions import db
    from models import Specialty, TrainingBase
    specialties = dict(db.session.execute(select(Specialty.id, Specialty.name)).all())
    bases = dict(db.session.execute(select(TrainingBase.id, TrainingBase.name)).all())
    return specialties, bases


def _seat_rows(batch):
    """[(base id, specialty id, capacity)] of the batch's quotas."""
    from sqlalchemy import select

    from app.extensions import db
    from models import Quota
    return db.session.execute(select(Quota.base_id, Quota.specialty_id, Quota.capacity)
                              .where(Quota.batch_id == batch.id)).all()


def _waiting(batch) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from models import Application
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == batch.id, Application.status.in_(WAITING_STATUSES))) or 0


def load_applicants(batch) -> list[Applicant]:
    """The batch's candidates (confirmed on site) as engine applicants: two queries."""
    from sqlalchemy import select

    from app.extensions import db
    from models import Application, ApplicationChoice
    rows = db.session.execute(
        select(Application.id, Application.base_id, Application.combined_score, Application.theory_score,
               Application.skills_score, Application.submitted_at)
        .where(Application.batch_id == batch.id, Application.status == CANDIDATE_STATUS)
        .order_by(Application.id)).all()
    choices: dict[int, list[tuple[int, int]]] = {}
    for application_id, rank, specialty_id in db.session.execute(
            select(ApplicationChoice.application_id, ApplicationChoice.rank, ApplicationChoice.specialty_id)
            .join(Application, Application.id == ApplicationChoice.application_id)
            .where(Application.batch_id == batch.id, Application.status == CANDIDATE_STATUS)):
        choices.setdefault(application_id, []).append((rank, specialty_id))
    return [Applicant(id=row.id, base_id=row.base_id,
                      choices=tuple(s for _rank, s in sorted(choices.get(row.id, []))),
                      combined=row.combined_score, theory=row.theory_score, skills=row.skills_score,
                      submitted_at=row.submitted_at) for row in rows]


def _taken(batch) -> dict[Seat, int]:
    """Places of the batch already taken by applications admitted earlier."""
    from sqlalchemy import func, select

    from app.extensions import db
    from models import Application
    return {(base_id, specialty_id): count for base_id, specialty_id, count in db.session.execute(
        select(Application.base_id, Application.admitted_specialty_id, func.count(Application.id))
        .where(Application.batch_id == batch.id, Application.status.in_(TAKEN_STATUSES),
               Application.admitted_specialty_id.is_not(None))
        .group_by(Application.base_id, Application.admitted_specialty_id))}


def _check_batch(batch) -> None:
    from flask_babel import gettext as _

    from models.enums import Program
    if batch is None or batch.program != Program.RESIDENCY:
        raise AdmissionError(_("Admission runs only for resident standardized training batches."))


def _publisher_name(batch) -> str:
    from app.extensions import db
    from models import Account
    if batch.admission_published_by_id is None:
        return ""
    account = db.session.get(Account, batch.admission_published_by_id)
    return (account.display_name or account.username) if account else ""


def plan(batch) -> Plan:
    """The dry run of ``batch`` (nothing is written), or its stored results once published.

    A fixed number of queries whatever the number of applicants."""
    _check_batch(batch)
    if batch.admission_published_at is not None:
        return stored_plan(batch)
    return dry_run(batch)


def dry_run(batch) -> Plan:
    """Run the engine on ``batch``'s current candidates; nothing is written."""
    keys, rule_text, error = tie_break_message(batch.tie_break)
    specialty_names, base_names = _names()
    quotas = _seat_rows(batch)
    taken = _taken(batch)
    waiting = _waiting(batch)
    applicants = load_applicants(batch)
    if error is not None:
        return Plan(batch, False, None, "", error, [], [a.id for a in applicants], {
            a.id: Outcome(a.id, False) for a in applicants}, {}, waiting)
    seats = {(base_id, specialty_id): max(capacity - taken.get((base_id, specialty_id), 0), 0)
             for base_id, specialty_id, capacity in quotas}
    result = run(applicants, seats, keys)
    translate = _translate()
    with_places = {(base_id, specialty_id) for base_id, specialty_id, capacity in quotas if capacity > 0}
    notes = {application_id: explain(result, application_id, specialty_names, with_places).render(translate)
             for application_id in result.order}
    lines = [SeatLine(base_id, base_names.get(base_id, ""), specialty_id, specialty_names.get(specialty_id, ""),
                      capacity, taken.get((base_id, specialty_id), 0), result.seats[(base_id, specialty_id)].admitted,
                      result.seats[(base_id, specialty_id)].lowest)
             for base_id, specialty_id, capacity in quotas]
    lines.sort(key=lambda line: (line.base_name, line.specialty_name, line.base_id, line.specialty_id))
    return Plan(batch, False, keys, rule_text, None, lines, result.order, result.outcomes, notes, waiting, result)


def stored_plan(batch) -> Plan:
    """The published results of ``batch`` as stored on the applications (four queries)."""
    from sqlalchemy import case, select

    from app.extensions import db
    from models import Application
    keys, rule_text, error = tie_break_message(batch.tie_break)
    specialty_names, base_names = _names()
    quotas = _seat_rows(batch)
    rows = db.session.execute(
        select(Application.id, Application.base_id, Application.combined_score, Application.admitted_specialty_id,
               Application.admitted_choice_rank, Application.admission_note, Application.status)
        .where(Application.batch_id == batch.id, Application.status.in_(RESULT_STATUSES))
        .order_by(case((Application.combined_score.is_(None), 1), else_=0), Application.combined_score.desc(),
                  Application.id)).all()
    outcomes, notes, order = {}, {}, []
    counts: dict[Seat, int] = {}
    lowest: dict[Seat, Decimal] = {}
    position = 0
    for row in rows:
        admitted = row.status != "not_admitted" and row.admitted_specialty_id is not None
        if row.combined_score is not None:
            position += 1
        outcomes[row.id] = Outcome(row.id, admitted, row.admitted_specialty_id if admitted else None,
                                   row.admitted_choice_rank if admitted else None,
                                   position if row.combined_score is not None else None)
        notes[row.id] = row.admission_note or ""
        order.append(row.id)
        if admitted:
            seat = (row.base_id, row.admitted_specialty_id)
            counts[seat] = counts.get(seat, 0) + 1
            if row.combined_score is not None and (seat not in lowest or row.combined_score < lowest[seat]):
                lowest[seat] = row.combined_score
    lines = [SeatLine(base_id, base_names.get(base_id, ""), specialty_id, specialty_names.get(specialty_id, ""),
                      capacity, 0, counts.get((base_id, specialty_id), 0), lowest.get((base_id, specialty_id)))
             for base_id, specialty_id, capacity in quotas]
    lines.sort(key=lambda line: (line.base_name, line.specialty_name, line.base_id, line.specialty_id))
    return Plan(batch, True, keys, rule_text, error, lines, order, outcomes, notes, _waiting(batch),
                published_by=_publisher_name(batch), published_at=batch.admission_published_at)


def _claim(batch, actor) -> None:
    """Mark ``batch`` published by ``actor``, or raise if someone already did (see ``publish``)."""
    from flask_babel import gettext as _
    from sqlalchemy import select, update

    from app.extensions import db
    from models import AuditLog, Batch
    from models.clock import now
    from models.enums import AuditAction
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Batch.id).where(Batch.id == batch.id).with_for_update())
    claimed = db.session.execute(
        update(Batch).where(Batch.id == batch.id, Batch.admission_published_at.is_(None))
        .values(admission_published_at=now(), admission_published_by_id=actor.id)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise AdmissionError(_("The admission results of this batch have already been published."))
    db.session.refresh(batch)
    db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username, created_at=batch.admission_published_at,
                            table_name="batch", record_id=str(batch.id), action=AuditAction.UPDATE,
                            field_name="admission_published_at", old_value=None,
                            new_value=batch.admission_published_at.isoformat(sep=" ")))


def publish(batch, actor, expected: str | None = None) -> Plan:
    """Publish ``batch``'s admission as ``actor`` in one transaction and commit; return the plan.

    The batch is claimed first with a conditional UPDATE (``admission_published_at IS NULL``; on
    PostgreSQL the batch row is also locked ``FOR UPDATE``), so of two publishers one wins and the
    other gets ``AdmissionError`` with nothing changed. Then each confirmed candidate gets
    ``admit`` or ``not_admit`` through ``app.domain.workflow.transition_many`` with the admitted
    specialty, the choice rank and the explanation; applications still awaiting review or
    confirmation are left as they are. ``expected``: the fingerprint of the dry run the admin
    saw; if the results would now differ, nothing is published. Trainees are told by SMS after
    the commit."""
    from flask_babel import gettext as _
    from sqlalchemy import select

    from app.domain.workflow import TransitionError, transition_many
    from app.extensions import db
    from models import Application, Role
    from models.enums import AdmissionResult
    _check_batch(batch)
    if actor is None or actor.role != Role.PROVINCE_ADMIN:
        raise AdmissionError(_("Only the province administrator may publish admission results."))
    if batch.admission_published_at is not None:
        raise AdmissionError(_("The admission results of this batch have already been published."))
    try:
        _claim(batch, actor)
        result_plan = dry_run(batch)
        if result_plan.tie_break_error:
            raise AdmissionError(result_plan.tie_break_error)
        if not result_plan.order:
            raise AdmissionError(_("No application of this batch has been confirmed on site; nothing to publish."))
        if expected is not None and expected != result_plan.fingerprint():
            raise AdmissionError(_("The applications have changed since the dry run. Please check the new dry run "
                                   "and publish again."))
        applications = {a.id: a for a in db.session.scalars(
            select(Application).where(Application.id.in_(result_plan.order))
            .options(db.joinedload(Application.batch)))} if len(result_plan.order) <= 30000 else None
        if applications is None:  # pragma: no cover - far beyond a province's yearly intake
            raise AdmissionError(_("Too many applications to publish at once."))
        by_action: dict[str, list] = {"admit": [], "not_admit": []}
        values, reasons = {}, {}
        for application_id in result_plan.order:
            outcome = result_plan.outcomes[application_id]
            by_action["admit" if outcome.admitted else "not_admit"].append(applications[application_id])
            note = result_plan.notes[application_id][:200]
            values[application_id] = {
                "admission_result": AdmissionResult.ADMITTED if outcome.admitted else AdmissionResult.NOT_ADMITTED,
                "admitted_specialty_id": outcome.specialty_id, "admitted_choice_rank": outcome.choice_rank,
                "admission_note": note}
            reasons[application_id] = note
        transition_many(by_action, actor, reasons=reasons, values=values)
        db.session.commit()
    except (AdmissionError, TransitionError) as error:
        db.session.rollback()
        raise AdmissionError(str(error)) from error
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(batch)
    return result_plan

