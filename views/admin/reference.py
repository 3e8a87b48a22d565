"""Back-office views of reference data: regions, specialties, practice scopes, units and bases."""
from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain.institutions import IMPORT_ROLES
from app.extensions import db
from models import Institution, PracticeScope, Region, Role, Specialty, TrainingBase, University
from models.enums import InstitutionKind, InstitutionLevel, PracticeCategory, RegionLevel
from views.admin.base import SecureModelView, ajax_ref, request_options
from views.admin.labels import LABELS

REFERENCE_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)


@request_options
def city_options():
    return [(str(r.id), r.name) for r in db.session.scalars(
        select(Region).where(Region.level == RegionLevel.CITY).order_by(Region.code))]


class RegionView(SecureModelView):
    write_roles = REFERENCE_EDITORS
    column_labels = LABELS
    column_list = ("code", "name", "level", "parent")
    column_default_sort = "code"
    column_searchable_list = ("code", "name")
    column_choices = {"level": RegionLevel.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Region.level, _l("Level"), options=RegionLevel.lazy_choices()),
        filters.IntEqualFilter(Region.parent_id, _l("Parent region"), options=city_options),
    )
    column_select_related_list = (Region.parent,)
    form_columns = ("code", "name", "level", "parent")
    form_choices = {"level": RegionLevel.lazy_choices()}
    export_name = _l("Regions")


class SpecialtyView(SecureModelView):
    write_roles = REFERENCE_EDITORS
    column_labels = LABELS
    column_list = ("code", "name", "shortage")
    column_default_sort = "code"
    column_searchable_list = ("code", "name")
    column_filters = (filters.BooleanEqualFilter(Specialty.shortage, _l("Shortage specialty")),)
    form_columns = ("code", "name", "shortage")
    export_name = _l("Specialties")


class PracticeScopeView(SecureModelView):
    write_roles = REFERENCE_EDITORS
    column_labels = LABELS
    column_list = ("code", "category", "name")
    column_default_sort = "code"
    column_searchable_list = ("name",)
    column_choices = {"category": PracticeCategory.lazy_choices()}
    column_filters = (filters.FilterEqual(PracticeScope.category, _l("Practice category"),
                                          options=PracticeCategory.lazy_choices()),)
    form_columns = ("code", "category", "name")
    form_choices = {"category": PracticeCategory.lazy_choices()}
    export_name = _l("Practice scopes")


@request_options
def county_options():
    return [(str(r.id), r.full_name) for r in db.session.scalars(
        select(Region).where(Region.level == RegionLevel.COUNTY).order_by(Region.code)
        .options(db.joinedload(Region.parent)))]


class InstitutionView(SecureModelView):
    read_roles = (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    write_roles = (Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    column_labels = LABELS
    column_list = ("name", "region", "level", "kind")
    column_default_sort = "name"
    column_searchable_list = ("name",)
    column_choices = {"level": InstitutionLevel.lazy_choices(), "kind": InstitutionKind.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Institution.level, _l("Level"), options=InstitutionLevel.lazy_choices()),
        filters.FilterEqual(Institution.kind, _l("Kind"), options=InstitutionKind.lazy_choices()),
        filters.IntEqualFilter(Institution.region_id, _l("County"), options=county_options),
    )
    column_select_related_list = (Institution.region,)
    form_columns = ("name", "region", "level", "kind")
    form_choices = {"level": InstitutionLevel.lazy_choices(), "kind": InstitutionKind.lazy_choices()}
    form_ajax_refs = {"region": ajax_ref(Region, ["name", "code"], name="region")}
    export_name = _l("Institutions")
    list_template = "admin/institution_list.html"

    @property
    def can_import(self) -> bool:
        """The Excel import (``views.admin.institutions``) is the province's and the superuser's."""
        return self._has_role(IMPORT_ROLES)


class TrainingBaseView(SecureModelView):
    read_roles = (Role.CITY_REVIEWER, Role.BASE_STAFF, Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    write_roles = REFERENCE_EDITORS
    column_labels = LABELS
    column_list = ("name", "city", "trains_gp_transfer", "trains_residency", "contact_phone")
    column_default_sort = "name"
    column_searchable_list = ("name",)
    column_filters = (
        filters.IntEqualFilter(TrainingBase.city_id, _l("City"), options=city_options),
        filters.BooleanEqualFilter(TrainingBase.trains_gp_transfer, _l("Trains GP transfer")),
        filters.BooleanEqualFilter(TrainingBase.trains_residency, _l("Trains residency")),
    )
    column_select_related_list = (TrainingBase.city,)
    column_details_list = ("name", "city", "trains_gp_transfer", "trains_residency", "address",
                           "contact_phone", "specialties")
    form_columns = ("name", "city", "trains_gp_transfer", "trains_residency", "address", "contact_phone",
                    "specialties")
    form_args = {"city": {"query_factory": lambda: db.session.scalars(
        select(Region).where(Region.level == RegionLevel.CITY).order_by(Region.code)).all()}}
    export_name = _l("Training bases")


def henan_cities():
    return db.session.scalars(select(Region).where(Region.level == RegionLevel.CITY).order_by(Region.code))


class UniversityView(SecureModelView):
    """Universities of the professional master's filing; a Henan university names its city (the
    cross-city rule compares it with the base's)."""

    read_roles = (Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    write_roles = REFERENCE_EDITORS
    column_labels = LABELS
    column_list = ("name", "province", "city", "in_henan", "henan_city")
    column_default_sort = "id"
    column_searchable_list = ("name",)
    column_filters = (filters.BooleanEqualFilter(University.in_henan, _l("In Henan")),)
    column_select_related_list = (University.henan_city,)
    form_columns = ("name", "province", "city", "in_henan", "henan_city")
    form_args = {"henan_city": {"query_factory": henan_cities}}
    export_name = _l("Universities")

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not valid or not hasattr(form, "in_henan"):
            return valid
        if form.in_henan.data and form.henan_city.data is None:
            form.henan_city.errors.append(_("A university in Henan needs its city."))
        elif not form.in_henan.data and form.henan_city.data is not None:
            form.henan_city.errors.append(_("Only a university in Henan has a Henan city; leave it empty."))
        return not any(field.errors for field in form)
