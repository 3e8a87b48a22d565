"""Back-office views of trainee profiles and their education, employment and licence rows."""
from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_
from wtforms import SelectField

from app.domain.support import is_number_term, trainee_search_condition
from app.infra.sql import contains
from app.validators import IdNumber, Mobile, id_number_birth_date, id_number_gender
from models import Account, Education, Employment, Institution, Licence, Region, Role, Trainee
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
from views.admin.base import SecureModelView, ajax_ref
from views.admin.labels import LABELS

TRAINEE_READERS = (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.BASE_STAFF, Role.PROVINCE_ADMIN,
                   Role.SUPPORT, Role.SUPERUSER)
TRAINEE_EDITORS = (Role.SUPPORT, Role.SUPERUSER)


class TraineeSearchMixin:
    """Search by ID number or mobile (exact, or their start) or name prefix, without a join; a view's
    free-text condition (``extra_search_condition``) is added for terms that are not numbers."""

    trainee_id_column = None  # the FK to trainee on the view's model; None on Trainee itself

    def search_placeholder(self):
        return str(_l("Name / ID number / mobile"))

    def extra_search_condition(self, term):
        return None

    def extra_condition_for(self, search: str):
        """The view's free-text condition for this term, or None (a number, or nothing to add)."""
        return None if is_number_term(search) else self.extra_search_condition(search.strip())

    def search_condition(self, search: str):
        # read from the class: a mapped column is a descriptor, ``self.`` would bind it to the view
        condition = trainee_search_condition(search, type(self).trainee_id_column)
        extra = self.extra_condition_for(search)
        return condition if extra is None else or_(condition, extra)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        condition = self.search_condition(search)
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins


def yes_no_unknown(value) -> bool | None:
    """A nullable yes/no from a select: the blank choice keeps "not recorded" (None), not 否."""
    if value is None or value in ("", "None"):
        return None
    return value if isinstance(value, bool) else value in ("1", "True")


NULLABLE_YES_NO = {"choices": [("", _l("not recorded")), ("1", _l("Yes")), ("0", _l("No"))],
                   "coerce": yes_no_unknown}


EDUCATION_FORM = {
    "form_choices": {"level": EducationLevel.lazy_choices(), "degree": Degree.lazy_choices()},
    "form_excluded_columns": ("trainee",),
    "column_labels": LABELS,
}
EMPLOYMENT_FORM = {
    "form_choices": {"title": JobTitle.lazy_choices(), "title_grade": TitleGrade.lazy_choices(),
                     "unit_level": InstitutionLevel.lazy_choices(), "unit_kind": InstitutionKind.lazy_choices()},
    "form_ajax_refs": {"institution": ajax_ref(Institution, ["name"], name="institution"),
                       "region": ajax_ref(Region, ["name", "code"], name="region")},
    "form_excluded_columns": ("trainee",),
    "column_labels": LABELS,
}
LICENCE_FORM = {
    "form_choices": {"category": PracticeCategory.lazy_choices()},
    "form_excluded_columns": ("trainee",),
    "column_labels": LABELS,
}


def employments_formatter(view, context, model, name):
    """The trainee's jobs on the details page, one a line, each unit's county, level and kind, and a
    badge on a unit typed in by hand (自填) for the reader to verify."""
    lines = []
    for row in model.employments:
        unit = row.institution
        level, kind = (unit.level, unit.kind) if unit else (row.unit_level, row.unit_kind)
        details = "、".join(part for part in (row.region.full_name if row.region else "",
                                              InstitutionLevel.label(level) if level else "",
                                              InstitutionKind.label(kind) if kind else "",
                                              _("Current job") if row.is_current else "") if part)
        line = Markup("{}（{}）").format(row.unit_name, details) if details else Markup.escape(row.unit_name)
        if row.institution_id is None:
            line += Markup(' <span class="badge badge-warning unit-typed">{}</span>').format(
                _("Typed in (not in the unit directory; please verify)"))
        lines.append(line)
    return Markup("<br>").join(lines)


class TraineeView(TraineeSearchMixin, SecureModelView):
    read_roles = TRAINEE_READERS
    write_roles = TRAINEE_EDITORS
    column_labels = {**LABELS, "name": _l("Full name")}
    column_list = ("name", "gender", "id_number", "mobile", "has_licence", "created_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("name",)
    column_choices = {"gender": Gender.lazy_choices(), "id_type": IdType.lazy_choices(),
                      "political_status": PoliticalStatus.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Trainee.gender, _l("Gender"), options=Gender.lazy_choices()),
        filters.BooleanEqualFilter(Trainee.has_licence, _l("Has licence")),
        filters.DateBetweenFilter(Trainee.created_at, _l("Created at")),
    )
    column_details_list = ("name", "gender", "id_type", "id_number", "ethnicity", "political_status",
                           "birth_date", "mobile", "email", "address", "postal_code", "emergency_contact",
                           "emergency_phone", "has_licence", "is_graduate_student", "residency_withdrawn_on",
                           "prior_residency_base", "prior_residency_ended_on", "prior_residency_passed", "prior_residency_passed_on",
                           "educations", "employments", "licences",
                           "created_at", "updated_at")  # the login account is the superuser's business
    form_columns = ("name", "gender", "id_type", "id_number", "ethnicity", "political_status", "birth_date",
                    "mobile", "email", "address", "postal_code", "emergency_contact", "emergency_phone",
                    "has_licence", "is_graduate_student", "residency_withdrawn_on",
                    "prior_residency_base", "prior_residency_ended_on", "prior_residency_passed",
                    "prior_residency_passed_on", "account")
    form_choices = {"gender": Gender.lazy_choices(), "id_type": IdType.lazy_choices(),
                    "political_status": PoliticalStatus.lazy_choices()}
    # a checkbox would turn an unanswered yes/no (None) into 否 on every save
    form_overrides = {"prior_residency_passed": SelectField, "has_licence": SelectField}
    form_args = {"id_number": {"validators": [IdNumber()]}, "mobile": {"validators": [Mobile()]},
                 "prior_residency_passed": NULLABLE_YES_NO, "has_licence": NULLABLE_YES_NO}
    column_formatters_detail = {"employments": employments_formatter}
    form_ajax_refs = {"account": ajax_ref(Account, ["username", "phone"], name="account")}
    inline_models = ((Education, EDUCATION_FORM), (Employment, EMPLOYMENT_FORM), (Licence, LICENCE_FORM))
    export_name = _l("Trainees")

    def create_form(self, obj=None):
        return self._without_account_unless_superuser(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._without_account_unless_superuser(super().edit_form(obj))

    @staticmethod
    def _without_account_unless_superuser(form):
        """Accounts belong to the superuser alone: for anyone else the account look-up finds nothing,
        so a posted form would unlink the trainee's login. Others neither see nor change the link."""
        if current_user.role != Role.SUPERUSER and "account" in form:
            del form.account
        return form

    def on_model_change(self, form, model, is_created):
        if model.id_type == IdType.RESIDENT and model.id_number:
            model.birth_date = id_number_birth_date(model.id_number)
            model.gender = id_number_gender(model.id_number)

    def get_details_query(self):
        return self.get_query()


class TraineeRowView(TraineeSearchMixin, SecureModelView):
    """Shared settings of the education, employment and licence lists."""

    read_roles = TRAINEE_READERS
    write_roles = TRAINEE_EDITORS
    column_labels = LABELS
    column_default_sort = ("id", True)
    column_searchable_list = ("id",)
    form_ajax_refs = {"trainee": ajax_ref(Trainee, ["name", "id_number"], name="trainee")}


class EducationView(TraineeRowView):
    trainee_id_column = Education.trainee_id
    column_list = ("trainee.name", "school", "major", "level", "degree", "full_time", "upgraded_from_junior",
                   "graduation_date")
    column_choices = {"level": EducationLevel.lazy_choices(), "degree": Degree.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Education.level, _l("Level"), options=EducationLevel.lazy_choices()),
        filters.BooleanEqualFilter(Education.full_time, _l("Full-time")),
        filters.BooleanEqualFilter(Education.upgraded_from_junior, _l("Junior-college-to-bachelor")),
    )
    column_select_related_list = (Education.trainee,)
    form_choices = EDUCATION_FORM["form_choices"]
    export_name = _l("Education")


class EmploymentView(TraineeRowView):
    trainee_id_column = Employment.trainee_id
    column_list = ("trainee.name", "unit_name", "region", "department", "title", "is_current",
                   "unit_has_independent_gp_dept", "start_date")
    column_choices = {"title": JobTitle.lazy_choices(), "title_grade": TitleGrade.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Employment.title, _l("Job title"), options=JobTitle.lazy_choices()),
        filters.BooleanEqualFilter(Employment.is_current, _l("Current job")),
    )
    column_select_related_list = (Employment.trainee, Employment.region)
    form_choices = EMPLOYMENT_FORM["form_choices"]
    form_ajax_refs = {**TraineeRowView.form_ajax_refs, **EMPLOYMENT_FORM["form_ajax_refs"]}
    export_name = _l("Employment")

    def extra_search_condition(self, term):
        return contains(Employment.unit_name, term)


class LicenceView(TraineeRowView):
    trainee_id_column = Licence.trainee_id
    column_list = ("trainee.name", "category", "scope", "qualification_number", "practice_number",
                   "registered_on")
    column_choices = {"category": PracticeCategory.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Licence.category, _l("Practice category"), options=PracticeCategory.lazy_choices()),
    )
    column_select_related_list = (Licence.trainee, Licence.scope)
    form_choices = LICENCE_FORM["form_choices"]
    export_name = _l("Licences")
