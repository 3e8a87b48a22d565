"""Back-office views of applications, their choices, exemption requests, files and review history."""
from flask_admin.contrib.sqla import filters
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from models import (Application, ApplicationChoice, Attachment, ExemptionRequest, Region, ReviewRecord, Role,
                    Status)
from models.enums import AdmissionResult, AttachmentKind, Identity, RegionLevel, ReviewLevel
from app.access import region_condition
from flask_login import current_user
from views.admin.base import request_options, ReadOnlyModelView, SecureModelView, choice_formatter
from views.admin.batches import base_options, batch_options
from views.admin.labels import LABELS
from views.admin.trainees import TraineeSearchMixin

APPLICATION_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)


def status_formatter(view, context, model, name):
    return Status.label_for(model.status, model.batch.program)


@request_options
def city_level_options():
    query = select(Region).where(Region.level == RegionLevel.CITY)
    if current_user.role in (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER):
        query = query.where(Region.id.in_(select(Region.parent_id).where(Region.id == current_user.region_id))
                            | (Region.id == current_user.region_id))
    return [(str(r.id), r.name) for r in db.session.scalars(query.order_by(Region.code))]


@request_options
def county_level_options():
    """Counties, and cities that have none (济源), within the user's region."""
    query = select(Region).where((Region.level == RegionLevel.COUNTY)
                                 | ((Region.level == RegionLevel.CITY) & ~Region.children.any()))
    if current_user.role in (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER):
        query = query.where(region_condition(Region.id, current_user))
    return [(str(r.id), r.name) for r in db.session.scalars(query.order_by(Region.code))]


class ApplicationView(TraineeSearchMixin, SecureModelView):
    write_roles = APPLICATION_EDITORS
    create_roles = ()
    trainee_id_column = Application.trainee_id
    column_labels = LABELS
    column_list = ("id", "trainee.name", "trainee.id_number", "batch", "identity", "status", "county", "city",
                   "unit_name", "base", "submitted_at")
    column_default_sort = ("submitted_at", True)
    column_sortable_list = ("id", "status", "submitted_at", "unit_name")
    column_searchable_list = ("unit_name",)
    column_formatters = {"status": status_formatter, "identity": choice_formatter(Identity),
                         "admission_result": choice_formatter(AdmissionResult)}
    column_formatters_export = column_formatters
    column_filters = (
        filters.IntEqualFilter(Application.batch_id, _l("Batch"), options=batch_options),
        filters.FilterEqual(Application.status, _l("Status"), options=Status.lazy_choices()),
        filters.IntEqualFilter(Application.city_id, _l("City"), options=city_level_options),
        filters.IntEqualFilter(Application.county_id, _l("County"), options=county_level_options),
        filters.IntEqualFilter(Application.base_id, _l("Training base"), options=base_options),
        filters.FilterEqual(Application.identity, _l("Identity"), options=Identity.lazy_choices()),
        filters.DateBetweenFilter(Application.submitted_at, _l("Submitted at")),
    )
    column_select_related_list = (Application.trainee, Application.batch, Application.county, Application.city,
                                  Application.base)
    column_details_list = ("id", "trainee", "batch", "identity", "status", "county", "city", "unit_name", "base",
                           "commissioning_unit", "claims_exemption", "no_postgrad_pledge", "choices", "exemptions",
                           "submitted_at", "onsite_confirmed_at", "theory_score", "skills_score", "combined_score",
                           "admission_result", "admitted_specialty", "reported_at", "created_at", "updated_at")
    form_columns = ("identity", "commissioning_unit", "claims_exemption", "no_postgrad_pledge")
    form_choices = {"identity": Identity.lazy_choices()}
    export_name = _l("Applications")

    def extra_search_condition(self, term):
        return Application.unit_name.contains(term, autoescape=True)


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


EXEMPTION_TYPES = [(str(n), _l("Type %(number)s", number=n)) for n in range(1, 9)]


def rule_results_formatter(view, context, model, name):
    """Each rule's verdict and Chinese explanation, for reviewers (the system does not decide)."""
    from flask_babel import gettext
    from app.rules import results_from_json
    results = results_from_json(model.rule_results)
    if not results:
        return ""
    items = Markup("").join(
        Markup('<li class="{}">{} {}</li>').format("text-success" if r.passed else "text-danger",
                                                  "✔" if r.passed else "✘", r.render(gettext))
        for r in results)
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(items)


def exemption_type_formatter(view, context, model, name):
    from flask_babel import gettext
    from app.rules.exemption import EXEMPTION_TYPES
    return f"（{model.type}）{gettext(EXEMPTION_TYPES[model.type].title)}"


def rule_results_export(view, context, model, name):
    from flask_babel import gettext
    from app.rules import results_from_json
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
    from flask import url_for
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


class ReviewRecordView(ReadOnlyModelView):
    column_labels = LABELS
    column_list = ("application", "level", "action", "reason", "actor", "status_before", "status_after",
                   "created_at")
    column_default_sort = ("created_at", True)
    column_formatters = {"level": choice_formatter(ReviewLevel), "status_before": choice_formatter(Status),
                         "status_after": choice_formatter(Status)}
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
