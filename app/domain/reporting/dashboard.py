"""What the back-office dashboard (工作台) shows: review queues, places left and counts by status and region.

Counts by status, region and base, and residency applicants and admissions per base and specialty, are
read from the maintained counts (``models.application_count``, kept by database triggers), so they cost
the same at 20,000 applications as at 1,000,000; waiting times and the score histogram read indexed
columns of the applications.

Everything is restricted to the viewer through ``app.domain.access.scope_condition``: a county reviewer sees
their county, a city reviewer their city, base staff their base, province-wide roles everything.
Only current batches count (published: open or closed for registration; not drafts, not archived).

The page costs a fixed number of grouped queries, whatever the number of bases or applications:

1. applications per batch, status and region (by city; by county for county and city reviewers);
2. the review queues the viewer works on, per batch and waiting-time bucket;
3. GP-transfer places per base: the 全科 quota minus the applications assigned there;
4. residency quotas per base and specialty;
5. the residency season per base and specialty (``app.domain.reporting.season``: applicants, 准考证,
   scored and 缺考, admitted, the answers to the 录取通知, 报到, missing documents), one union;
6. the residency combined-score histogram (10-point bands);
7. for the province admin and the superuser, recruitment progress: each current batch with its plan,
   quota total, bases with places and admissions so far (one statement, grouped subqueries).

Waiting time is how long an application has sat in its current queue:

* county queue (GP, submitted) and base review queue (residency, submitted): since ``submitted_at``,
  which a resubmission resets (``app.domain.workflow.transition``) — the measure of the list's waiting filter;
* later queues (city review, base assignment, on-site confirmation): since ``status_changed_at``, the moment
  the application entered its current status (written by ``transition`` / ``transition_many``; the
  migration took it from the latest review record into that status).

A boundary belongs to the longer wait, as in the list's waiting filter ("more than 3 days" means
``submitted_at <= now - 3 days``): an application that has waited exactly 3 days is in "3–7 days",
so the linked list shows exactly the applications counted.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, literal, select, union_all

from app.domain.access import per_scope, scope_condition
from app.domain.reporting.season import SEASON_ROLES, TOP, by_base, place_tables, season_rows, top_items
from app.domain.reporting.progress import CURRENT_BATCH_STATUSES, recruitment_progress
from app.domain.review.assignment import BasePlaces, gp_specialty_id
from app.domain.workflow.queues import timed_queues
from app.extensions import db
from models import (
    Application,
    ApplicationCount,
    Batch,
    Quota,
    Region,
    Role,
    Status,
    TrainingBase,
)
from models.clock import now
from models.enums import Program

S, GP, RES = Status, Program.GP_TRANSFER, Program.RESIDENCY


# waiting-time buckets: (lower bound in days, label); the list's waiting filter offers 3, 7 and 14
BUCKETS = ((0, _l("Within 3 days")), (3, _l("3–7 days")), (7, _l("7–14 days")), (14, _l("Over 14 days")))
WAITING_FILTER_DAYS = (3, 7, 14)
RESIDENCY_PLACES_ROLES = SEASON_ROLES
SCORE_BANDS = 10  # 0–10, …, 90–100 (100 itself in the last band); above 100 in an extra band


def region_level(user) -> str:
    """The region the counts are broken down by: county for county and city reviewers, else city."""
    return "county" if user.role in (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER) else "city"


def _current_batch():
    return Batch.status.in_(CURRENT_BATCH_STATUSES)


def _batch_entry(batches: dict, batch_id: int, name: str, program: str) -> dict:
    return batches.setdefault(batch_id, {
        "id": batch_id, "name": name, "program": program, "program_label": Program.label(program),
        "total": 0, "statuses": [], "regions": None, "queues": [], "gp_places": [], "residency_places": [],
        "scores": None})


# --- 1. counts by status and region --------------------------------------------------------------

# The dashboard's statements are made once per scope (``per_scope``) and kept: building nine statements
# with their subqueries and unions took about a fifth of the province's dashboard in Python. What changes
# between two views of one scope (the waiting times' bounds) is a parameter.

@per_scope
def _region_counts_statement(user):
    C = ApplicationCount
    region_column = C.county_id if region_level(user) == "county" else C.city_id
    count = func.sum(C.n)
    return (select(Batch.id, Batch.name, Batch.program, C.status, region_column, Region.name, Region.code, count)
            .join(C, C.batch_id == Batch.id)
            .outerjoin(Region, Region.id == region_column)
            .where(scope_condition(C, user), _current_batch())
            .group_by(Batch.id, Batch.name, Batch.program, C.status, region_column, Region.name, Region.code)
            .having(count != 0))


def _status_region_counts(user, batches: dict) -> None:
    level = region_level(user)
    rows = db.session.execute(_region_counts_statement(user)).all()
    order = {value: index for index, value in enumerate(Status.values())}
    for batch_id, name, program, status, region_id, region_name, region_code, count in rows:
        entry = _batch_entry(batches, batch_id, name, program)
        if entry["regions"] is None:
            entry["regions"] = {"level": level, "rows": {}, "totals": {}}
        table = entry["regions"]
        row = table["rows"].setdefault(region_id, {"id": region_id, "name": region_name or _("Region not given"),
                                                   "code": region_code, "counts": {}, "total": 0})
        row["counts"][status] = row["counts"].get(status, 0) + count
        row["total"] += count
        table["totals"][status] = table["totals"].get(status, 0) + count
        entry["total"] += count
    for entry in batches.values():
        table = entry["regions"]
        if not table:
            continue
        statuses = sorted(table["totals"], key=lambda s: order.get(s, len(order)))
        table["statuses"] = [{"status": s, "label": Status.label_for(s, entry["program"])} for s in statuses]
        table["rows"] = sorted(table["rows"].values(), key=lambda r: (r["code"] is None, r["code"] or ""))
        entry["statuses"] = [{"status": s["status"], "label": s["label"], "count": table["totals"][s["status"]]}
                             for s in table["statuses"]]
        table["chart"] = {
            "kind": "bar", "horizontal": True, "stacked": True,
            "labels": [r["name"] for r in table["rows"]],
            "datasets": [{"label": s["label"], "color": s["status"],
                          "data": [r["counts"].get(s["status"], 0) for r in table["rows"]]}
                         for s in table["statuses"]],
        }


# --- 2. waiting time per review queue ------------------------------------------------------------

BOUNDS = len(BUCKETS) - 1  # the waiting times' bounds: 3, 7 and 14 days before the moment shown


@per_scope
def _waiting_statement(user):
    """For each of ``user``'s timed queues and each current batch of its program, how many applications
    entered the queue within each waiting-time range: after ``bound0`` (within 3 days), between ``bound1``
    and ``bound0`` (3–7 days), …, down to the oldest bound; how many each queue holds is already known from
    the maintained counts (``_status_region_counts``), and the rest waited longer. Each range is counted
    on its own, a range of an index read from the index alone, so the statement reads the entries of the
    last two weeks once and gives none of them a bucket to group by."""
    # each count on its queue's status and batch, so that an index answers it: (batch_id, status,
    # submitted_at) for the queues timed from submission (a county's or a base's: with the scope first),
    # else (status, batch_id, status_changed_at); an OR over the queues would read every application
    in_scope = scope_condition(Application, user)
    parts = []
    for queue in timed_queues(user):
        entered = Application.submitted_at if queue.since_submission else Application.status_changed_at
        bounds = [bindparam(f"bound{index}", type_=entered.type) for index in range(BOUNDS)]
        ranges = [entered > bounds[0]] + [and_(entered > bounds[i], entered <= bounds[i - 1]) for i in range(1, BOUNDS)]
        parts.append(select(Batch.id, literal(queue.status),
                            *[select(func.count()).where(Application.batch_id == Batch.id, in_scope,
                                                         Application.status == queue.status, within)
                              .scalar_subquery() for within in ranges])
                     .where(Batch.program == queue.program, _current_batch()))
    return union_all(*parts)


def _queue_waiting(user, batches: dict, at: datetime) -> None:
    """Each timed queue's applications per waiting-time bucket, in the batches' entries (which
    ``_status_region_counts`` made, with each status's total in the viewer's scope)."""
    queues = timed_queues(user)
    if not queues:
        return
    bounds = {f"bound{index}": at - timedelta(days=days) for index, (days, _label) in enumerate(BUCKETS[1:])}
    rows = db.session.execute(_waiting_statement(user), bounds)
    recent = {(batch_id, status): within for batch_id, status, *within in rows}
    for entry in batches.values():
        totals = entry["regions"]["totals"] if entry["regions"] else {}
        for queue in queues:
            if queue.program != entry["program"]:
                continue
            # within 3 days, 3–7 days, 7–14 days; the rest of the queue (entered before the last bound, or
            # never timed): over 14 days
            within = list(recent.get((entry["id"], queue.status), [0] * BOUNDS))
            buckets = [*within, totals.get(queue.status, 0) - sum(within)]
            # "more than N days", cumulative, as the list's waiting filter selects them
            over = [(days, sum(n for n, (low, _label) in zip(buckets, BUCKETS) if low >= days))
                    for days in WAITING_FILTER_DAYS] if queue.since_submission else []
            entry["queues"].append({"key": queue.key, "label": str(queue.label), "status": queue.status,
                                    "total": sum(buckets), "buckets": buckets, "over": over,
                                    "since_submission": queue.since_submission})
        if entry["queues"]:
            entry["queue_chart"] = {
                "kind": "bar", "horizontal": True, "stacked": True,
                "labels": [q["label"] for q in entry["queues"]],
                "datasets": [{"label": str(label), "color": f"wait{index}",
                              "data": [q["buckets"][index] for q in entry["queues"]]}
                             for index, (_days, label) in enumerate(BUCKETS)],
            }


# --- 3. GP-transfer places per base --------------------------------------------------------------

@per_scope
def _gp_places_statement(user):
    gp_batches = select(Batch.id).where(Batch.program == GP, _current_batch())
    C = ApplicationCount
    taken = (select(C.batch_id, C.base_id, func.sum(C.n).label("taken"))
             .where(C.status == S.ASSIGNED, C.batch_id.in_(gp_batches))
             .group_by(C.batch_id, C.base_id).subquery())
    return (select(Batch.id, Batch.name, Batch.program, TrainingBase, Quota, func.coalesce(taken.c.taken, 0))
            .join(Quota, Quota.batch_id == Batch.id)
            .join(TrainingBase, TrainingBase.id == Quota.base_id)
            .outerjoin(taken, and_(taken.c.batch_id == Quota.batch_id, taken.c.base_id == Quota.base_id))
            .where(Batch.program == GP, _current_batch(), Quota.specialty_id == gp_specialty_id(),
                   TrainingBase.trains_gp_transfer.is_(True), scope_condition(Quota, user))
            .order_by(TrainingBase.name))


def _gp_places(user, batches: dict) -> None:
    rows = db.session.execute(_gp_places_statement(user)).all()
    for batch_id, name, program, base, quota, count in rows:
        _batch_entry(batches, batch_id, name, program)["gp_places"].append(BasePlaces(base, quota, count))
    for entry in batches.values():
        places = entry["gp_places"]
        if places:
            entry["gp_totals"] = {"capacity": sum(p.quota.capacity for p in places),
                                  "taken": sum(p.taken for p in places),
                                  "remaining": sum(p.remaining for p in places)}
            entry["gp_chart"] = {
                "kind": "bar", "horizontal": True, "stacked": True,
                "labels": [p.base.name for p in places],
                "datasets": [{"label": _("Assigned"), "color": "taken", "data": [p.taken for p in places]},
                             {"label": _("Remaining places"), "color": "remaining",
                              "data": [p.remaining for p in places]}],
            }


# --- 4. residency: places, applicants and admissions per base and specialty ----------------------

def _residency_places(user, batches: dict) -> None:
    """Quota and the season's states per base and specialty (``app.domain.reporting.season``), grouped
    by base; the batch's totals and top items."""
    if user.role not in RESIDENCY_PLACES_ROLES:
        return
    for batch_id, table in place_tables(*season_rows(user)).items():
        entry = _batch_entry(batches, batch_id, table["name"], table["program"])
        entry["residency_places"] = table["rows"]
        entry["residency_bases"], entry["residency_totals"] = by_base(table["rows"])
        if len(entry["residency_bases"]) > 1:
            entry["top_items"] = top_items(entry["residency_bases"], table["rows"])


# --- 5. residency: combined-score distribution ---------------------------------------------------

def score_band_label(index: int) -> str:
    if index >= SCORE_BANDS:
        return _("Above 100")
    return f"{index * 10}–{index * 10 + 10}"


def _band_conditions():
    """Each band's condition on the combined score: [0, 10) … [80, 90), then [90, 100] (100 itself in the
    last band), then above 100; the first band also takes anything below 0."""
    score, tens = Application.combined_score, [Decimal(10 * i) for i in range(SCORE_BANDS + 1)]
    return ([score < tens[1]] + [and_(score >= tens[i], score < tens[i + 1]) for i in range(1, SCORE_BANDS - 1)]
            + [and_(score >= tens[-2], score <= tens[-1]), score > tens[-1]])


@per_scope
def _score_statement(user):
    """Each current residency batch with its scored applicants per band: a count per band, each a range
    of the index (batch_id, combined_score) read from the index alone for province-wide users, rather
    than every scored application given a band and grouped by it (a fifth of the time at 200,000)."""
    in_scope = scope_condition(Application, user)
    return (select(Batch.id, Batch.name, Batch.program,
                   *[select(func.count()).where(Application.batch_id == Batch.id, in_scope, condition)
                     .scalar_subquery() for condition in _band_conditions()])
            .where(Batch.program == RES, _current_batch()))


def _score_histogram(user, batches: dict) -> None:
    for batch_id, name, program, *counts in db.session.execute(_score_statement(user)):
        if any(counts):
            _batch_entry(batches, batch_id, name, program)["scores"] = list(counts)
    for entry in batches.values():
        scores = entry["scores"]
        if not scores:
            continue
        bands = [{"label": score_band_label(i), "count": n} for i, n in enumerate(scores)
                 if i < SCORE_BANDS or n]
        entry["score_bands"] = bands
        entry["score_total"] = sum(scores)
        entry["score_chart"] = {
            "kind": "bar", "horizontal": False, "stacked": False, "labels": [b["label"] for b in bands],
            "datasets": [{"label": _("Applicants"), "color": "res_applied", "data": [b["count"] for b in bands]}],
        }


# --- 6. headline numbers and top items (no statement) ----------------------------------------------

GP_WAITING = (S.SUBMITTED, S.COUNTY_APPROVED, S.CITY_APPROVED)  # GP: waiting for a commission


def _headline(entry: dict) -> list[dict]:
    """The batch's few numbers at the top: applications, waiting in the viewer's queues, then places and
    how far admission has come (residency) or places assigned and left (GP)."""
    numbers = [("applications", _("Applications received"), entry["total"])]
    if entry["queues"]:
        numbers.append(("waiting", _("Waiting in queues"), sum(q["total"] for q in entry["queues"])))
    totals = entry.get("residency_totals")
    if totals:
        numbers += [("places", _("Places"), totals["quota"]), ("admitted", _("Admitted"), totals["admitted"]),
                    ("accepted", _("Accepted"), totals["accepted"]), ("reported", _("Reported"), totals["reported"])]
    gp = entry.get("gp_totals")
    if gp:
        numbers += [("places", _("Places"), gp["capacity"]), ("assigned", _("Assigned"), gp["taken"]),
                    ("remaining", _("Remaining places"), gp["remaining"])]
    return [{"key": key, "label": label, "value": value} for key, label, value in numbers]


def _gp_top_items(entry: dict) -> list[dict]:
    """GP: the longest review queues, the regions with most applications waiting, the bases with
    fewest places left."""
    queues = sorted((q for q in entry["queues"] if q["total"]), key=lambda q: -q["total"])[:TOP]
    regions = entry["regions"]["rows"] if entry["regions"] else []
    waiting = sorted(((r["name"], sum(r["counts"].get(s, 0) for s in GP_WAITING)) for r in regions),
                     key=lambda item: -item[1])
    places = sorted(entry["gp_places"], key=lambda p: (p.remaining, p.base.name))[:TOP]
    level = entry["regions"]["level"] if entry["regions"] else "city"
    return [  # a list of one item (the county reviewer's one queue and county) is no top list
        {"key": "queues", "title": _("Longest queues"),
         "entries": [{"name": q["label"], "value": q["total"]} for q in queues] if len(entry["queues"]) > 1 else []},
        {"key": "regions", "title": _("Counties with most applications waiting") if level == "county"
         else _("Cities with most applications waiting"),
         "entries": [{"name": name, "value": n} for name, n in waiting if n][:TOP] if len(regions) > 1 else []},
        {"key": "gp_places", "title": _("Fewest places left"),
         "entries": [{"base_id": p.base.id, "name": p.base.name, "value": p.remaining} for p in places]
         if len(entry["gp_places"]) > 1 else []},
    ]


def _summaries(batches: dict) -> None:
    for entry in batches.values():
        entry["headline"] = _headline(entry)
        tops = _gp_top_items(entry) if entry["program"] == GP else entry.get("top_items", [])
        entry["top_items"] = [top for top in tops if top["entries"]]


def dashboard_context(user, at: datetime | None = None) -> dict:
    """Everything the dashboard shows for ``user``, at ``at`` (now by default), in seven grouped queries
    at most (the recruitment progress only for the province admin and the superuser)."""
    at = at or now()
    batches: dict[int, dict] = {}
    _status_region_counts(user, batches)
    _queue_waiting(user, batches, at)
    _gp_places(user, batches)
    _residency_places(user, batches)
    _score_histogram(user, batches)
    _summaries(batches)
    ordered = sorted(batches.values(), key=lambda b: b["id"], reverse=True)
    return {"batches": ordered, "progress": recruitment_progress(user, at), "user": user,
            "region_level": region_level(user), "at": at,
            "buckets": [str(label) for _days, label in BUCKETS], "waiting_days": WAITING_FILTER_DAYS,
            "status_label": Status.label_for,
            # province-wide viewers see one screen: the sections behind the headline start folded
            "compact": user.role in Role.PROVINCE_WIDE}
