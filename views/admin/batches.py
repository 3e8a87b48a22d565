"""Back-office views of batches, their skills-exam items and quotas."""
from decimal import Decimal

from flask import abort, flash, request
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from app.access import scope_condition
from app.extensions import db
from models import Application, Batch, Quota, Role, SkillItem, TrainingBase
from models.enums import BatchRound, BatchStatus, Program
from views.admin.base import request_options, SecureModelView
from views.admin.labels import LABELS

BATCH_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)


@request_options
def batch_options():
    return [(str(b.id), b.name) for b in db.session.scalars(select(Batch).order_by(Batch.id.desc()))]


class BatchView(SecureModelView):
    write_roles = BATCH_EDITORS
    column_labels = LABELS
    column_list = ("name", "year", "program", "round", "status", "opens_at", "closes_at", "plan_total")
    column_default_sort = ("id", True)
    column_searchable_list = ("name",)
    column_choices = {"program": Program.lazy_choices(), "round": BatchRound.lazy_choices(),
                      "status": BatchStatus.lazy_choices()}
    column_filters = (
        filters.IntEqualFilter(Batch.year, _l("Year")),
        filters.FilterEqual(Batch.program, _l("Program"), options=Program.lazy_choices()),
        filters.FilterEqual(Batch.status, _l("Status"), options=BatchStatus.lazy_choices()),
    )
    form_columns = ("name", "year", "program", "round", "previous_batch", "status", "opens_at", "closes_at",
                    "plan_total", "theory_exam_starts_at", "theory_exam_ends_at", "confirmation_deadline",
                    "report_deadline", "licence_required_graduation_year", "theory_weight", "skills_weight",
                    "tie_break", "shortage_specialties", "notes")
    # a batch's publication status is an administrator's setting, unlike an application's
    form_excluded_columns = ("created_at",)
    form_choices = {"program": Program.lazy_choices(), "round": BatchRound.lazy_choices(),
                    "status": BatchStatus.lazy_choices()}
    inline_models = ((SkillItem, {"form_columns": ("id", "name", "mandatory"), "column_labels": LABELS}),)
    export_name = _l("Batches")

    def validate_form(self, form):
        valid = super().validate_form(form)
        if valid and hasattr(form, "opens_at") and form.opens_at.data and form.closes_at.data \
                and form.closes_at.data <= form.opens_at.data:
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
        from app.residency import create_round_two_quotas
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
            from app.scores import recompute_combined_scores
            recompute_combined_scores(model)

    def create_form(self, obj=None):
        return with_formula(super().create_form(obj))

    def edit_form(self, obj=None):
        return with_formula(super().edit_form(obj))


def previous_batch_error(round_, program, previous, own_id) -> str | None:
    """A 调剂补录 batch follows a first-round batch of the same program; a first round follows none."""
    if round_ != BatchRound.SUPPLEMENTARY:
        return _("Only a supplementary-round batch has a previous batch.") if previous is not None else None
    if previous is None:
        return _("Choose the first-round batch whose seats left this supplementary round offers.")
    if own_id is not None and str(previous.id) == str(own_id):
        return _("A batch cannot follow itself.")
    if previous.program != program or previous.round != BatchRound.FIRST:
        return _("The previous batch must be a first-round batch of the same program.")
    return None


def validate_exam_settings(form) -> bool:
    """Exam settings (app.scores rules): theory-exam window, weights, skills items; messages by the field."""
    from app.scores import exam_window_error, skill_items_error, weights_error
    errors = []
    window = exam_window_error(form.theory_exam_starts_at.data, form.theory_exam_ends_at.data)
    if window:
        errors.append((form.theory_exam_ends_at, window))
    weights = weights_error(form.theory_weight.data, form.skills_weight.data)
    if weights:
        errors.append((form.skills_weight, weights))
    items = [(entry.form.name.data, bool(entry.form.mandatory.data)) for entry in form.skill_items.entries
             if not form.skill_items.should_delete(entry)]
    skills = skill_items_error(form.program.data, items)
    if skills:
        errors.append((form.skill_items, skills))
    if hasattr(form, "tie_break"):
        from app.admission import validate_tie_break
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
    from app.scores import formula_text
    if hasattr(form, "skills_weight"):
        theory = form.theory_weight.data if form.theory_weight.data is not None else Decimal("0.5")
        skills = form.skills_weight.data if form.skills_weight.data is not None else Decimal("0.5")
        form.theory_weight.description = str(escape(formula_text(theory, skills)))
    return form


@request_options
def base_options():
    """The bases a user may see, and those their in-scope applications are assigned to."""
    visible = or_(scope_condition(TrainingBase, current_user),
                  TrainingBase.id.in_(select(Application.base_id).where(scope_condition(Application, current_user))))
    return [(str(b.id), b.name) for b in db.session.scalars(
        select(TrainingBase).where(visible).order_by(TrainingBase.name))]


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
    export_name = _l("Quotas")

    def search_placeholder(self):
        return str(_l("Training base name"))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        condition = Quota.base_id.in_(select(TrainingBase.id).where(TrainingBase.name.contains(search.strip())))
        return (query.filter(condition), count_query.filter(condition) if count_query is not None else None,
                joins, count_joins)
