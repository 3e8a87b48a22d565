"""Admission publication: reads a batch's confirmed candidates, runs the pure engine (``engine.py``) and
writes the published results through the workflow (the database side of 录取)."""
from __future__ import annotations

from contextlib import contextmanager

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select, update

from app.domain.admission.engine import (
    Applicant,
    Outcome,
    Result,
    Seat,
    TieBreakError,
    describe_tie_break,
    explain,
    format_score,
    parse_tie_break,
    run,
)
from app.domain.workflow import TransitionError, states, transition_many
from app.extensions import db
from app.i18n import cn_datetime
from app.validators import text_problem, typed_text_problem
from models import (Account, Application, ApplicationChoice, AuditLog, BaseAdmission, Batch, Quota, Role, Specialty,
                    TrainingBase)
from models.clock import now
from models.enums import AdmissionResult, AuditAction, Program

CANDIDATE_STATUS = "confirmed"
PUBLISH_CHUNK = 5000  # applications per transition_many call; all in the one transaction


@dataclass(frozen=True)
class Bases:
    """Which bases a run covers: ``only`` one base (a base's own admission), or all but ``skip`` (the
    province's run, which leaves the bases that published their own admission as they are)."""

    only: int | None = None
    skip: frozenset[int] = frozenset()

    def where(self, column) -> list:
        if self.only is not None:
            return [column == self.only]
        if self.skip:
            return [or_(column.is_(None), column.notin_(sorted(self.skip)))]
        return []


ALL_BASES = Bases()


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
        digest = hashlib.sha256()
        for application_id in self.order:
            outcome = self.outcomes[application_id]
            digest.update(f"{application_id}:{int(outcome.admitted)}:{outcome.specialty_id}:"
                          f"{outcome.choice_rank};".encode())
        return digest.hexdigest()[:16]


def _translate():
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

    specialties = dict(db.session.execute(select(Specialty.id, Specialty.name)).all())
    bases = dict(db.session.execute(select(TrainingBase.id, TrainingBase.name)).all())
    return specialties, bases


def _seat_rows(batch, bases: Bases = ALL_BASES):
    """[(base id, specialty id, capacity)] of the batch's quotas (of ``bases``)."""

    return db.session.execute(select(Quota.base_id, Quota.specialty_id, Quota.capacity)
                              .where(Quota.batch_id == batch.id, *bases.where(Quota.base_id))).all()


def _waiting(batch, bases: Bases = ALL_BASES) -> int:

    return db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == batch.id, Application.status.in_(states.AWAITING_CONFIRMATION),
        *bases.where(Application.base_id))) or 0


def candidate_count(batch, bases: Bases = ALL_BASES) -> int:
    """How many applications of ``batch`` (at ``bases``) publication would decide (one COUNT)."""
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == batch.id, Application.status == CANDIDATE_STATUS,
        *bases.where(Application.base_id))) or 0


def load_applicants(batch, bases: Bases = ALL_BASES) -> list[Applicant]:
    """The batch's candidates (confirmed on site) at ``bases`` as engine applicants: two queries.

    A residency applicant applies at one base (``Application.base_id``) with ranked specialties there
    (``ApplicationChoice``), so the candidates of one base compete for that base's seats only."""

    where = (Application.batch_id == batch.id, Application.status == CANDIDATE_STATUS,
             *bases.where(Application.base_id))
    rows = db.session.execute(
        select(Application.id, Application.base_id, Application.combined_score, Application.theory_score,
               Application.skills_score, Application.submitted_at)
        .where(*where).order_by(Application.id)).all()
    choices: dict[int, list[tuple[int, int]]] = {}
    for application_id, rank, specialty_id in db.session.execute(
            select(ApplicationChoice.application_id, ApplicationChoice.rank, ApplicationChoice.specialty_id)
            .join(Application, Application.id == ApplicationChoice.application_id).where(*where)):
        choices.setdefault(application_id, []).append((rank, specialty_id))
    return [Applicant(id=row.id, base_id=row.base_id,
                      choices=tuple(s for _rank, s in sorted(choices.get(row.id, []))),
                      combined=row.combined_score, theory=row.theory_score, skills=row.skills_score,
                      submitted_at=row.submitted_at) for row in rows]


def _taken(batch, bases: Bases = ALL_BASES) -> dict[Seat, int]:
    """Places of the batch already taken by applications admitted earlier."""

    return {(base_id, specialty_id): count for base_id, specialty_id, count in db.session.execute(
        select(Application.base_id, Application.admitted_specialty_id, func.count(Application.id))
        .where(Application.batch_id == batch.id, Application.status.in_(states.ADMITTED),
               Application.admitted_specialty_id.is_not(None), *bases.where(Application.base_id))
        .group_by(Application.base_id, Application.admitted_specialty_id))}


def _check_batch(batch) -> None:

    if batch is None or batch.program != Program.RESIDENCY:
        raise AdmissionError(_("Admission runs only for resident standardized training batches."))


def account_name(account_id: int | None) -> str:
    account = db.session.get(Account, account_id) if account_id is not None else None
    return (account.display_name or account.username) if account else ""


def _publisher(batch, bases: Bases) -> tuple[str, datetime | None]:
    """Who published the results shown, and when: the base itself if it published its own, else the province."""
    if bases.only is not None:
        own = db.session.execute(select(BaseAdmission.published_by_id, BaseAdmission.published_at).where(
            BaseAdmission.batch_id == batch.id, BaseAdmission.base_id == bases.only,
            BaseAdmission.published_at.is_not(None))).first()
        if own is not None:
            return account_name(own.published_by_id), own.published_at
    return account_name(batch.admission_published_by_id), batch.admission_published_at


def published_base_ids(batch) -> frozenset[int]:
    """The bases that published their own admission in ``batch`` (one query)."""
    return frozenset(db.session.scalars(select(BaseAdmission.base_id).where(
        BaseAdmission.batch_id == batch.id, BaseAdmission.published_at.is_not(None))))


def results_published(batch, base_id: int | None) -> bool:
    """Whether the admission results of ``base_id``'s candidates in ``batch`` are out: the province published
    the batch, or the base published its own (one query at most)."""
    if batch.admission_published_at is not None:
        return True
    return base_id is not None and base_id in published_base_ids(batch)


def province_bases(batch) -> Bases:
    """What the province's run covers: every base but those that published their own admission."""
    return Bases(skip=published_base_ids(batch))


def plan(batch, bases: Bases | None = None) -> Plan:
    """The dry run of ``batch`` (nothing is written), or its stored results once published.

    ``bases``: one base's own admission (``Bases(only=…)``: its stored results once it or the province
    published); by default the province's run, which skips the bases that published their own.
    A fixed number of queries whatever the number of applicants."""
    _check_batch(batch)
    if bases is None:
        if batch.admission_published_at is not None:
            return stored_plan(batch)
        return dry_run(batch, province_bases(batch))
    if batch.admission_published_at is not None or bases.only in published_base_ids(batch):
        return stored_plan(batch, bases)
    return dry_run(batch, bases)


def dry_run(batch, bases: Bases = ALL_BASES) -> Plan:
    """Run the engine on ``batch``'s current candidates at ``bases``; nothing is written."""
    keys, rule_text, error = tie_break_message(batch.tie_break)
    specialty_names, base_names = _names()
    quotas = _seat_rows(batch, bases)
    taken = _taken(batch, bases)
    waiting = _waiting(batch, bases)
    applicants = load_applicants(batch, bases)
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


def stored_plan(batch, bases: Bases = ALL_BASES) -> Plan:
    """The published results of ``batch`` (at ``bases``) as stored on the applications (a few queries)."""

    keys, rule_text, error = tie_break_message(batch.tie_break)
    specialty_names, base_names = _names()
    quotas = _seat_rows(batch, bases)
    rows = db.session.execute(
        select(Application.id, Application.base_id, Application.combined_score, Application.admitted_specialty_id,
               Application.admitted_choice_rank, Application.admission_note, Application.status)
        .where(Application.batch_id == batch.id, Application.status.in_(states.ADMISSION_DECIDED),
               *bases.where(Application.base_id))
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
    by, at = _publisher(batch, bases)
    return Plan(batch, True, keys, rule_text, error, lines, order, outcomes, notes, _waiting(batch, bases),
                published_by=by, published_at=at)


def _claim(batch, actor) -> None:
    """Mark ``batch`` published by ``actor``, or raise if someone already did (see ``publish``)."""

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


REASON_MAX = 500


def unscored_candidates(batch) -> int:
    """Applicants confirmed on site who have no combined score yet."""
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == batch.id, Application.status == CANDIDATE_STATUS,
        Application.combined_score.is_(None))) or 0


def reason_problem(reason: str | None) -> str | None:
    """Why a publication's (or dry run's) reason cannot be stored, in Chinese, or None: control characters
    (NUL bytes), a formula start, too long."""
    reason = (reason or "").strip()
    problem = typed_text_problem(reason, multiline=True) or text_problem(reason.replace("\n", " "))
    if problem:
        return _("The reason cannot be saved: %(problem)s", problem=problem)
    if len(reason) > REASON_MAX:
        return _("The reason is too long: at most %(count)s characters.", count=REASON_MAX)
    return None


def publication_refusal(batch, reason: str | None, moment: datetime | None = None) -> str | None:
    """Why the province may not publish ``batch``'s admission now, in Chinese, or None.

    Publishing is refused while registration is still open (``Batch.is_open``: until the window's
    closing time) or while applicants confirmed on site have no combined score, unless the province
    gives a reason (then the view audits it with ``record_publication_reason``). A reason that
    cannot be stored (control characters, formula start, too long) is refused as such."""
    reason = (reason or "").strip()
    problem = reason_problem(reason)
    if problem:
        return problem
    if reason or batch.admission_published_at is not None:  # publish refuses a second publication itself
        return None
    problems = []
    if batch.is_open(moment or now()):
        problems.append(_("registration is still open (until %(time)s)", time=cn_datetime(batch.closes_at)))
    unscored = unscored_candidates(batch)
    if unscored:
        problems.append(_("%(count)s applicants confirmed on site have no combined score", count=unscored))
    if not problems:
        return None
    return _("Admission cannot be published yet: %(problems)s. Wait, or give the reason for publishing now.",
             problems="；".join(problems))


def record_publication_reason(batch, actor, reason: str) -> None:
    """Audit why the province publishes now: what would have refused it (registration open, applicants
    unscored) and the reason. The row is added to the publication's own transaction, so it is kept
    only if the publication is."""
    db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username, created_at=now(), table_name="batch",
                            record_id=str(batch.id), action=AuditAction.UPDATE, field_name="publication_reason",
                            old_value=publication_refusal(batch, None), new_value=None, reason=reason.strip()))


def _refusal(batch, actor) -> str | None:
    """Why ``actor`` may not publish ``batch`` now (before anything is computed), or ``None``."""
    if actor is None or actor.role != Role.PROVINCE_ADMIN:
        return _("Only the province administrator may publish admission results.")
    if batch.admission_published_at is not None:
        return _("The admission results of this batch have already been published.")
    return None


def plan_refusal(result_plan: Plan, expected: str | None, empty_allowed: bool = False) -> str | None:
    """Why the dry run ``result_plan`` may not be published, or ``None``. ``empty_allowed``: the province
    closes a batch whose bases all published their own admission (nobody left to decide)."""
    if result_plan.tie_break_error:
        return result_plan.tie_break_error
    if not result_plan.order and not empty_allowed:
        return _("No application of this batch has been confirmed on site; nothing to publish.")
    if expected is not None and expected != result_plan.fingerprint():
        return _("The applications have changed since the dry run. Please check the new dry run and publish again.")
    return None


def publication_problem(batch, actor, expected: str | None = None) -> str | None:
    """The checks ``publish`` makes, without writing anything: a Chinese refusal, or ``None`` when
    ``batch`` can be published now (the view asks before queueing the publication as a job)."""
    _check_batch(batch)
    bases = province_bases(batch)
    return _refusal(batch, actor) or plan_refusal(dry_run(batch, bases), expected, bool(bases.skip))


PROVINCE_ACTIONS = ("admit", "not_admit")
BASE_ACTIONS = ("base_admit", "base_not_admit")


def apply_plan(result_plan: Plan, actor, progress=None, actions: tuple[str, str] = PROVINCE_ACTIONS) -> None:
    """``admit`` / ``not_admit`` (``actions``: the base's own edges for a base) through ``transition_many``,
    chunk by chunk in the caller's transaction; ``progress(done, total)`` after each chunk (it must not
    commit). The trainees' SMS go into the outbox there, as for every transition."""
    admit, not_admit = actions
    order = result_plan.order
    for start in range(0, len(order), PUBLISH_CHUNK):
        chunk = order[start:start + PUBLISH_CHUNK]
        applications = {a.id: a for a in db.session.scalars(
            select(Application).where(Application.id.in_(chunk)).options(db.joinedload(Application.batch)))}
        by_action: dict[str, list] = {admit: [], not_admit: []}
        values, reasons = {}, {}
        for application_id in chunk:
            outcome = result_plan.outcomes[application_id]
            by_action[admit if outcome.admitted else not_admit].append(applications[application_id])
            note = result_plan.notes[application_id][:200]
            values[application_id] = {
                "admission_result": AdmissionResult.ADMITTED if outcome.admitted else AdmissionResult.NOT_ADMITTED,
                "admitted_specialty_id": outcome.specialty_id, "admitted_choice_rank": outcome.choice_rank,
                "admission_note": note}
            reasons[application_id] = note
        transition_many(by_action, actor, reasons=reasons, values=values)
        if progress is not None:
            progress(start + len(chunk), len(order))


@contextmanager
def publishing():
    """One publication's transaction: committed when the block ends, rolled back whole otherwise; a refused
    transition becomes an ``AdmissionError`` (its Chinese message). The province's and a base's
    publication both run in it."""
    try:
        yield
        db.session.commit()
    except (AdmissionError, TransitionError) as error:
        db.session.rollback()
        raise AdmissionError(str(error)) from error
    except Exception:
        db.session.rollback()
        raise


def publish(batch, actor, expected: str | None = None, progress=None) -> Plan:
    """Publish ``batch``'s admission as ``actor`` in one transaction and commit; return the plan.

    The batch is claimed first with a conditional UPDATE (``admission_published_at IS NULL``; on
    PostgreSQL the batch row is also locked ``FOR UPDATE``), so of two publishers one wins and the
    other gets ``AdmissionError`` with nothing changed. Then each confirmed candidate gets
    ``admit`` or ``not_admit`` through ``app.domain.workflow.transition_many`` with the admitted
    specialty, the choice rank and the explanation, ``PUBLISH_CHUNK`` applications at a time, all
    in the one transaction (any size: nothing is published half-way); applications still awaiting
    review or confirmation are left as they are, and so are the applications of the bases that
    published their own admission (``province_bases``: the province's run skips them; a batch whose
    bases all published is closed with nothing left to decide). ``expected``: the fingerprint of the dry run the
    admin saw; if the results would now differ, nothing is published. Trainees are told by SMS
    (the outbox, in the same transaction)."""

    _check_batch(batch)
    refusal = _refusal(batch, actor)
    if refusal:
        raise AdmissionError(refusal)
    with publishing():
        _claim(batch, actor)
        bases = province_bases(batch)  # read after the claim: a base publishing now waits for it, or is seen
        result_plan = dry_run(batch, bases)
        refusal = plan_refusal(result_plan, expected, bool(bases.skip))
        if refusal:
            raise AdmissionError(refusal)
        apply_plan(result_plan, actor, progress)
    db.session.refresh(batch)
    return result_plan


__all__ = ['ALL_BASES', 'AdmissionError', 'BASE_ACTIONS', 'Bases', 'Plan', 'account_name', 'apply_plan',
           'plan_refusal', 'province_bases', 'reason_problem', 'published_base_ids', 'SeatLine', 'candidate_count', 'dry_run', 'load_applicants', 'plan', 'publication_problem', 'publication_refusal', 'publish', 'record_publication_reason', 'stored_plan', 'tie_break_message', 'unscored_candidates', 'validate_tie_break']
