"""Quotas as a grid (名额表): the places of every (training base, specialty) of one batch, edited at once
by the province administrator or the superuser, on the page or from an Excel workbook.

* The grid's rows are the bases that train the batch's program (``TrainingBase.trains_gp_transfer`` /
  ``trains_residency``); its columns the specialties: for a GP-transfer batch the single 全科 column,
  for a residency batch the specialties the bases train (all of them when a base lists none) and
  those that already have a quota.
* A capacity is a whole number from 0 to ``MAX_CAPACITY``. It is never below the places already
  taken in that seat: a GP-transfer base's applications assigned to it (``Status.ASSIGNED``, as
  ``app.domain.review.assignment`` counts them), a residency seat's admitted or reported applications
  (``states.ADMITTED`` by ``admitted_specialty_id``, as ``app.domain.admission.publication._taken``
  and ``notices.free_seats`` count them). The quota rows are locked before the count, as an
  assignment locks them, so a reviewer assigning at the same moment cannot slip past the check.
* A base that lists its specialties (专业基地) gets no new or larger quota in another specialty (the
  rule of the professional master's filing, ``app.domain.filing.base_problem``).
* All or nothing: ``apply_capacities`` writes only when every cell passes; the caller commits. Each
  change is an ORM change, so the audit hook (``app.infra.audit``) writes it with the actor.
* After the admission results are published quotas may still change, as in the quota list (which has
  no such rule): a larger quota gives the base free seats to offer the next applicants; a smaller one
  is still never below the seats taken.

The Excel template (``build_template``) has one row per cell of the grid (long format: base number,
base name, specialty code, specialty name, places); ``import_quotas`` checks every row and applies
the file only when no row is refused.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from app.domain.workflow import states
from app.extensions import db
from models import Application, Batch, Quota, Role, Specialty, Status, TrainingBase
from models.enums import Program
from models.institution import base_specialty

QUOTA_ROLES = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
MAX_CAPACITY = 100_000  # as the quota form's range (views.admin.batches.MAX_COUNT)
MAX_TYPED = 20  # characters of a cell worth reading; longer text is refused as it is
Cell = tuple[int, int]  # (base id, specialty id)


def may_edit_quotas(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role in QUOTA_ROLES)


def editable_batches() -> list[Batch]:
    return list(db.session.scalars(select(Batch).order_by(Batch.year.desc(), Batch.id.desc())))


def _base_condition(program: str):
    if program == Program.GP_TRANSFER:
        return TrainingBase.trains_gp_transfer.is_(True)
    if program == Program.RESIDENCY:
        return TrainingBase.trains_residency.is_(True)
    return TrainingBase.id.is_(None)  # no base is marked as training another program yet


def gp_specialty() -> Specialty | None:
    return db.session.scalar(select(Specialty).where(Specialty.code == Specialty.GP_CODE))


@dataclass
class Grid:
    """The batch's bases (rows), specialties (columns), current capacities, seats taken and what each
    base trains (``offered[base id]``: None when the base lists no specialty, or the program is GP)."""

    batch: Batch
    bases: list[TrainingBase]
    specialties: list[Specialty]
    capacities: dict[Cell, int] = field(default_factory=dict)
    taken: dict[Cell, int] = field(default_factory=dict)
    offered: dict[int, set[int] | None] = field(default_factory=dict)

    def is_offered(self, cell: Cell) -> bool:
        listed = self.offered.get(cell[0])
        return listed is None or cell[1] in listed

    def editable(self, cell: Cell) -> bool:
        """A cell the page shows an input for: the base trains the specialty, or a quota is there."""
        return self.is_offered(cell) or cell in self.capacities

    def row_total(self, base_id: int) -> int:
        return sum(v for (b, _s), v in self.capacities.items() if b == base_id)

    def column_total(self, specialty_id: int) -> int:
        return sum(v for (_b, s), v in self.capacities.items() if s == specialty_id)

    @property
    def total(self) -> int:
        return sum(self.capacities.values())


def seats_taken(batch: Batch) -> dict[Cell, int]:
    """Places of the batch already taken, by (base, specialty): see the module notes."""
    if batch.program == Program.GP_TRANSFER:
        gp = gp_specialty()
        if gp is None:
            return {}
        return {(base_id, gp.id): count for base_id, count in db.session.execute(
            select(Application.base_id, func.count(Application.id))
            .where(Application.batch_id == batch.id, Application.status == Status.ASSIGNED,
                   Application.base_id.is_not(None))
            .group_by(Application.base_id))}
    return {(base_id, specialty_id): count for base_id, specialty_id, count in db.session.execute(
        select(Application.base_id, Application.admitted_specialty_id, func.count(Application.id))
        .where(Application.batch_id == batch.id, Application.status.in_(states.ADMITTED),
               Application.base_id.is_not(None), Application.admitted_specialty_id.is_not(None))
        .group_by(Application.base_id, Application.admitted_specialty_id))}


def _offered(batch: Batch, bases: list[TrainingBase]) -> dict[int, set[int] | None]:
    if batch.program == Program.GP_TRANSFER:
        return {base.id: None for base in bases}
    listed: dict[int, set[int]] = {}
    for base_id, specialty_id in db.session.execute(
            select(base_specialty.c.base_id, base_specialty.c.specialty_id)
            .where(base_specialty.c.base_id.in_([base.id for base in bases]))):
        listed.setdefault(base_id, set()).add(specialty_id)
    return {base.id: listed.get(base.id) for base in bases}


def _columns(batch: Batch, offered: dict[int, set[int] | None], capacities: dict[Cell, int]) -> list[Specialty]:
    if batch.program == Program.GP_TRANSFER:
        gp = gp_specialty()
        return [gp] if gp is not None else []
    if not offered:
        return []
    condition = or_(Specialty.id.in_({s for _b, s in capacities}),
                    Specialty.id.in_({s for listed in offered.values() for s in (listed or ())}))
    if any(listed is None for listed in offered.values()):
        condition = Specialty.id.is_not(None)
    return list(db.session.scalars(select(Specialty).where(condition).order_by(Specialty.code)))


def load_grid(batch: Batch) -> Grid:
    """The grid of ``batch`` in a fixed number of queries (five), whatever its size; bases in the order they
    were created, as on the dashboard (a code-point order of Chinese names reads as random)."""
    bases = list(db.session.scalars(select(TrainingBase).where(_base_condition(batch.program))
                                    .order_by(TrainingBase.id)))
    base_ids = {base.id for base in bases}
    capacities = {(q.base_id, q.specialty_id): q.capacity for q in db.session.execute(
        select(Quota.base_id, Quota.specialty_id, Quota.capacity).where(Quota.batch_id == batch.id))
        if q.base_id in base_ids}
    offered = _offered(batch, bases)
    specialties = _columns(batch, offered, capacities)
    column_ids = {s.id for s in specialties}
    capacities = {cell: value for cell, value in capacities.items() if cell[1] in column_ids}
    return Grid(batch, bases, specialties, capacities, seats_taken(batch), offered)


# --- one cell ---------------------------------------------------------------------------------------

WHOLE = re.compile(r"[+-]?\d+")


def parse_capacity(raw) -> tuple[int | None, str | None]:
    """A typed capacity: ``(number, None)``, ``(None, None)`` for an empty cell, or ``(None, message)``."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, _("Please enter a whole number of places.")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int):
        number = raw
    else:
        text = str(raw)
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):  # NUL, …
            return None, _("The value contains characters that cannot be typed.")
        text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
        if not text:
            return None, None
        if len(text) > MAX_TYPED or not WHOLE.fullmatch(text):
            return None, _("Please enter a whole number of places.")
        number = int(text)
    if number < 0:
        return None, _("The number of places cannot be negative.")
    if number > MAX_CAPACITY:
        return None, _("At most %(max)s places.", max=MAX_CAPACITY)
    return number, None


def cell_problem(grid: Grid, cell: Cell, value: int, base: TrainingBase, specialty: Specialty) -> str | None:
    """Why ``value`` cannot be the capacity of ``cell`` (a checked whole number), or None."""
    taken = grid.taken.get(cell, 0)
    if value < taken:
        return _("%(taken)s places are already taken here; the quota cannot be less.", taken=taken)
    if not grid.is_offered(cell) and value > grid.capacities.get(cell, 0):
        return _("%(base)s does not train %(specialty)s.", base=base.name, specialty=specialty.name)
    return None


# --- saving -----------------------------------------------------------------------------------------

def _lock_quotas(batch_id: int) -> dict[Cell, Quota]:
    """The batch's quota rows, locked until the transaction ends (as ``assignment._lock_quota``)."""
    condition = Quota.batch_id == batch_id
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite's single write lock, taken now, before the seats are counted
        db.session.execute(update(Quota).where(condition).values(capacity=Quota.capacity)
                           .execution_options(synchronize_session=False))
        rows = db.session.scalars(select(Quota).where(condition))
    else:
        rows = db.session.scalars(select(Quota).where(condition).order_by(Quota.id).with_for_update())
    return {(q.base_id, q.specialty_id): q for q in rows}


def apply_capacities(batch: Batch, values: dict[Cell, int]) -> tuple[dict[Cell, str], int]:
    """Write ``values`` (checked whole numbers of cells of the grid) when all pass: ``({}, changed)``;
    else ``(problems by cell, 0)`` and nothing written. Locks the quotas first; the caller commits
    (or rolls back, which releases the lock)."""
    quotas = _lock_quotas(batch.id)
    grid = load_grid(batch)  # seats counted after the lock
    bases = {base.id: base for base in grid.bases}
    specialties = {s.id: s for s in grid.specialties}
    problems = {}
    for cell, value in values.items():
        if cell[0] not in bases or cell[1] not in specialties:
            problems[cell] = _("This cell is no longer part of the grid; please reload the page.")
            continue
        problem = cell_problem(grid, cell, value, bases[cell[0]], specialties[cell[1]])
        if problem:
            problems[cell] = problem
    if problems:
        return problems, 0
    changed = 0
    for cell, value in values.items():
        quota = quotas.get(cell)
        if quota is None:
            if value == 0:
                continue  # an empty cell stays without a quota row
            db.session.add(Quota(batch_id=batch.id, base_id=cell[0], specialty_id=cell[1], capacity=value))
            changed += 1
        elif quota.capacity != value:
            quota.capacity = value
            changed += 1
    db.session.flush()
    return {}, changed


def parse_grid_form(grid: Grid, form) -> tuple[dict[Cell, str], dict[Cell, int], dict[Cell, str], list[str]]:
    """The posted cells (``cap-<base>-<specialty>``): what was typed, the numbers, the problems by cell,
    and the names that are no cell of this grid (a forged or stale form)."""
    typed: dict[Cell, str] = {}
    values: dict[Cell, int] = {}
    problems: dict[Cell, str] = {}
    strays = []
    cells = {(b.id, s.id) for b in grid.bases for s in grid.specialties}
    for name in form:
        if not name.startswith("cap-"):
            continue
        match = re.fullmatch(r"cap-(\d{1,9})-(\d{1,9})", name)
        cell = (int(match.group(1)), int(match.group(2))) if match else None
        if cell is None or cell not in cells or not grid.editable(cell):
            strays.append(name)
            continue
        raw = form.get(name, "")
        typed[cell] = raw[:MAX_TYPED * 2].replace("\x00", "")
        number, problem = parse_capacity(raw)
        if problem:
            problems[cell] = problem
        else:
            values[cell] = 0 if number is None else number
    return typed, values, problems, strays
