"""The audit log and the review history in Chinese: record (table) names, field names and the values of
enumerations, statuses, review actions and yes/no fields."""
from __future__ import annotations

import json

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.domain.workflow.table import action_label
from models import Role, Status
from models.access_log import AccessAction
from models.enums import (
    AdmissionResult,
    AttachmentKind,
    AuditAction,
    BatchRound,
    BatchStatus,
    Business,
    Degree,
    EducationLevel,
    Gender,
    Identity,
    IdType,
    InstitutionKind,
    InstitutionLevel,
    JobTitle,
    PoliticalStatus,
    PracticeCategory,
    Program,
    RegionLevel,
    ReviewLevel,
    TitleGrade,
)
from models.sms import SmsPurpose, SmsState
from views.admin.labels import LABELS

TABLE_LABELS = {
    "access_log": _l("Access log"), "account": _l("Accounts"), "account_business": _l("Opened businesses"),
    "application": _l("Applications"), "application_choice": _l("Specialty choices"),
    "attachment": _l("Attachments"), "audit_log": _l("Audit log"), "base_specialty": _l("Specialties of a base"),
    "base_admission": _l("Admission by the training bases"),
    "batch": _l("Batches"), "batch_shortage_specialty": _l("Shortage specialties of a batch"),
    "education": _l("Education"), "employment": _l("Employment"), "exemption_request": _l("Exemption requests"),
    "institution": _l("Institutions"), "licence": _l("Licences"), "password_reset": _l("Password reset links"),
    "practice_scope": _l("Practice scopes"), "quota": _l("Quotas"), "region": _l("Regions"),
    "review_record": _l("Review records"), "skill_item": _l("Skills exam items"), "sms_code": _l("SMS codes"),
    "sms_log": _l("SMS log"), "specialty": _l("Specialties"), "support_contact": _l("Technical support contacts"),
    "trainee": _l("Trainees"), "training_base": _l("Training bases"),
}

# the enumeration of a field: by (table, field), else by field alone
TABLE_FIELD_CHOICES = {
    ("region", "level"): RegionLevel, ("institution", "level"): InstitutionLevel,
    ("institution", "kind"): InstitutionKind, ("education", "level"): EducationLevel,
    ("review_record", "level"): ReviewLevel, ("batch", "status"): BatchStatus, ("access_log", "action"): AccessAction,
    ("audit_log", "action"): AuditAction, ("attachment", "kind"): AttachmentKind, ("sms_log", "state"): SmsState,
}
FIELD_CHOICES = {
    "role": Role, "business": Business, "identity": Identity, "admission_result": AdmissionResult,
    "program": Program, "round": BatchRound, "gender": Gender, "id_type": IdType,
    "political_status": PoliticalStatus, "degree": Degree, "title": JobTitle, "unit_level": InstitutionLevel,
    "unit_kind": InstitutionKind, "title_grade": TitleGrade, "category": PracticeCategory, "purpose": SmsPurpose,
}
STATUS_FIELDS = {"status", "status_before", "status_after"}
YES_NO = {"True": _l("Yes"), "False": _l("No")}


def table_label(table: str | None) -> str:
    return str(TABLE_LABELS.get(table, gettext("Other record"))) if table else ""


def field_label(field: str | None) -> str:
    """A column's label; a foreign key (``base_id``) is the referenced record's number."""
    if not field:
        return ""
    if field in LABELS:
        return str(LABELS[field])
    if field.endswith("_id") and field[:-3] in LABELS:
        return gettext("%(field)s (No.)", field=LABELS[field[:-3]])
    return gettext("Other field")


def value_label(table: str | None, field: str | None, value) -> str:
    """A stored value as a person reads it: an enumeration's label, a status, a review action, 是/否."""
    if value is None:
        return ""
    text = str(value)
    if text in YES_NO:
        return str(YES_NO[text])
    if field in STATUS_FIELDS and table != "batch":
        return Status.label(text)
    if table == "review_record" and field == "action":
        return action_label(text)
    choices = TABLE_FIELD_CHOICES.get((table, field)) or FIELD_CHOICES.get(field)
    if choices is not None:
        return choices.label(text)
    if field == "fields_to_fix":
        return fields_text(text)
    return text


def fields_text(value) -> str:
    """A list of items to correct (their Chinese names, or field names such as ``"mobile"``), or its JSON
    text, joined with 、."""
    try:
        names = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value
    if not isinstance(names, list):
        return "" if value is None else str(value)
    return "、".join(str(LABELS.get(name, name)) for name in names)


def record_text(table: str | None, data: dict) -> str:
    """A created or deleted record's copy: "字段：值；…" in Chinese."""
    return "；".join(f"{field_label(field)}：{value_label(table, field, value)}"
                    for field, value in data.items() if value not in (None, ""))
