"""Read-only back-office lists of an application's parts: specialty choices, exemption requests with
their rule checks, uploaded files and the review history."""
from __future__ import annotations

from flask import url_for
from flask_admin.contrib.sqla import filters
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.domain.rules import results_from_json
from app.domain.rules.exemption import EXEMPTION_TYPES as CLAIM_TYPES
from app.domain.workflow.table import action_label
from app.extensions import db
from models import Application, ApplicationChoice, Attachment, ExemptionRequest, ReviewRecord, Role, Status
from models.enums import AttachmentKind, ReviewLevel
from views.admin.application_filters import EXEMPTION_TYPES
from views.admin.audit_labels import fields_text
from views.admin.base import ReadOnlyModelView, SecureModelView, choice_formatter
from views.admin.labels import LABELS
from views.admin.trainees import TraineeSearchMixin


class ApplicationChoiceView(ReadOnlyModelView):
    column_labels = LABELS
    column_list = ("application", "rank", "specialty")
    column_default_sort = ("id", True)
    column_select_related_list = (ApplicationChoice.specialty,)
    export_name = _l("Specialty choices")

    def get_query(self):
        return super().get_query().options(db.joinedload(ApplicationChoice.application)
                                           .joinedload(Application.trainee),
                                           db.joinedload(ApplicationChoice.application).joinedload(Application.batch))


def rule_results_formatter(view, context, model, name):
    """Each rule's verdict and Chinese explanation, for reviewers (the system does not decide)."""
    results = results_from_json(model.rule_results)
    if not results:
        return ""
    items = Markup("").join(
        Markup('<li class="{}">{} {}</li>').format("text-success" if r.passed else "text-danger",
                                                  "✔" if r.passed else "✘", r.render(gettext))
        for r in results)
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(items)


def exemption_type_formatter(view, context, model, name):
    return f"（{model.type}）{gettext(CLAIM_TYPES[model.type].title)}"


def rule_results_export(view, context, model, name):
    return "；".join(("✔ " if r.passed else "✘ ") + r.render(gettext) for r in results_from_json(model.rule_results))


class ExemptionRequestView(ReadOnlyModelView):
    column_labels = {**LABELS, "rule_results": _l("Rule checks")}
    column_list = ("application", "type", "content", "reason", "rules_passed")
    column_details_list = ("application", "type", "content", "reason", "certificate_date", "training_months",
                           "rule_results", "rules_passed")
    column_formatters = {"type": exemption_type_formatter}
    column_formatters_detail = {"rule_results": rule_results_formatter, "type": exemption_type_formatter}
    column_formatters_export = {"rule_results": rule_results_export, "type": exemption_type_formatter}
    column_default_sort = ("id", True)
    column_filters = (
        filters.IntEqualFilter(ExemptionRequest.type, _l("Exemption type"), options=EXEMPTION_TYPES),
        filters.BooleanEqualFilter(ExemptionRequest.rules_passed, _l("Rule checks passed")),
    )
    export_name = _l("Exemption requests")

    def get_query(self):
        return super().get_query().options(db.joinedload(ExemptionRequest.application)
                                           .joinedload(Application.trainee),
                                           db.joinedload(ExemptionRequest.application).joinedload(Application.batch))


def file_link(view, context, model, name):
    return Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(
        url_for("files.download", attachment_id=model.id), escape(model.original_name))


class AttachmentView(TraineeSearchMixin, SecureModelView):
    read_roles = (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.BASE_STAFF, Role.PROVINCE_ADMIN, Role.SUPPORT,
                  Role.SUPERUSER)
    write_roles = ()
    trainee_id_column = Attachment.trainee_id
    column_labels = LABELS
    column_list = ("trainee.name", "kind", "original_name", "content_type", "size", "uploaded_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("original_name",)
    column_formatters = {"kind": choice_formatter(AttachmentKind), "original_name": file_link}
    column_formatters_export = {"kind": choice_formatter(AttachmentKind)}
    column_filters = (filters.FilterEqual(Attachment.kind, _l("Kind"), options=AttachmentKind.lazy_choices()),)
    column_select_related_list = (Attachment.trainee,)
    column_details_exclude_list = ("stored_name",)
    column_export_exclude_list = ("stored_name",)
    export_name = _l("Attachments")


def review_action(view, context, model, name):
    return action_label(model.action)


def fields_to_fix(view, context, model, name):
    return fields_text(model.fields_to_fix)


class ReviewRecordView(ReadOnlyModelView):
    column_labels = LABELS
    column_list = ("application", "level", "action", "reason", "actor", "status_before", "status_after",
                   "created_at")
    column_default_sort = ("created_at", True)
    column_formatters = {"level": choice_formatter(ReviewLevel), "status_before": choice_formatter(Status),
                         "status_after": choice_formatter(Status),
                         "action": review_action, "fields_to_fix": fields_to_fix}
    column_formatters_export = column_formatters
    column_filters = (
        filters.FilterEqual(ReviewRecord.level, _l("Level"), options=ReviewLevel.lazy_choices()),
        filters.DateBetweenFilter(ReviewRecord.created_at, _l("Created at")),
    )
    export_name = _l("Review records")

    def get_query(self):
        return super().get_query().options(db.joinedload(ReviewRecord.actor),
                                           db.joinedload(ReviewRecord.application).joinedload(Application.trainee),
                                           db.joinedload(ReviewRecord.application).joinedload(Application.batch))
