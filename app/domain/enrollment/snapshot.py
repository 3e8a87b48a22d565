"""The frozen copy of a trainee's profile taken at submission (JSON, plain values only).

Rules of eligibility and exemption read this shape; reviewers see it on the detail page.

    {
      "name", "gender", "id_type", "id_number", "birth_date", "ethnicity", "political_status",
      "mobile", "email", "address", "postal_code", "emergency_contact", "emergency_phone",
      "has_licence": bool | None, "is_graduate_student": bool,
      "residency_withdrawn_on": "YYYY-MM-DD" | None, "prior_residency_base": str | None,
      "prior_residency_ended_on": "YYYY-MM-DD" | None, "prior_residency_passed": bool | None,
      "prior_residency_passed_on": "YYYY-MM-DD" | None,
      "photo_id": int | None,
      "educations": [{"school", "major", "level", "degree", "full_time", "upgraded_from_junior",
                      "start_date", "end_date", "graduation_date", "diploma_number", "degree_number"}],
      "employments": [{"unit_name", "institution_id", "unit_level", "unit_kind", "unit_typed", "region_id", "region_name",
                       "department", "title", "title_grade", "start_date", "end_date", "is_current",
                       "unit_has_independent_gp_dept", "in_independent_gp_dept"}],
      "licences": [{"category", "scope_code", "scope_name", "qualification_number", "practice_number",
                    "registered_on"}],
    }

Dates are ISO strings; enumerations are their stored values (see models.enums).
"""
from __future__ import annotations

from datetime import date


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def profile_snapshot(trainee) -> dict:
    """The trainee's profile as plain data, with each unit's level from the directory or as typed."""
    return {
        "name": trainee.name, "gender": trainee.gender, "id_type": trainee.id_type,
        "id_number": trainee.id_number, "birth_date": _iso(trainee.birth_date), "ethnicity": trainee.ethnicity,
        "political_status": trainee.political_status, "mobile": trainee.mobile, "email": trainee.email,
        "address": trainee.address, "postal_code": trainee.postal_code,
        "emergency_contact": trainee.emergency_contact, "emergency_phone": trainee.emergency_phone,
        "has_licence": trainee.has_licence, "is_graduate_student": trainee.is_graduate_student,
        "residency_withdrawn_on": _iso(trainee.residency_withdrawn_on),
        "prior_residency_base": trainee.prior_residency_base,
        "prior_residency_ended_on": _iso(trainee.prior_residency_ended_on),
        "prior_residency_passed": trainee.prior_residency_passed,
        "prior_residency_passed_on": _iso(trainee.prior_residency_passed_on),
        "photo_id": trainee.photo_id,
        "educations": [{
            "school": e.school, "major": e.major, "level": e.level, "degree": e.degree, "full_time": e.full_time,
            "upgraded_from_junior": e.upgraded_from_junior, "start_date": _iso(e.start_date),
            "end_date": _iso(e.end_date), "graduation_date": _iso(e.graduation_date),
            "diploma_number": e.diploma_number, "degree_number": e.degree_number,
        } for e in trainee.educations],
        "employments": [{
            "unit_name": e.unit_name, "institution_id": e.institution_id,
            "unit_level": e.institution.level if e.institution else e.unit_level,
            "unit_kind": e.institution.kind if e.institution else e.unit_kind,
            "unit_typed": e.institution_id is None,
            "region_id": e.region_id, "region_name": e.region.full_name if e.region else None,
            "department": e.department, "title": e.title, "title_grade": e.title_grade,
            "start_date": _iso(e.start_date), "end_date": _iso(e.end_date), "is_current": e.is_current,
            "unit_has_independent_gp_dept": e.unit_has_independent_gp_dept,
            "in_independent_gp_dept": e.in_independent_gp_dept,
        } for e in trainee.employments],
        "licences": [{
            "category": lic.category, "scope_code": lic.scope.code if lic.scope else None,
            "scope_name": lic.scope.name if lic.scope else None,
            "qualification_number": lic.qualification_number, "practice_number": lic.practice_number,
            "registered_on": _iso(lic.registered_on),
        } for lic in trainee.licences],
    }
