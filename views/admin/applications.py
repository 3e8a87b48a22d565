"""Back-office views of applications, their choices, exemption requests, files and review history."""
from datetime import timedelta

from flask import abort, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_admin.model.template import TemplateLinkRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import exists, select

from app.documents.regform import RegformError, registration_form_response
from app.domain.access import region_condition
from app.domain.enrollment.snapshot_diff import (
    BASIC_FIELDS,
    CONTACT_FIELDS,
    EDUCATION_FIELDS,
    EMPLOYMENT_FIELDS,
    LICENCE_FIELDS,
    field_label,
    is_typed_unit,
    show,
    snapshot_changes,
)
from app.domain.review.assignment import assign_base, gp_bases
from app.domain.rules import results_from_json
from app.domain.rules.exemption import EXEMPTION_TYPES as CLAIM_TYPES
from app.domain.workflow import TransitionError, action_label, find_edge, transition
from app.domain.workflow.table import needs_reason, review_actions, role_may
from app.errors import unsent_text
from app.extensions import db
from app.infra.access_log import record_access
from models import (
    AccessAction,
    Application,
    ApplicationChoice,
    Attachment,
    Batch,
    ExemptionRequest,
    Region,
    ReviewRecord,
    Role,
    Status,
    TrainingBase,
)
from models.clock import now
from models.enums import AdmissionResult, AttachmentKind, Identity, Program, RegionLevel, ReviewLevel
from views.admin.base import ReadOnlyModelView, SecureModelView, choice_formatter, request_options
from views.admin.batches import base_options, batch_options
from views.admin.labels import LABELS
from views.admin.trainees import TraineeSearchMixin
from views.helpers import parse_id

APPLICATION_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)

# common reasons a reviewer can click to insert, then edit
PRESET_REASONS = (
    _l("The proof of leave for training lacks the unit's official seal"),
    _l("The photo of the title certificate is not clear"),
    _l("The years of work do not meet the exemption condition"),
    _l("The information entered does not match the supporting documents"),
)
# what a returned application may need fixing; the trainee sees these labels
FIELDS_TO_FIX = (
    _l("Basic information"), _l("Contact information"), _l("Education"), _l("Employment"), _l("Licence"),
    _l("Exemption requests"), _l("One-inch photo"), _l("Identity card"), _l("Diploma"),
    _l("Degree certificate"), _l("Title certificate"), _l("Practising licence page"),
    _l("Proof of leave for training"), _l("Proof of GP work"),
)
MAX_REASON = 500


def choices_export(view, context, model, name):
    """志愿 in order: "1. 内科；2. 外科"."""
    return "；".join(f"{c.rank}. {c.specialty.name}" for c in model.choices)


def status_formatter(view, context, model, name):
    return Status.label_for(model.status, model.batch.program)


@request_options
def status_options():
    """Statuses as the user's program knows them: 待基地审核 for base staff, 待区县审核 for county and
    city reviewers, both for province-wide users (the same state waits for either)."""
    role = current_user.role if current_user.is_authenticated else None
    program = {Role.BASE_STAFF: Program.RESIDENCY, Role.COUNTY_REVIEWER: Program.GP_TRANSFER,
               Role.CITY_REVIEWER: Program.GP_TRANSFER}.get(role)
    options = []
    for value in Status.values():
        gp, residency = Status.label_for(value, Program.GP_TRANSFER), Status.label_for(value, Program.RESIDENCY)
        if program is not None:
            label = Status.label_for(value, program)
        else:
            label = gp if gp == residency else f"{gp}／{residency}"
        options.append((value, label))
    return options


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


EXEMPTION_TYPES = [(str(n), _l("Type %(number)s", number=n)) for n in range(1, 9)]


class ProgramFilter(filters.FilterEqual):
    """Applications of batches of one program (全科转岗 / 住培)."""

    def apply(self, query, value, alias=None):
        return query.filter(Application.batch_id.in_(select(Batch.id).where(Batch.program == value)))


class ExemptionTypeFilter(filters.FilterEqual):
    """Applications claiming one exemption type."""

    def validate(self, value):
        return str(value).isdigit() and 1 <= int(value) <= 8

    def apply(self, query, value, alias=None):
        return query.filter(exists().where(ExemptionRequest.application_id == Application.id,
                                           ExemptionRequest.type == int(value)))


WAITING_OPTIONS = [("3", _l("More than 3 days")), ("7", _l("More than 7 days")), ("14", _l("More than 14 days"))]


class WaitingFilter(filters.FilterEqual):
    """Applications submitted longer ago than N days (how long they have waited for review)."""

    def validate(self, value):
        return str(value) in {v for v, _label in WAITING_OPTIONS}

    def apply(self, query, value, alias=None):
        return query.filter(Application.submitted_at <= now() - timedelta(days=int(value)))


RULE_CHECK_OPTIONS = [("failed", _l("Some rule not met")), ("passed", _l("All rules met"))]


class RuleCheckFilter(filters.FilterEqual):
    """Applications by the result of their exemption rule checks (the system does not decide)."""

    def validate(self, value):
        return value in ("failed", "passed")

    def apply(self, query, value, alias=None):
        failed = exists().where(ExemptionRequest.application_id == Application.id,
                                ExemptionRequest.rules_passed.is_(False))
        if value == "failed":
            return query.filter(failed)
        claimed = exists().where(ExemptionRequest.application_id == Application.id,
                                 ExemptionRequest.rules_passed.is_(True))
        return query.filter(claimed, ~failed)


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
    column_export_list = column_list + ("choices", "commissioning_unit", "onsite_confirmed_at", "theory_score",
                                        "skills_score", "combined_score", "admission_result", "admitted_specialty",
                                        "reported_at")
    column_formatters_export = {**column_formatters, "choices": choices_export}
    column_filters = (
        ProgramFilter(Application.id, _l("Program"), options=Program.lazy_choices()[:2]),
        filters.IntEqualFilter(Application.batch_id, _l("Batch"), options=batch_options),
        filters.FilterEqual(Application.status, _l("Status"), options=status_options),
        filters.IntEqualFilter(Application.city_id, _l("City"), options=city_level_options),
        filters.IntEqualFilter(Application.county_id, _l("County"), options=county_level_options),
        filters.IntEqualFilter(Application.base_id, _l("Training base"), options=base_options),
        filters.FilterEqual(Application.identity, _l("Identity"), options=Identity.lazy_choices()),
        filters.DateBetweenFilter(Application.submitted_at, _l("Submitted at")),
        WaitingFilter(Application.id, _l("Waiting"), options=WAITING_OPTIONS),
        ExemptionTypeFilter(Application.id, _l("Exemption type"), options=EXEMPTION_TYPES),
        RuleCheckFilter(Application.id, _l("Rule checks"), options=RULE_CHECK_OPTIONS),
    )
    column_select_related_list = (Application.trainee, Application.batch, Application.county, Application.city,
                                  Application.base)
    column_details_list = ("id", "trainee", "batch", "identity", "status", "county", "city", "unit_name", "base",
                           "commissioning_unit", "claims_exemption", "no_postgrad_pledge", "choices", "exemptions",
                           "submitted_at", "onsite_confirmed_at", "theory_score", "skills_score", "combined_score",
                           "admission_result", "admitted_specialty", "reported_at", "created_at", "updated_at")
    form_columns = ("identity", "commissioning_unit", "claims_exemption", "no_postgrad_pledge")
    form_choices = {"identity": Identity.lazy_choices()}
    export_name = _l("Application summary")
    reveal_fields = ("id_number", "mobile", "emergency_phone")  # of the snapshot (or the trainee)

    list_template = "admin/application_list.html"
    column_extra_row_actions = [TemplateLinkRowAction("review_row.buttons", _l("Review"))]

    def extra_search_condition(self, term):
        return Application.unit_name.contains(term, autoescape=True)

    def export_query(self, query):
        return query.options(db.selectinload(Application.choices).joinedload(ApplicationChoice.specialty),
                             db.joinedload(Application.admitted_specialty))

    # --- details page: the frozen snapshot, claims with rule checks and files, history, changes ----
    details_template = "admin/application_details.html"

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self.details_context(kwargs["model"]))
        return super().render(template, **kwargs)

    def details_context(self, application) -> dict:
        """What the details page shows; a fixed number of queries whatever the size of the record."""
        from flask_babel import gettext

        files = db.session.scalars(select(Attachment).where(Attachment.application_id == application.id)
                                   .order_by(Attachment.id)).all()
        by_claim: dict[int | None, list] = {}
        for attachment in files:
            by_claim.setdefault(attachment.exemption_request_id, []).append(attachment)
        claims = [{
            "request": r,
            "title": f"（{r.type}）{gettext(CLAIM_TYPES[r.type].title)}" if r.type in CLAIM_TYPES else str(r.type),
            "results": [(res.passed, res.render(gettext)) for res in results_from_json(r.rule_results)],
            "files": by_claim.get(r.id, []),
        } for r in application.exemptions]
        history = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == application.id)
                                     .options(db.joinedload(ReviewRecord.actor))
                                     .order_by(ReviewRecord.created_at, ReviewRecord.id)).all()
        program = application.batch.program
        return {
            "snapshot": application.snapshot,
            "claims": claims,
            "application_files": by_claim.get(None, []),
            "outing_kind": AttachmentKind.OUTING_PROOF,
            "history": [{
                "record": h, "action": action_label(h.action), "level": ReviewLevel.label(h.level),
                "before": Status.label_for(h.status_before, program), "after": Status.label_for(h.status_after, program),
                "actor": (h.actor.display_name or h.actor.username) if h.actor else "",
            } for h in history],
            "changes": snapshot_changes(application.previous_snapshot, application.snapshot, masked=True)
            if application.previous_snapshot else None,
            "field_groups": {"basic": BASIC_FIELDS, "contact": CONTACT_FIELDS, "education": EDUCATION_FIELDS,
                             "employment": EMPLOYMENT_FIELDS, "licence": LICENCE_FIELDS},
            "field_label": field_label, "show": show, "is_typed_unit": is_typed_unit,
            "status_text": Status.label_for(application.status, program),
            "identity_text": Identity.label(application.identity) if application.identity else "",
            "eligibility": [(r.passed, r.hard, r.render(gettext)) for r in results_from_json(application.eligibility)],
        }

    @expose("/registration-form/")
    def registration_form_view(self):
        """The 报名表 PDF of an application in scope, to reprint for a trainee who lost theirs."""
        from flask import flash

        application = self.get_one(request.args.get("id", ""))
        if application is None:
            abort(404)
        try:
            response = registration_form_response(application)
        except RegformError as error:
            flash(str(error), "error")
            return redirect(self.get_url(".details_view", id=application.id))
        record_access(AccessAction.PDF, "application", application.id)
        return response

    # --- review and base assignment ------------------------------------------------------------
    def review_actions(self) -> dict[str, str]:
        """The user's review actions by kind (approve / return / reject); empty for other roles."""
        return review_actions(current_user.role) if current_user.is_authenticated else {}

    def row_review_actions(self, application) -> list[tuple[str, str, bool]]:
        """(action, label, needs a form) for the buttons of one list row: only what is possible now."""
        buttons = []
        program = application.batch.program
        for kind, name in self.review_actions().items():
            edge = find_edge(program, application.status, name)
            if edge is not None and edge.role == current_user.role:
                buttons.append((name, action_label(name), edge.needs_reason))
        if (current_user.is_authenticated and role_may(current_user.role, "assign_base")
                and find_edge(program, application.status, "assign_base") is not None):
            buttons.append(("assign_base", _("Assign base"), True))
        return buttons

    def is_action_allowed(self, name):
        if name in ("approve", "return", "reject", "report"):
            return name in self.review_actions()
        if name == "assign_base":
            return current_user.is_authenticated and role_may(current_user.role, "assign_base")
        return super().is_action_allowed(name)

    def _to_review(self, kind, ids):
        name = self.review_actions().get(kind)
        if name is None:
            abort(403)
        return redirect(self.get_url(".review_view", action=name, ids=list(ids)))

    @action("approve", _l("Approve"))
    def action_approve(self, ids):
        return self._to_review("approve", ids)

    @action("return", _l("Return for changes"))
    def action_return(self, ids):
        return self._to_review("return", ids)

    @action("reject", _l("Reject"))
    def action_reject(self, ids):
        return self._to_review("reject", ids)

    @action("report", _l("Record reporting"))
    def action_report(self, ids):
        return self._to_review("report", ids)

    @action("assign_base", _l("Assign base"))
    def action_assign_base(self, ids):
        if not self.is_action_allowed("assign_base"):
            abort(403)
        return redirect(self.get_url(".assign_view", ids=list(ids)))

    def _posted_ids(self) -> list[str]:
        source = request.form if request.method == "POST" else request.args
        ids = [i for i in source.getlist("ids") if i is not None][:500]
        if not ids:
            abort(400)
        return ids

    def _scoped_applications(self, raw_ids):
        """(in-scope applications by id, refused rows) for the posted ids, in the posted order."""
        scoped = set(self.get_scoped_ids(raw_ids))
        applications = {a.id: a for a in db.session.scalars(
            select(Application).where(Application.id.in_(scoped))
            .options(db.joinedload(Application.trainee), db.joinedload(Application.batch)))} if scoped else {}
        refused, seen, order = [], set(), []
        for raw in raw_ids:
            number = parse_id(raw)
            if number is None:
                refused.append((str(raw)[:20], None, _("Invalid record number.")))
            elif number not in applications:
                refused.append((str(number), None, _("This application does not exist or is outside your scope.")))
            elif number not in seen:
                seen.add(number)
                order.append(number)
        return [applications[n] for n in order], refused

    @staticmethod
    def seen_version(application) -> int:
        """The version of ``application`` the reviewer saw: posted with the form (or carried in the
        link from the list), else the current one."""
        seen = parse_id(request.values.get(f"seen_{application.id}", ""))
        return seen if seen is not None else application.version

    def _apply_each(self, applications, operate):
        """Run ``operate`` on each application, committing each success on its own.

        An application changed since the reviewer saw it is refused: the reviewer decided on what
        was on the screen, not on what is in the database now."""
        done, refused = [], []
        for application in applications:
            label = (application.id, application.trainee.name, application.trainee.id_number)
            if self.seen_version(application) != application.version:
                refused.append((*label, _("Someone else has just changed this application. Please reload the page.")))
                continue
            try:
                operate(application)
                db.session.commit()
            except TransitionError as error:
                db.session.rollback()
                refused.append((*label, str(error)))
            else:
                done.append((*label, application.status_label))
        return done, refused

    def _refused_rows(self, refused):
        return [(number, "", "", message) for number, _none, message in refused]

    @expose("/review/", methods=("GET", "POST"))
    def review_view(self):
        actions = self.review_actions()
        name = request.values.get("action", "")
        if not actions or name not in actions.values():
            abort(403)
        reason_needed = needs_reason(name)
        is_return = name.endswith("_return")
        raw_ids = self._posted_ids()
        applications, refused = self._scoped_applications(raw_ids)
        if request.method == "POST":
            reason = (request.form.get("reason") or "").strip()[:MAX_REASON]
        else:  # after an expired page, what the reviewer typed comes back
            reason = unsent_text("reason")[:MAX_REASON]
        allowed_fields = [str(f) for f in FIELDS_TO_FIX]
        chosen = [f for f in request.form.getlist("fields_to_fix") if f in allowed_fields] if is_return else []
        errors = {}
        if request.method == "POST":
            if reason_needed and not reason:
                errors["reason"] = _("Please give a reason.")
            if not errors:
                actor = current_user._get_current_object()
                done, failed = self._apply_each(
                    applications, lambda a: transition_with(a, name, actor, reason or None, chosen or None))
                return self.render("admin/review_result.html", title=action_label(name), done=done,
                                   refused=failed + self._refused_rows(refused),
                                   return_url=self.get_url(".index_view"))
        record_access(AccessAction.REVIEW, "application", [a.id for a in applications], rows=len(applications))
        return self.render("admin/review.html", title=action_label(name), action_name=name,
                           applications=applications, refused=refused, raw_ids=raw_ids,
                           needs_reason=reason_needed, is_return=is_return, reason=reason, errors=errors,
                           seen_version=self.seen_version,
                           presets=[str(p) for p in PRESET_REASONS], fields=allowed_fields, chosen=chosen,
                           status_label=lambda a: Status.label_for(a.status, a.batch.program),
                           return_url=self.get_url(".index_view"))

    @expose("/assign/", methods=("GET", "POST"))
    def assign_view(self):
        if not (current_user.is_authenticated and role_may(current_user.role, "assign_base")):
            abort(403)
        raw_ids = self._posted_ids()
        applications, refused = self._scoped_applications(raw_ids)
        errors = {}
        if request.method == "POST":
            number = parse_id(request.form.get("base_id", ""))
            base = db.session.get(TrainingBase, number) if number else None
            if base is None:
                errors["base_id"] = _("Please choose a training base.")
            else:
                actor = current_user._get_current_object()
                done, failed = self._apply_each(applications, lambda a: assign_base(a, base, actor))
                return self.render("admin/review_result.html", title=_("Assign base"), done=done,
                                   refused=failed + self._refused_rows(refused),
                                   return_url=self.get_url(".index_view"))
        record_access(AccessAction.REVIEW, "application", [a.id for a in applications], rows=len(applications))
        batches = {a.batch_id: a.batch for a in applications}
        places = [(batch, gp_bases(batch)) for batch in batches.values()]
        return self.render("admin/assign.html", title=_("Assign base"), applications=applications,
                           refused=refused, raw_ids=raw_ids, places=places, errors=errors,
                           seen_version=self.seen_version,
                           status_label=lambda a: Status.label_for(a.status, a.batch.program),
                           return_url=self.get_url(".index_view"))


def transition_with(application, name, actor, reason, fields_to_fix):
    return transition(application, name, actor, reason=reason, fields_to_fix=fields_to_fix)


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
    from flask_babel import gettext

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

    return f"（{model.type}）{gettext(CLAIM_TYPES[model.type].title)}"


def rule_results_export(view, context, model, name):
    from flask_babel import gettext

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
