"""Reading a profile snapshot (``app.domain.enrollment.snapshot``) for people: Chinese labels and values, and what
changed between two snapshots (the submission before a return and the resubmission).

``snapshot_changes(old, new)`` returns a list of :class:`Change`: a changed field of the profile
or of a row matched in both snapshots ("字段：旧值 → 新值"), or a row added or removed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain.privacy import mask
from app.i18n import cn_date
from models.enums import (
    Degree,
    EducationLevel,
    Gender,
    IdType,
    InstitutionKind,
    InstitutionLevel,
    JobTitle,
    PoliticalStatus,
    PracticeCategory,
    TitleGrade,
)

BASIC_FIELDS = ("name", "gender", "id_type", "id_number", "birth_date", "ethnicity", "political_status",
                "has_licence", "is_graduate_student", "residency_withdrawn_on",
                "prior_residency_base", "prior_residency_ended_on", "prior_residency_passed", "prior_residency_passed_on")
CONTACT_FIELDS = ("mobile", "email", "address", "postal_code", "emergency_contact", "emergency_phone")
EDUCATION_FIELDS = ("school", "major", "level", "degree", "full_time", "upgraded_from_junior", "start_date",
                    "end_date", "graduation_date", "diploma_number", "degree_number")
EMPLOYMENT_FIELDS = ("unit_name", "unit_level", "unit_kind", "region_name", "department", "title", "title_grade",
                     "start_date", "end_date", "is_current", "unit_has_independent_gp_dept",
                     "in_independent_gp_dept")
LICENCE_FIELDS = ("category", "scope_name", "qualification_number", "practice_number", "registered_on")

FIELD_LABELS = {
    "name": _l("Full name"), "gender": _l("Gender"), "id_type": _l("ID type"), "id_number": _l("ID number"),
    "birth_date": _l("Birth date"), "ethnicity": _l("Ethnicity"), "political_status": _l("Political status"),
    "has_licence": _l("Has licence"), "is_graduate_student": _l("Current graduate student"),
    "residency_withdrawn_on": _l("Withdrew from residency training on"),
    "prior_residency_base": _l("Earlier residency training: base"),
    "prior_residency_ended_on": _l("Earlier residency training: ended on"),
    "prior_residency_passed": _l("Earlier residency training: passed the completion exam"),
    "prior_residency_passed_on": _l("Earlier residency training: passed the completion exam on"),
    "mobile": _l("Mobile"), "email": _l("Email"), "address": _l("Address"), "postal_code": _l("Postal code"),
    "emergency_contact": _l("Emergency contact"), "emergency_phone": _l("Emergency contact phone"),
    "photo_id": _l("One-inch photo"),
    "school": _l("School"), "major": _l("Major"), "level": _l("Education level"), "degree": _l("Degree"),
    "full_time": _l("Full-time"), "upgraded_from_junior": _l("Junior-college-to-bachelor"),
    "start_date": _l("Start date"), "end_date": _l("End date"), "graduation_date": _l("Graduation date"),
    "diploma_number": _l("Diploma number"), "degree_number": _l("Degree certificate number"),
    "unit_name": _l("Work unit"), "unit_level": _l("Unit level"), "unit_kind": _l("Unit kind"),
    "region_name": _l("County"), "department": _l("Department"), "title": _l("Job title"),
    "title_grade": _l("Title grade"), "is_current": _l("Current job"),
    "unit_has_independent_gp_dept": _l("Unit has an independent GP department"),
    "in_independent_gp_dept": _l("Works in the independent GP department"),
    "category": _l("Practice category"), "scope_name": _l("Practice scope"),
    "qualification_number": _l("Physician qualification certificate number"),
    "practice_number": _l("Practising certificate number"), "registered_on": _l("Registered on"),
}
ENUMS = {"gender": Gender, "id_type": IdType, "political_status": PoliticalStatus, "level": EducationLevel,
         "degree": Degree, "unit_level": InstitutionLevel, "unit_kind": InstitutionKind, "title": JobTitle,
         "title_grade": TitleGrade, "category": PracticeCategory}
SECTIONS = (
    ("educations", _l("Education"), EDUCATION_FIELDS, ("school", "major")),
    ("employments", _l("Employment"), EMPLOYMENT_FIELDS, ("unit_name", "department")),
    ("licences", _l("Licences"), LICENCE_FIELDS, ("category", "practice_number")),
)
ROW_KEYS = {"educations": ("school", "major"), "employments": ("unit_name",),
            "licences": ("category", "qualification_number", "practice_number")}


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def show(key: str, value: Any) -> str:
    """A snapshot value in Chinese: enumeration labels, 是/否, dates as 2025年5月6日, "—" when empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in ENUMS:
        return ENUMS[key].label(value)
    if key.endswith(("_date", "_on")) and isinstance(value, str):
        try:
            return cn_date(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def is_typed_unit(row: dict) -> bool:
    """An employment row whose unit the trainee typed in (自填) instead of picking it from the unit
    directory; snapshots taken before ``unit_typed`` was frozen say so by having no ``institution_id``."""
    if "unit_typed" in row:
        return bool(row["unit_typed"])
    return row.get("institution_id") is None


def row_summary(section: str, row: dict) -> str:
    for name, _title, _fields, summary in SECTIONS:
        if name == section:
            return " ".join(show(k, row.get(k)) for k in summary if row.get(k))
    return ""


@dataclass
class Change:
    section: str          # Chinese section label
    kind: str             # "changed" | "added" | "removed"
    field: str = ""       # Chinese field label (changed)
    old: str = ""
    new: str = ""
    row: str = ""         # summary of the row (rows only)


def _field_changes(section: str, fields, old: dict, new: dict, row: str = "", masked: bool = False) -> list[Change]:
    """The changed fields; with ``masked``, ID numbers and phone numbers are shown masked (PIPL)."""
    def shown(key, value):
        return show(key, mask(key, value) if masked else value)
    return [Change(section, "changed", field_label(k), shown(k, old.get(k)), shown(k, new.get(k)), row)
            for k in fields if old.get(k) != new.get(k)]


def _freeze(row: dict, fields) -> tuple:
    return tuple(row.get(k) for k in fields)


def snapshot_changes(old: dict | None, new: dict | None, masked: bool = False) -> list[Change]:
    """What changed from ``old`` to ``new``; rows are matched by their identifying fields. With
    ``masked`` (the back office), changed ID numbers and phone numbers are shown masked."""
    if not old or not new:
        return []
    changes = _field_changes(str(_l("Basic information")), BASIC_FIELDS, old, new, masked=masked)
    changes += _field_changes(str(_l("Contact information")), CONTACT_FIELDS, old, new, masked=masked)
    if old.get("photo_id") != new.get("photo_id"):
        changes.append(Change(str(_l("Basic information")), "changed", field_label("photo_id"),
                              _("Earlier photo") if old.get("photo_id") else "—",
                              _("New photo") if new.get("photo_id") else "—"))
    for name, title, fields, _summary in SECTIONS:
        section = str(title)
        old_rows, new_rows = list(old.get(name) or []), list(new.get(name) or [])
        # identical rows are unchanged
        same = Counter(_freeze(r, fields) for r in old_rows) & Counter(_freeze(r, fields) for r in new_rows)
        left, right = [], []
        for rows, rest in ((old_rows, left), (new_rows, right)):
            budget = same.copy()
            for r in rows:
                key = _freeze(r, fields)
                if budget[key]:
                    budget[key] -= 1
                else:
                    rest.append(r)
        # the rest: pair rows with the same identifying fields, the others were added or removed
        keys = ROW_KEYS[name]
        for r in list(right):
            match = next((o for o in left if _freeze(o, keys) == _freeze(r, keys)), None)
            if match is None:
                continue
            left.remove(match)
            right.remove(r)
            changes += _field_changes(section, fields, match, r, row_summary(name, r))
        if len(left) == 1 and len(right) == 1:  # one row edited in its identifying fields too
            changes += _field_changes(section, fields, left[0], right[0], row_summary(name, right[0]))
            left, right = [], []
        changes += [Change(section, "removed", row=row_summary(name, r)) for r in left]
        changes += [Change(section, "added", row=row_summary(name, r)) for r in right]
    return changes
