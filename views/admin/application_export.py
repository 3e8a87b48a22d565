"""The values of the application list's export, written straight from plain rows
(``app.domain.review.export``): a reader per column turns a row into the cell's value — text,
a number, a date — with the same Chinese labels and masking as the list (full values only in a
full-value export). Labels are translated once per chunk, not once per cell.

A column of ``ApplicationView.column_export_list`` needs a reader here (``readers``).
"""
from __future__ import annotations

from operator import itemgetter

from app.domain.admission.standing import STANDING_WIDTH
from app.domain.privacy import mask_id_number, mask_phone
from app.domain.review.export import INDEX, STANDING_AT, ExportChunk
from models import Status
from models.clock import today
from models.enums import AdmissionResult, Gender, Identity, InstitutionLevel, JobTitle, Program
from views.admin.application_states import STATE_EXPORT_READERS

# what ``readers`` adds after a row's own fields: the current job's title and unit level, the choices,
# the claim decisions and the standing
TITLE, LEVEL, CHOICES, DECISIONS, STANDING = range(STANDING_AT + STANDING_WIDTH, STANDING_AT + STANDING_WIDTH + 5)
PLAIN = ("id", "batch", "county", "city", "unit_name", "base", "submitted_at", "commissioning_unit",
         "onsite_confirmed_at", "admitted_specialty", "reported_at")


def labeller(choices):
    """``choices.label`` with the labels translated once: an unknown value is shown as is."""
    labels = {value: str(label) for value, label in choices.items}
    return lambda value: labels[value] if value in labels else ("" if value is None else str(value))


def readers(names, full: bool) -> list:
    """A function of the extended row for each column ``names``."""
    found = {name: itemgetter(INDEX[name]) for name in PLAIN}
    found["trainee.name"] = itemgetter(INDEX["name"])
    id_number, mobile = INDEX["id_number"], INDEX["mobile"]
    if full:
        found["trainee.id_number"] = lambda r: "" if r[id_number] is None else str(r[id_number])
        found["trainee.mobile"] = lambda r: "" if r[mobile] is None else str(r[mobile])
    else:
        found["trainee.id_number"] = lambda r: mask_id_number(r[id_number])
        found["trainee.mobile"] = lambda r: mask_phone(r[mobile])
    gender, title, level = labeller(Gender), labeller(JobTitle), labeller(InstitutionLevel)
    identity, result = labeller(Identity), labeller(AdmissionResult)
    status = labeller(Status)
    residency = {value: str(label) for value, label in Status.RESIDENCY_LABELS.items()}
    gender_at, identity_at, program_at, status_at = INDEX["gender"], INDEX["identity"], INDEX["program"], INDEX["status"]
    found["gender"] = lambda r: gender(r[gender_at]) if r[gender_at] else ""
    found["title"] = lambda r: title(r[TITLE]) if r[TITLE] else ""
    found["unit_level"] = lambda r: level(r[LEVEL]) if r[LEVEL] else ""
    found["identity"] = lambda r: identity(r[identity_at])
    found["status"] = lambda r: (residency[r[status_at]] if r[program_at] == Program.RESIDENCY
                                 and r[status_at] in residency else status(r[status_at]))
    result_at = INDEX["admission_result"]
    found["admission_result"] = lambda r: result(r[result_at])
    day, changed = today(), INDEX["status_changed_at"]
    found["waiting_days"] = lambda r: (day - r[changed].date()).days if r[changed] else ""
    found["choices"] = itemgetter(CHOICES)
    found["claim_decisions"] = itemgetter(DECISIONS)
    for name, read in STATE_EXPORT_READERS.items():
        found[name] = (lambda read: lambda r: "" if r[STANDING] is None else read(r[STANDING]))(read)
    return [found[name] for name in names]


def application_values(chunk: ExportChunk, names, full: bool) -> list[list]:
    """The cells of each row of ``chunk`` for the columns ``names``."""
    columns = readers(names, full)
    jobs, choices, decisions, standing = chunk.jobs, chunk.choices, chunk.decisions, chunk.standing
    values = []
    for row in chunk.rows:
        title, level = jobs.get(row[1], (None, None))
        extended = (*row, title, level, choices.get(row[0], ""), decisions.get(row[0], ""), standing(row))
        values.append([read(extended) for read in columns])
    return values

