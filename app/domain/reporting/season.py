"""The residency season per base and specialty, as the dashboard and the per-base page show it: quota,
applicants, 准考证 allocated, scored and 缺考, admitted, the answers to the 录取通知 (accepted, declined
or expired, awaiting an answer), 报到 and missing documents.

Two statements, whatever the number of bases, specialties or applications: the quotas, and one union of
grouped counts (all in the viewer's scope, ``app.domain.access.scope_condition``); applicants, those
waiting, admissions and 报到 come from the maintained counts (``models.application_count``), the rest
from the rows they count (seats, scores, training records, notices), never from every application:

* applicants, counted under their first choice (submitted or later, not returned or rejected): how many
  wait for the base (base review or on-site confirmation), hold an exam number (``ExamSeat``), have a
  combined score, or were recorded absent (缺考, ``Application.exam_absent``);
* admissions, under the specialty admitted to (an admission recorded without one counts for the first
  choice): admitted or reported, reported, and accepted admissions whose fresh graduate still misses
  the diploma or the degree (``app.domain.admission.training.missing_documents_condition``);
* the answers to the notices in force (``AdmissionNotice.current``), under the notice's specialty: a
  declined or expired admission is no longer admitted, so it is counted where its notice was.

Then, without another statement: the rows grouped by base with their totals, the batch's headline
numbers and its top items (applicants per place, bases with most waiting, unscored or missing documents).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import case, func, literal_column, select, union_all

from app.domain.access import per_scope, scope_condition
from app.domain.admission.training import missing_documents_condition
from app.domain.reporting.progress import CURRENT_BATCH_STATUSES
from app.domain.workflow import states
from app.extensions import db
from models import (
    Acceptance,
    AdmissionNotice,
    Application,
    ApplicationPlaceCount,
    Batch,
    ExamSeat,
    Quota,
    Role,
    Specialty,
    Status,
    TrainingBase,
    TrainingRecord,
)
from models.enums import Program

RES = Program.RESIDENCY
# the counts of each (batch, base, specialty), in the order of the union's columns
COUNTS = ("applied", "waiting", "seats", "scored", "absent", "admitted", "reported", "missing", "accepted",
          "declined", "pending")
WAITING = (Status.SUBMITTED, Status.BASE_APPROVED)  # waiting for the base: its review, on-site confirmation
TOP = 5  # items in each top list
# who sees residency places and the season per base and specialty: those whose application scope matches
# the quota's (county and city commissions have no step in residency)
SEASON_ROLES = (*Role.PROVINCE_WIDE, Role.BASE_STAFF)


def _flag(condition):
    return func.sum(case((condition, 1), else_=0))


def _zeros(names):
    return [literal_column("0").label(name) for name in names]


def _residency_batches():
    return select(Batch.id).where(Batch.program == RES, Batch.status.in_(CURRENT_BATCH_STATUSES))


def _columns(names: dict) -> list:
    """The 11 count columns in ``COUNTS`` order: the given expressions, zero for the others."""
    return [names[name].label(name) if name in names else literal_column("0").label(name) for name in COUNTS]


def _ledger_parts(user, base_id: int | None) -> list:
    """Applicants (and those waiting for the base) by first choice, admissions (and 报到) by the specialty
    admitted to: sums over the maintained place counts, not a scan of the applications."""
    P = ApplicationPlaceCount
    where = [scope_condition(P, user), P.base_id.is_not(None), P.batch_id.in_(_residency_batches())]
    if base_id is not None:
        where.append(P.base_id == base_id)
    total = func.sum(P.n)
    applied = (select(P.batch_id, P.base_id, P.specialty_id,
                      *_columns({"applied": total, "waiting": func.sum(case((P.status.in_(WAITING), P.n), else_=0))}))
               .where(*where, P.status.in_(states.APPLIED), P.specialty_id.is_not(None))
               .group_by(P.batch_id, P.base_id, P.specialty_id).having(total != 0))
    specialty = func.coalesce(P.admitted_specialty_id, P.specialty_id)
    admitted = (select(P.batch_id, P.base_id, specialty,
                       *_columns({"admitted": total,
                                  "reported": func.sum(case((P.status == Status.REPORTED, P.n), else_=0))}))
                .where(*where, P.status.in_(states.ADMITTED))
                .group_by(P.batch_id, P.base_id, specialty).having(total != 0))
    return [applied, admitted]


def _counts_union(user, base_id: int | None):
    """The grouped counts as one union (see the module's docstring). Each part reads only its own rows:
    the maintained counts, the exam seats, the scored or absent applicants (through the indexes on
    ``(batch_id, combined_score)`` and ``(batch_id, exam_absent)``), the training records, the notices."""
    where = [scope_condition(Application, user), Application.base_id.is_not(None),
             Application.batch_id.in_(_residency_batches())]
    if base_id is not None:
        where.append(Application.base_id == base_id)
    key = (Application.batch_id, Application.base_id, Application.first_specialty_id)
    applying = [*where, Application.status.in_(states.APPLIED), Application.first_specialty_id.is_not(None)]
    seats = (select(*key, *_columns({"seats": func.count(ExamSeat.id)}))
             .join(ExamSeat, ExamSeat.application_id == Application.id)
             .where(*applying).group_by(*key))
    scored = (select(*key, *_columns({"scored": func.count()}))
              .where(*applying, Application.combined_score.is_not(None), Application.exam_absent.is_(False))
              .group_by(*key))
    absent = (select(*key, *_columns({"absent": func.count()}))
              .where(*applying, Application.exam_absent.is_(True)).group_by(*key))
    specialty = func.coalesce(Application.admitted_specialty_id, Application.first_specialty_id)
    missing = (select(Application.batch_id, Application.base_id, specialty,
                      *_columns({"missing": func.count(TrainingRecord.id)}))
               .join(TrainingRecord, TrainingRecord.application_id == Application.id)
               .where(*where, Application.status.in_(states.ADMITTED), missing_documents_condition())
               .group_by(Application.batch_id, Application.base_id, specialty))
    answered = (select(Application.batch_id, AdmissionNotice.base_id, AdmissionNotice.specialty_id,
                       *_columns({"accepted": _flag(AdmissionNotice.acceptance == Acceptance.ACCEPTED),
                                  "declined": _flag(AdmissionNotice.acceptance.in_((Acceptance.DECLINED,
                                                                                     Acceptance.EXPIRED))),
                                  "pending": _flag(AdmissionNotice.acceptance == Acceptance.PENDING)}))
                .join(Application, Application.id == AdmissionNotice.application_id)
                .where(*where, AdmissionNotice.current.is_(True))
                .group_by(Application.batch_id, AdmissionNotice.base_id, AdmissionNotice.specialty_id))
    return union_all(*_ledger_parts(user, base_id), seats, scored, absent, missing, answered).subquery()


@per_scope
def _season_statements(user, base_id: int | None) -> tuple:
    """The quotas' and the counts' statements of ``season_rows``, made once per scope and base and kept
    (``per_scope``): building the union of seven grouped parts was a good part of the dashboard's Python."""
    query = (select(Batch.id, Batch.name, Batch.program, Quota.base_id, TrainingBase.name, Quota.specialty_id,
                    Specialty.name, Specialty.code, Quota.capacity)
             .join(Quota, Quota.batch_id == Batch.id)
             .join(TrainingBase, TrainingBase.id == Quota.base_id)
             .join(Specialty, Specialty.id == Quota.specialty_id)
             .where(Batch.program == RES, Batch.status.in_(CURRENT_BATCH_STATUSES), scope_condition(Quota, user)))
    if base_id is not None:
        query = query.where(Quota.base_id == base_id)
    counted = _counts_union(user, base_id)
    columns = list(counted.c)
    counts = (select(columns[0], Batch.name, Batch.program, columns[1], TrainingBase.name, columns[2], Specialty.name,
                     Specialty.code, *columns[3:])
              .join(Batch, Batch.id == columns[0])
              .join(TrainingBase, TrainingBase.id == columns[1])
              .join(Specialty, Specialty.id == columns[2]))
    return query, counts


def season_rows(user, base_id: int | None = None) -> tuple[list, list]:
    """The residency quotas of the current batches in ``user``'s scope, and the counts per batch, base and
    specialty (two statements); ``base_id`` keeps one base."""
    quotas, counts = _season_statements(user, base_id)
    return db.session.execute(quotas).all(), db.session.execute(counts).all()


def place_tables(quotas: list, counts: list) -> dict[int, dict]:
    """Per batch id: its name and program and its rows, one per base and specialty, in the order the bases
    were created (the table's headers sort otherwise) and by specialty code, each with the quota, the
    counts, the places remaining and applicants per place."""
    batches: dict[int, dict] = {}
    table: dict[tuple[int, int, int], dict] = {}

    def row(batch_id, batch_name, program, base_id, base_name, specialty_id, specialty_name, code):
        batches.setdefault(batch_id, {"name": batch_name, "program": program, "rows": []})
        return table.setdefault((batch_id, base_id, specialty_id), {
            "batch_id": batch_id, "base_id": base_id, "base": base_name, "specialty": specialty_name,
            "code": code, "quota": None, **dict.fromkeys(COUNTS, 0)})

    for *key, capacity in quotas:
        row(*key)["quota"] = capacity
    for counted in counts:
        item = row(*counted[:8])
        values = counted[8:]
        for name, value in zip(COUNTS, values):
            item[name] += int(value or 0)
    for item in sorted(table.values(), key=lambda r: (r["base_id"], r["code"])):
        _derive(item)
        batches[item["batch_id"]]["rows"].append(item)
    return batches


def _derive(item: dict) -> None:
    """Places remaining, applicants per place, and exam numbers still without a score or 缺考."""
    quota = item["quota"] or 0
    item["remaining"] = max(quota - item["admitted"], 0) if item["quota"] is not None else None
    item["ratio_value"] = item["applied"] / quota if quota else None
    item["ratio"] = f"{item['ratio_value']:.1f}" if quota else None
    item["unscored"] = max(item["seats"] - item["scored"] - item["absent"], 0)


def by_base(rows: list[dict]) -> tuple[list[dict], dict]:
    """The rows grouped by base, each with its totals, and the totals of all of them."""
    bases: dict[int, dict] = {}
    for place in rows:
        bases.setdefault(place["base_id"], {"id": place["base_id"], "name": place["base"], "rows": []})[
            "rows"].append(place)
    for base in bases.values():
        base["totals"] = _totals(base["rows"])
    return list(bases.values()), _totals(rows)


def _totals(rows: list[dict]) -> dict:
    totals = {key: sum(r[key] or 0 for r in rows) for key in (*COUNTS, "quota")}
    totals["remaining"] = sum(r["remaining"] or 0 for r in rows)
    _derive(totals)
    return totals


def top_items(bases: list[dict], places: list[dict]) -> list[dict]:
    """What needs attention first: the base specialties with most applicants per place, and the bases
    with most applications waiting for them, most exam numbers without a score, most missing documents.
    A list keeps only items above zero."""
    def top(key):
        return sorted((b for b in bases if b["totals"][key]), key=lambda b: (-b["totals"][key], b["name"]))[:TOP]

    ratios = sorted((p for p in places if p["ratio_value"] and p["applied"]),
                    key=lambda p: (-p["ratio_value"], p["base"], p["code"]))[:TOP]
    return [
        {"key": "ratio", "title": _("Most applicants per place"),
         "entries": [{"base_id": p["base_id"], "name": f"{p['base']} · {p['specialty']}", "value": p["ratio"]}
                   for p in ratios]},
        *({"key": key, "title": title,
           "entries": [{"base_id": b["id"], "name": b["name"], "value": b["totals"][key]}
                     for b in top(key)]}
          for key, title in (("waiting", _("Most applications waiting for the base")),
                             ("unscored", _("Most exam numbers without a score")),
                             ("missing", _("Most missing documents")))),
    ]


def base_season(user, base_id: int) -> dict | None:
    """The per-specialty breakdown of one base, per current residency batch, or ``None`` when the base
    is outside ``user``'s scope (or not a base at all): three statements."""
    if user.role not in SEASON_ROLES:
        return None
    base = db.session.execute(select(TrainingBase.id, TrainingBase.name).where(
        TrainingBase.id == base_id, scope_condition(TrainingBase, user))).first()
    if base is None:
        return None
    tables = place_tables(*season_rows(user, base_id))
    batches = []
    for batch_id, batch in sorted(tables.items(), reverse=True):
        _bases, totals = by_base(batch["rows"])
        batches.append({"id": batch_id, "name": batch["name"], "rows": batch["rows"], "totals": totals})
    return {"id": base.id, "name": base.name, "batches": batches}
