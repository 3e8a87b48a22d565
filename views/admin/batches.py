"""Back-office views of batches, their skills-exam items and quotas."""
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
    inline_models = ((SkillItem, {"form_columns": ("id", "name", "mandatory")}),)
    export_name = _l("Batches")

    def validate_form(self, form):
        valid = super().validate_form(form)
        if valid and hasattr(form, "opens_at") and form.opens_at.data and form.closes_at.data \
                and form.closes_at.data <= form.opens_at.data:
            # a plain string: Flask-Admin's form template skips lazy strings
            form.closes_at.errors.append(_("Registration must close after it opens."))
            return False
        return valid


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
