"""Back-office views of batches, their skills-exam items and quotas."""
from decimal import Decimal

from flask import abort, flash, request
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_admin.form import rules
from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import NumberRange

from app.domain.access import quota_base_choice_condition
from app.domain.admission import TIE_BREAK_LABELS, TIE_BREAK_ORDERS, validate_tie_break
from app.domain.batches import CALENDAR_RULES, calendar_errors, previous_batch_error
from app.domain.enrollment.residency import create_round_two_quotas
from app.domain.quotas import seats_taken
from app.domain.scores import (
    exam_window_error,
    formula_text,
    recompute_combined_scores,
    skill_items_error,
    weights_error,
)
from app.extensions import db
from app.infra.sql import read
from app.i18n import cn_date
from models import Batch, Quota, Role, SkillItem, TrainingBase
from models.enums import BatchRound, BatchStatus, Program
from views.admin.base import SecureModelView, request_options
from views.admin.labels import LABELS

BATCH_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)


BATCH_OPTIONS = select(Batch.id, Batch.name).order_by(Batch.id.desc())  # made once (see ``per_scope``)


@request_options
def batch_options():
    return [(str(batch_id), name) for batch_id, name in read(BATCH_OPTIONS)]


# counts a person types (plan figures, places): PostgreSQL's INTEGER holds up to 2 147 483 647
MAX_COUNT = 100_000


def whole_number(minimum: int, maximum: int) -> NumberRange:
    """A range check with the platform's message (a lazy string: NumberRange formats it per request)."""
    return NumberRange(minimum, maximum, message=_l("Please enter a whole number from %(min)s to %(max)s."))


class Section(rules.NestedRule):
    """A titled group of form fields: a ``<fieldset>`` with its ``<legend>``. The fields that only a
    residency batch has are named in ``data-residency-only``: the form hides them for a GP-transfer
    batch (static/admin/batch_form.js), and the whole group when all of its fields are such."""

    def __init__(self, legend, children, residency_only=()):
        super().__init__(children)
        self.legend = legend
        self.residency_only = " ".join(residency_only)
        self.all_residency_only = bool(residency_only) and set(residency_only) == set(children)

    def __call__(self, form, form_opts=None, field_args=None):
        inner = super().__call__(form, form_opts, field_args)
        return Markup('<fieldset class="form-section" data-residency-only="{}" data-all="{}"><legend>{}</legend>'
                      '{}</fieldset>').format(self.residency_only, "yes" if self.all_residency_only else "no",
                                              str(self.legend), inner)


def tie_break_choices() -> list[tuple[str, str]]:
    """Every valid tie-break order, in words: 理论成绩高者优先 → 技能成绩高者优先 → … → 报名编号小者优先."""
    last = gettext("smaller application number")
    return [(order, " → ".join([gettext(TIE_BREAK_LABELS[key]) for key in order.split(",") if key] + [last]))
            for order in TIE_BREAK_ORDERS]


def tie_break_text(view, context, model, name):
    """The batch's tie-break order in words, as the form offers it (never ``theory,skills,submitted_at``)."""
    return dict(tie_break_choices()).get(model.tie_break or "", model.tie_break)


def two_line_datetime(view, context, model, name):
    """The list's window columns: the day, and the time under it (narrower than one line)."""
    value = getattr(model, name)
    if value is None:
        return ""
    return Markup('{}<br><span class="text-muted">{:%H:%M}</span>').format(cn_date(value), value)


EXAM_FIELDS = ("confirmation_deadline", "theory_exam_starts_at", "theory_exam_ends_at", "card_opens_on",
               "card_closes_on", "skill_items",
               "theory_weight", "skills_weight", "tie_break")


class BatchView(SecureModelView):
    write_roles = BATCH_EDITORS
    list_template = "admin/batch_list.html"
    create_template = "admin/batch_create.html"
    edit_template = "admin/batch_edit.html"
    column_labels = LABELS
    column_list = ("name", "year", "program", "round", "status", "opens_at", "closes_at", "resubmission_deadline",
                   "phase_one_deadline", "phase_two_deadline", "plan_total")
    column_formatters = {"opens_at": two_line_datetime, "closes_at": two_line_datetime}
    # the export and the details page show the date and time on one line
    column_formatters_export = {"tie_break": tie_break_text}
    column_formatters_detail = {"tie_break": tie_break_text}
    column_default_sort = ("id", True)
    column_searchable_list = ("name",)
    column_choices = {"program": Program.lazy_choices(), "round": BatchRound.lazy_choices(),
                      "status": BatchStatus.lazy_choices()}
    column_filters = (
        filters.IntEqualFilter(Batch.year, _l("Year")),
        filters.FilterEqual(Batch.program, _l("Program"), options=Program.lazy_choices()),
        filters.FilterEqual(Batch.status, _l("Status"), options=BatchStatus.lazy_choices()),
    )
    # the form in the order of the season: the rules also decide which fields the form has
    form_rules = (
        Section(_l("Basic information"), ("name", "year", "program", "round", "previous_batch", "status")),
        Section(_l("Registration"), ("opens_at", "closes_at", "licence_required_graduation_year",
                                     "shortage_specialties"),
                residency_only=("licence_required_graduation_year", "shortage_specialties")),
        Section(_l("Review and returns for changes"), ("resubmission_deadline",)),
        Section(_l("On-site confirmation and exams"), EXAM_FIELDS, residency_only=EXAM_FIELDS),
        Section(_l("Recruitment progress"), ("plan_total", "expected_base_count", "phase_one_deadline",
                                             "phase_two_deadline", "acceptance_opens_on", "acceptance_closes_on",
                                             "report_deadline", "diploma_deadline"),
                residency_only=("phase_one_deadline", "phase_two_deadline", "acceptance_opens_on",
                                "acceptance_closes_on", "report_deadline", "diploma_deadline")),
        Section(_l("Other"), ("notes",)),
    )
    form_columns = ("name", "year", "program", "round", "previous_batch", "status", "opens_at", "closes_at",
                    "resubmission_deadline", "plan_total", "expected_base_count", "phase_one_deadline",
                    "phase_two_deadline", "theory_exam_starts_at", "theory_exam_ends_at", "card_opens_on",
                    "card_closes_on", "confirmation_deadline",
                    "acceptance_opens_on", "acceptance_closes_on", "report_deadline", "diploma_deadline", "licence_required_graduation_year", "theory_weight", "skills_weight",
                    "tie_break", "shortage_specialties", "notes")
    form_overrides = {"tie_break": SelectField}
    form_args = {
        "tie_break": {"choices": tie_break_choices, "description": _l(
            "Applicants with the same combined score are ordered by these items in turn.")},
        "year": {"validators": [whole_number(2000, 2100)]},
        "licence_required_graduation_year": {"validators": [whole_number(1950, 2100)]},
        "plan_total": {"validators": [whole_number(0, MAX_COUNT)],
                       "description": _l("People the province plans to recruit in this batch, e.g. 2100.")},
        "expected_base_count": {
            "validators": [whole_number(0, MAX_COUNT)],
            "description": _l("Training bases expected to recruit, e.g. the province's 38 residency bases.")},
        "resubmission_deadline": {"description": _l(
            "Returned applications may be corrected and resubmitted until the end of this day. Review goes on "
            "after registration closes, so it is not before the day registration closes.")},
        "confirmation_deadline": {"description": _l(
            "Applicants confirm on site at their base by the end of this day; not before registration opens.")},
        "phase_one_deadline": {"description": _l(
            "First-round recruitment (exams and admission) is completed by this day, e.g. 31 May.")},
        "phase_two_deadline": {"description": _l(
            "The supplementary round is completed by this day, e.g. 15 June; not before phase one. "
            "Admissions of the supplementary-round batch count towards phase two.")},
        "card_opens_on": {"description": _l(
            "The default first day trainees may download the admission ticket; a training base may set its own "
            "window instead.")},
        "card_closes_on": {"description": _l(
            "The default last day to download the admission ticket (included); a base's own window wins.")},
        "acceptance_opens_on": {"description": _l(
            "Admitted trainees may accept or decline their admission from this day.")},
        "acceptance_closes_on": {"description": _l(
            "The last day to accept or decline; an admission not answered by then expires and its seat "
            "goes back to the base.")},
        "diploma_deadline": {"description": _l(
            "Fresh graduates admitted without a diploma upload the diploma and degree by this day; afterwards the "
            "province may withdraw those who did not graduate.")},
        "report_deadline": {"description": _l(
            "New trainees report to their base by this day, e.g. 31 July; not before phase one.")},
    }
    # a batch's publication status is an administrator's setting, unlike an application's
    form_excluded_columns = ("created_at",)
    form_choices = {"program": Program.lazy_choices(), "round": BatchRound.lazy_choices(),
                    "status": BatchStatus.lazy_choices()}
    inline_models = ((SkillItem, {"form_columns": ("id", "name", "mandatory"), "column_labels": LABELS}),)
    export_name = _l("Batches")

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not hasattr(form, "opens_at"):  # the delete form
            return valid
        # checked whatever else is wrong, so that every message shows at once
        names = {name for rule in CALENDAR_RULES for name in rule[:2]}
        dates = {name: getattr(form, name).data for name in names if hasattr(form, name)}
        for name, message in calendar_errors(dates):
            getattr(form, name).errors = list(getattr(form, name).errors) + [message]
            valid = False
        if valid and form.opens_at.data and form.closes_at.data and form.closes_at.data <= form.opens_at.data:
            # a plain string: Flask-Admin's form template skips lazy strings
            form.closes_at.errors.append(_("Registration must close after it opens."))
            return False
        if valid and hasattr(form, "theory_weight"):
            valid = validate_exam_settings(form)
        if valid and hasattr(form, "previous_batch"):
            message = previous_batch_error(form.round.data, form.program.data, form.previous_batch.data,
                                           request.args.get("id"))
            if message:
                form.previous_batch.errors = list(form.previous_batch.errors) + [message]
                valid = False
        return valid

    def is_action_allowed(self, name):
        if name == "round_two_seats":
            return self._has_role(self.write_roles)
        return super().is_action_allowed(name)

    @action("round_two_seats", _l("Take the seats left after the first round"),
            _l("Set the quotas of the selected second-round batches to the places left after their first round?"))
    def action_round_two_seats(self, ids):
        """调剂补录: a second-round batch offers the places its first round left (quota − admitted)."""
        if not self._has_role(self.write_roles):
            abort(403)
        for batch in db.session.scalars(select(Batch).where(Batch.id.in_(self.get_scoped_ids(ids)))):
            try:
                count = create_round_two_quotas(batch)
            except ValueError as error:
                db.session.rollback()
                flash(f"{batch.name}：{error}", "error")
            else:
                db.session.commit()
                flash(_("%(batch)s: %(count)s quotas with places left.", batch=batch.name, count=count), "success")

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if not is_created:
            recompute_combined_scores(model)

    def create_form(self, obj=None):
        return with_formula(super().create_form(obj))

    def edit_form(self, obj=None):
        return with_formula(super().edit_form(obj))


def validate_exam_settings(form) -> bool:
    """Exam settings (app.domain.scores rules): theory-exam window, weights, skills items; messages by the field."""
    errors = []
    window = exam_window_error(form.theory_exam_starts_at.data, form.theory_exam_ends_at.data)
    if window:
        errors.append((form.theory_exam_ends_at, window))
    if hasattr(form, "card_opens_on") and (form.card_opens_on.data is None) != (form.card_closes_on.data is None):
        errors.append((form.card_closes_on, _("Please give both days of the default download window, or neither.")))
    weights = weights_error(form.theory_weight.data, form.skills_weight.data)
    if weights:
        errors.append((form.skills_weight, weights))
    items = [(entry.form.name.data, bool(entry.form.mandatory.data)) for entry in form.skill_items.entries
             if not form.skill_items.should_delete(entry)]
    skills = skill_items_error(form.program.data, items)
    if skills:
        errors.append((form.skill_items, skills))
    if hasattr(form, "tie_break"):
        tie_break = validate_tie_break(form.tie_break.data)
        if tie_break:
            errors.append((form.tie_break, str(tie_break)))
    for field, message in errors:
        field.errors = list(field.errors) + [message]  # plain strings: the template skips lazy ones
    return not errors


def with_formula(form):
    """Show the combined-score formula, with the weights on the form, under the theory weight (the
    weights' own message goes under the skills weight, so both stay visible)."""
    from markupsafe import escape

    if hasattr(form, "skills_weight"):
        theory = form.theory_weight.data if form.theory_weight.data is not None else Decimal("0.5")
        skills = form.skills_weight.data if form.skills_weight.data is not None else Decimal("0.5")
        form.theory_weight.description = str(escape(formula_text(theory, skills)))
    return form


@request_options
def base_options():
    """The bases whose quotas the user may see, read from the bases themselves."""
    return [(str(b.id), b.name) for b in db.session.scalars(
        select(TrainingBase).where(quota_base_choice_condition(current_user)).order_by(TrainingBase.name))]


class QuotaView(SecureModelView):
    read_roles = (Role.CITY_REVIEWER, Role.BASE_STAFF, Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    write_roles = BATCH_EDITORS
    column_labels = LABELS
    column_list = ("batch", "base", "specialty", "capacity")
    column_default_sort = ("id", True)
    column_searchable_list = ("id",)
    column_filters = (
        filters.IntEqualFilter(Quota.batch_id, _l("Batch"), options=batch_options),
        filters.IntEqualFilter(Quota.base_id, _l("Training base"), options=base_options),
    )
    column_select_related_list = (Quota.batch, Quota.base, Quota.specialty)
    form_columns = ("batch", "base", "specialty", "capacity")
    form_args = {"capacity": {"validators": [whole_number(0, MAX_COUNT)]}}
    export_name = _l("Quotas")

    def validate_form(self, form):
        """Also the grid's rule (``app.domain.quotas``): never fewer places than are taken in the seat."""
        valid = super().validate_form(form)
        if valid and hasattr(form, "capacity") and form.batch.data and form.base.data and form.specialty.data:
            taken = seats_taken(form.batch.data).get((form.base.data.id, form.specialty.data.id), 0)
            if form.capacity.data is not None and form.capacity.data < taken:
                form.capacity.errors = list(form.capacity.errors) + [
                    _("%(taken)s places are already taken here; the quota cannot be less.", taken=taken)]
                valid = False
        return valid

    def search_placeholder(self):
        return str(_l("Training base name"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        condition = Quota.base_id.in_(select(TrainingBase.id).where(TrainingBase.name.contains(search.strip())))
        return (query.filter(condition), count_query.filter(condition) if count_query is not None else None,
                joins, count_joins)
