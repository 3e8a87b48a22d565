"""Residency ranked admission (住培录取): the pure ranking engine; ``publication.py`` is its database side.

The engine (``Applicant``, ``rank_key``, ``run``, ``explain``) imports neither Flask nor the
database. Applicants are taken in combined-score order (higher first), ties broken by the
batch's published tie-break list (``Batch.tie_break``, e.g. ``"theory,skills,submitted_at"``)
and finally by the application number; each is placed in the first of their ordered specialty
choices that still has a free seat at their chosen base. This serial dictatorship gives the
resident-optimal stable matching of the hospital–resident problem in which every (base,
specialty) ranks applicants by that one common order (tests/domain/test_admission.py checks it against
the ``matching`` package).

Explanations are English msgids with ``%(name)s`` placeholders (``Message``), translated only
when shown, like ``app.domain.rules.RuleResult``: ``message.render(gettext)``.

The database layer (``plan`` / ``publish``) loads a batch's candidates with a handful of
queries and writes all results in one transaction through ``app.domain.workflow.transition_many``.
"""
from __future__ import annotations

from itertools import permutations
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


# every valid tie-break list, most complete first: what the batch form offers
TIE_BREAK_ORDERS = tuple(",".join(order) for size in range(len(TIE_BREAK_KEYS), -1, -1)
                         for order in permutations(TIE_BREAK_KEYS, size))


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


__all__ = ['Applicant', 'DEFAULT_TIE_BREAK', 'TIE_BREAK_ORDERS', 'Message', 'N_', 'ORDINAL_LABELS', 'Outcome', 'Result', 'Seat', 'SeatStats', 'TIE_BREAK_KEYS', 'TIE_BREAK_LABELS', 'TieBreakError', 'describe_tie_break', 'explain', 'format_score', 'parse_tie_break', 'rank_key', 'run']
