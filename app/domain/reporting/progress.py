"""Recruitment progress against the province's plan (the dashboard of the province admin and the
superuser): each current batch with its plan, quota total, bases with places and admissions so far,
round 2 (调剂补录) under the first round it follows, and where today stands against each phase deadline."""
from __future__ import annotations

import functools
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import aliased

from app.domain.review.assignment import gp_specialty_id
from app.domain.workflow import states
from app.extensions import db
from app.i18n import cn_date
from models import ApplicationCount, Batch, Quota, Role, Status
from models.enums import BatchRound, BatchStatus, Program

S, GP, RES = Status, Program.GP_TRANSFER, Program.RESIDENCY
CURRENT_BATCH_STATUSES = (BatchStatus.OPEN, BatchStatus.CLOSED)  # published: open or closed for registration
# who sees the recruitment progress against the province's plan
PROGRESS_ROLES = (Role.PROVINCE_ADMIN, Role.SUPERUSER)


def deadline_state(deadline: date | None, today: date) -> dict:
    """Where ``today`` stands against a deadline that includes its whole day."""
    if deadline is None:
        return {"key": "unset", "text": _("Not set")}
    days = (deadline - today).days
    if days > 0:
        return {"key": "ahead", "days": days, "text": _("%(days)s days left", days=days)}
    if days == 0:
        return {"key": "today", "days": 0, "text": _("Due today")}
    return {"key": "passed", "days": -days, "text": _("Passed %(days)s days ago", days=-days)}


def plan_state(admitted: int, plan: int | None) -> dict:
    """Whether the admissions reach the plan figure."""
    if plan is None:
        return {"key": "no_plan", "text": _("No plan figure set"), "percent": None}
    percent = min(100, round(100 * admitted / plan)) if plan else 100
    if admitted >= plan:
        return {"key": "met", "text": _("Plan met"), "percent": percent}
    return {"key": "short", "text": _("Plan not met"), "detail": _("%(count)s short", count=plan - admitted),
            "percent": percent}


def _phase(key: str, label: str, note: str | None, deadline: date | None, admitted: int, plan: int | None,
           today: date) -> dict:
    return {"key": key, "label": label, "note": note, "deadline": deadline, "deadline_text": cn_date(deadline),
            "state": deadline_state(deadline, today), "admitted": admitted, "plan": plan,
            "result": plan_state(admitted, plan)}


def recruitment_progress(user, at: datetime) -> list[dict] | None:
    """Current batches, each round-2 (调剂补录) batch under the first round it follows: plan, quota
    total, bases with places against the bases expected, admissions so far and the phase deadlines.

    Admitted means, for residency, admitted or reported (``app.domain.workflow.states.ADMITTED``); for GP
    transfer, assigned to a base. Phase one counts the first round; phase two adds its round-2 batches.
    A round-2 batch not yet published is shown (it is being prepared); archived ones are not."""
    if user.role not in PROGRESS_ROLES:
        return None
    return _progress_groups(_progress_batches(), at.date())


@functools.cache
def _progress_statement():
    """The statement of ``_progress_batches``, the same for every viewer: made once (its four aliases of
    the batch table and three subqueries took longer to build than to run)."""
    first, shown_batch = aliased(Batch), aliased(Batch)
    current_first = select(first.id).where(first.round == BatchRound.FIRST, first.status.in_(CURRENT_BATCH_STATUSES))
    shown = select(shown_batch.id).where(or_(
        shown_batch.status.in_(CURRENT_BATCH_STATUSES),
        and_(shown_batch.round == BatchRound.SUPPLEMENTARY, shown_batch.status != BatchStatus.ARCHIVED,
             shown_batch.previous_batch_id.in_(current_first))))
    quota_batch, admitted_batch = aliased(Batch), aliased(Batch)
    # a GP batch's places are its 全科 quotas, as in the places per base above
    places = (select(Quota.batch_id.label("batch_id"), func.sum(Quota.capacity).label("places"),
                     func.count(distinct(case((Quota.capacity > 0, Quota.base_id)))).label("bases"))
              .join(quota_batch, quota_batch.id == Quota.batch_id)
              .where(Quota.batch_id.in_(shown),
                     or_(quota_batch.program != GP, Quota.specialty_id == gp_specialty_id()))
              .group_by(Quota.batch_id).subquery())
    # from the maintained counts (models.application_count), not the applications
    C = ApplicationCount
    admitted = (select(C.batch_id.label("batch_id"), func.sum(C.n).label("admitted"))
                .join(admitted_batch, admitted_batch.id == C.batch_id)
                .where(C.batch_id.in_(shown),
                       or_(and_(admitted_batch.program == RES, C.status.in_(states.ADMITTED)),
                           and_(admitted_batch.program != RES, C.status == S.ASSIGNED)))
                .group_by(C.batch_id).subquery())
    return (select(Batch.id, Batch.name, Batch.program, Batch.round, Batch.status, Batch.previous_batch_id,
                   Batch.plan_total, Batch.expected_base_count, Batch.phase_one_deadline, Batch.phase_two_deadline,
                   func.coalesce(places.c.places, 0), func.coalesce(places.c.bases, 0),
                   func.coalesce(admitted.c.admitted, 0))
            .outerjoin(places, places.c.batch_id == Batch.id)
            .outerjoin(admitted, admitted.c.batch_id == Batch.id)
            .where(Batch.id.in_(shown))
            .order_by(Batch.id))


def _progress_batches() -> dict[int, dict]:
    """The batches shown, by id: plan, quota total, bases with places and admissions (one statement)."""
    rows = db.session.execute(_progress_statement()).all()
    batches = {}
    for (batch_id, name, program, round_, status, previous_id, plan, expected, phase_one, phase_two, quota_total,
         bases, admitted_count) in rows:
        batches[batch_id] = {
            "id": batch_id, "name": name, "program": program, "program_label": Program.label(program),
            "round": round_, "round_label": BatchRound.label(round_), "status": status,
            "status_label": BatchStatus.label(status), "previous_id": previous_id, "plan": plan,
            "expected_bases": expected, "phase_one_deadline": phase_one, "phase_two_deadline": phase_two,
            "places": int(quota_total), "bases": int(bases), "admitted": int(admitted_count),
            "bases_short": expected is not None and bases < expected}
    return batches


def _progress_groups(batches: dict[int, dict], today: date) -> list[dict]:
    """Each first round with its round-2 batches, and the two phases' admissions against the plan."""
    groups: dict[int, dict] = {}
    for batch in batches.values():
        head = batches.get(batch["previous_id"]) if batch["round"] == BatchRound.SUPPLEMENTARY else None
        if head is not None and head["round"] == BatchRound.FIRST:
            groups[head["id"]]["batches"].append(batch)
        else:
            groups[batch["id"]] = {"head": batch, "batches": [batch]}
    result = []
    for group in groups.values():
        head, later = group["head"], group["batches"][1:]
        plan = head["plan"]
        phases = []
        if head["round"] == BatchRound.FIRST:
            phases.append(_phase("one", _("Phase one"), None, head["phase_one_deadline"], head["admitted"], plan,
                                 today))
        second = head["phase_two_deadline"] or max(
            (b["phase_two_deadline"] for b in later if b["phase_two_deadline"]), default=None)
        phases.append(_phase("two", _("Phase two"), _("with the supplementary round"), second,
                             sum(b["admitted"] for b in group["batches"]), plan, today))
        group.update({
            "id": head["id"], "name": head["name"], "program_label": head["program_label"], "plan": plan,
            "phases": phases, "admitted": phases[-1]["admitted"], "result": phases[-1]["result"],
            "places_short": plan is not None and head["places"] < plan})
        result.append(group)
    order = {Program.RESIDENCY: 0, Program.GP_TRANSFER: 1}
    return sorted(result, key=lambda g: (order.get(g["head"]["program"], 2), -g["id"]))


