"""What the application list's export reads: for a chunk of application ids, plain rows of only the
columns written (no ORM objects), in a fixed number of statements whatever the chunk's size — the
application with its trainee, batch, regions, base, admitted specialty and standing after on-site
confirmation in one joined select; the current jobs, the choices and the claim decisions in one
select each. The ids come from the list's own scoped query; the rows are read within the user's
scope again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.domain.access import scope_condition
from app.domain.admission.standing import (
    STANDING_WIDTH,
    standing_columns,
    standing_index,
    standing_of,
    with_standing_joins,
)
from app.domain.review.claims import decisions_text
from app.extensions import db
from app.infra.sql import among
from models import Application, ApplicationChoice, Batch, Employment, Institution, Region, Specialty, Trainee
from models import TrainingBase

# the row's fields before the standing's (the standing's own follow: ``standing_columns``)
FIELDS = ("id", "trainee_id", "name", "id_number", "mobile", "gender", "batch", "program", "identity", "county",
          "city", "unit_name", "base", "submitted_at", "status_changed_at", "commissioning_unit",
          "onsite_confirmed_at", "admitted_specialty", "reported_at")
STANDING_AT = len(FIELDS)
INDEX = {name: position for position, name in enumerate(FIELDS)}
# the application's own columns among the standing's
INDEX.update({name: STANDING_AT + standing_index(attribute)
              for name, attribute in (("status", Application.status),
                                      ("admission_result", Application.admission_result))})


@dataclass
class ExportChunk:
    """The rows of one chunk, in the order of the ids asked for, and what their other columns read."""

    rows: list  # tuples: FIELDS, then the standing's columns
    jobs: dict[int, tuple[str | None, str | None]]  # trainee id: (title, unit level) of the current job
    choices: dict[int, str]  # application id: "1. 内科；2. 外科"
    decisions: dict[int, str]  # application id: the claim decisions' text

    def standing(self, row):
        """The row's ``Standing`` (None: not a residency application confirmed on site)."""
        return standing_of(row[INDEX["program"]], row[STANDING_AT:STANDING_AT + STANDING_WIDTH])


def export_chunk(ids: list[int], user) -> ExportChunk:
    """The export's data of the applications ``ids`` inside ``user``'s scope (four statements)."""
    if not ids:
        return ExportChunk([], {}, {}, {})
    county, city = aliased(Region), aliased(Region)
    base = aliased(TrainingBase)
    statement = (
        select(Application.id, Application.trainee_id, Trainee.name, Trainee.id_number, Trainee.mobile,
               Trainee.gender, Batch.name, Batch.program, Application.identity, county.name, city.name,
               Application.unit_name, base.name, Application.submitted_at, Application.status_changed_at,
               Application.commissioning_unit, Application.onsite_confirmed_at, Specialty.name,
               Application.reported_at,
               *[base.name if column is TrainingBase.name else column for column in standing_columns()])
        .join(Trainee, Trainee.id == Application.trainee_id)
        .join(Batch, Batch.id == Application.batch_id)
        .outerjoin(county, county.id == Application.county_id)
        .outerjoin(city, city.id == Application.city_id)
        .outerjoin(base, base.id == Application.base_id))
    statement = with_standing_joins(statement, base=None).where(among(Application.id, ids),
                                                               scope_condition(Application, user))
    by_id = {}
    for row in db.session.connection().execute(statement).all():
        by_id.setdefault(row[0], tuple(row))  # a second current notice would repeat the row: keep one
    rows = [by_id[number] for number in ids if number in by_id]
    return ExportChunk(rows, current_jobs({row[1] for row in rows}), choices_text(by_id),
                       decisions_text(by_id))


def current_jobs(trainee_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
    """Each trainee's current job (the latest begun of those marked current, as
    ``Trainee.current_employment``): its title and its unit's level (the directory's for a listed unit,
    else the one typed in), in one statement."""
    ids = list(trainee_ids)
    if not ids:
        return {}
    rows = db.session.connection().execute(
        select(Employment.trainee_id, Employment.title, Institution.level, Employment.unit_level,
               Employment.institution_id)
        .outerjoin(Institution, Institution.id == Employment.institution_id)
        .where(among(Employment.trainee_id, ids), Employment.is_current.is_(True))
        .order_by(Employment.trainee_id, Employment.start_date)).all()
    return {trainee_id: (title, listed if institution_id is not None else typed)
            for trainee_id, title, listed, typed, institution_id in rows}


def choices_text(application_ids: Iterable[int]) -> dict[int, str]:
    """志愿 in order, one line each application: {application id: "1. 内科；2. 外科"} (one statement)."""
    ids = list(application_ids)
    if not ids:
        return {}
    lines: dict[int, list[str]] = {}
    for application_id, rank, name in db.session.connection().execute(
            select(ApplicationChoice.application_id, ApplicationChoice.rank, Specialty.name)
            .join(Specialty, Specialty.id == ApplicationChoice.specialty_id)
            .where(among(ApplicationChoice.application_id, ids))
            .order_by(ApplicationChoice.application_id, ApplicationChoice.rank)).all():
        lines.setdefault(application_id, []).append(f"{rank}. {name}")
    return {number: "；".join(texts) for number, texts in lines.items()}
