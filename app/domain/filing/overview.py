"""What each side sees of the professional master's filing, in grouped queries within the viewer's scope:
the students filed (a university's own, a base's), every university's state and the late filers (the
province), and the counts per base and specialty next to the residency quota and admissions."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import case, func, select

from app.domain.access import scope
from app.domain.filing import deadline_of
from app.domain.privacy import mask_id_number
from app.domain.workflow import states
from app.extensions import db
from app.infra.xlsx import safe_row, workbook_stream, write_header
from models import (
    Application,
    Batch,
    CrossCityApproval,
    FilingReopening,
    MasterFiling,
    Quota,
    Specialty,
    TrainingBase,
    University,
)
from models.enums import MasterMajor, Program

UNFILED, FILED, LATE_FILED, OVERDUE = "unfiled", "filed", "late_filed", "overdue"


def state_label(key: str) -> str:
    return {UNFILED: _("Not filed yet"), FILED: _("Filed"), LATE_FILED: _("Filed late"),
            OVERDUE: _("Overdue, not filed")}[key]


def filings(user, year: int) -> list[MasterFiling]:
    """The students filed for ``year`` that ``user`` may see (university, base and specialty loaded)."""
    stmt = (select(MasterFiling).where(MasterFiling.year == year)
            .options(db.joinedload(MasterFiling.university), db.joinedload(MasterFiling.base),
                     db.joinedload(MasterFiling.specialty))
            .order_by(MasterFiling.university_id, MasterFiling.id))
    return list(db.session.scalars(scope(stmt, MasterFiling, user)))


def university_states(user, year: int, today: date) -> list[dict]:
    """Every Henan university in scope with its count filed, late and flagged, and its state."""
    counts = {row.university_id: row for row in db.session.execute(
        scope(select(MasterFiling.university_id, func.count().label("filed"),
                     func.sum(case((MasterFiling.late, 1), else_=0)).label("late"),
                     func.count(MasterFiling.flag_reason).label("flagged"),
                     func.max(MasterFiling.filed_at).label("last"))
              .where(MasterFiling.year == year).group_by(MasterFiling.university_id), MasterFiling, user))}
    reopened = dict(db.session.execute(
        select(FilingReopening.university_id, func.max(FilingReopening.until))
        .where(FilingReopening.year == year).group_by(FilingReopening.university_id)).all())
    approvals = dict(db.session.execute(
        select(CrossCityApproval.university_id, CrossCityApproval.state).where(CrossCityApproval.year == year)).all())
    deadline = deadline_of(year)
    rows = []
    for university in db.session.scalars(scope(select(University).where(University.in_henan.is_(True))
                                               .order_by(University.id), University, user)):
        count = counts.get(university.id)
        if count is not None:
            key = LATE_FILED if count.late else FILED
        else:
            key = OVERDUE if today > deadline else UNFILED
        rows.append({"university": university, "filed": count.filed if count else 0,
                     "late": count.late if count else 0, "flagged": count.flagged if count else 0,
                     "last": count.last if count else None, "state": key, "state_text": state_label(key),
                     "reopened_until": reopened.get(university.id), "cross_city": approvals.get(university.id)})
    return rows


def late_filers(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row["state"] == OVERDUE]


def base_counts(user, year: int) -> list[dict]:
    """Per base and specialty: students filed (and flagged) next to the year's residency quota and admissions."""
    filed = db.session.execute(scope(
        select(MasterFiling.base_id, MasterFiling.specialty_id, func.count().label("filed"),
               func.count(MasterFiling.flag_reason).label("flagged"))
        .where(MasterFiling.year == year).group_by(MasterFiling.base_id, MasterFiling.specialty_id),
        MasterFiling, user)).all()
    keys = {(row.base_id, row.specialty_id) for row in filed}
    residency = select(Batch.id).where(Batch.year == year, Batch.program == Program.RESIDENCY)
    quotas = dict(((row.base_id, row.specialty_id), row.places) for row in db.session.execute(
        select(Quota.base_id, Quota.specialty_id, func.sum(Quota.capacity).label("places"))
        .where(Quota.batch_id.in_(residency), Quota.base_id.in_({k[0] for k in keys}))
        .group_by(Quota.base_id, Quota.specialty_id)))
    admitted = dict(((row.base_id, row.admitted_specialty_id), row.n) for row in db.session.execute(
        select(Application.base_id, Application.admitted_specialty_id, func.count().label("n"))
        .where(Application.batch_id.in_(residency), Application.status.in_(states.ADMITTED),
               Application.base_id.in_({k[0] for k in keys}))
        .group_by(Application.base_id, Application.admitted_specialty_id)))
    names = _names(keys)
    rows = [{"base": names["bases"].get(row.base_id, ""), "specialty": names["specialties"].get(row.specialty_id, ""),
             "filed": row.filed, "flagged": row.flagged, "quota": quotas.get((row.base_id, row.specialty_id), 0),
             "admitted": admitted.get((row.base_id, row.specialty_id), 0)} for row in filed]
    return sorted(rows, key=lambda r: (r["base"], r["specialty"]))


def _names(keys) -> dict[str, dict[int, str]]:
    bases = dict(db.session.execute(select(TrainingBase.id, TrainingBase.name)
                                    .where(TrainingBase.id.in_({k[0] for k in keys}))).all())
    specialties = dict(db.session.execute(select(Specialty.id, Specialty.name)
                                          .where(Specialty.id.in_({k[1] for k in keys}))).all())
    return {"bases": bases, "specialties": specialties}


def pending_approvals(user) -> list[CrossCityApproval]:
    stmt = (select(CrossCityApproval).options(db.joinedload(CrossCityApproval.university))
            .order_by(CrossCityApproval.state != "pending", CrossCityApproval.requested_at.desc()))
    return list(db.session.scalars(scope(stmt, CrossCityApproval, user)))


def export_workbook(user, year: int, today: date):
    """The province's export: the students (ID numbers masked), every university's state, the late filers
    and the counts per base and specialty, each on its own sheet and every row through ``safe_row``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Students filed")
    write_header(sheet, [_("University"), _("Full name"), _("Resident ID number"), _("Major"), _("Enrolment year"),
                         _("Training base"), _("Residency specialty base"), _("Filed late"), _("Base's flag")], (24, 10, 22, 12,
                                                                                                 10, 28, 16, 8, 30))
    for f in filings(user, year):
        sheet.append(safe_row(sheet, [f.university.name, f.name, mask_id_number(f.id_number),
                                      MasterMajor.label(f.major), f.enrolment_year, f.base.name, f.specialty.name,
                                      _("Yes") if f.late else "", f.flag_reason or ""]))
    states_rows = university_states(user, year, today)
    _state_sheet(workbook.create_sheet(_("Universities")), states_rows)
    _state_sheet(workbook.create_sheet(_("Overdue, not filed")), late_filers(states_rows))
    counts = workbook.create_sheet(_("By base and specialty"))
    write_header(counts, [_("Training base"), _("Residency specialty base"), _("Students filed"), _("Flagged by the base"),
                          _("Residency quota"), _("Residency admitted")], (28, 16, 10, 10, 10, 10))
    for row in base_counts(user, year):
        counts.append(safe_row(counts, [row["base"], row["specialty"], row["filed"], row["flagged"], row["quota"],
                                        row["admitted"]]))
    return workbook_stream(workbook)


def _state_sheet(sheet, rows: list[dict]) -> None:
    write_header(sheet, [_("University"), _("City"), _("State"), _("Students filed"), _("Filed late"),
                         _("Flagged by the base")], (24, 10, 12, 10, 10, 10))
    for row in rows:
        sheet.append(safe_row(sheet, [row["university"].name, row["university"].city, row["state_text"],
                                      row["filed"], row["late"], row["flagged"]]))
