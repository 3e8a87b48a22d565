"""Back-office view of accounts and roles (system administrators only)."""
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import PasswordField

from app.extensions import db
from app.validators import Mobile, StrongPassword
from models import Account, Region, Role
from models.enums import RegionLevel
from views.admin.base import SecureModelView, ajax_ref
from views.admin.labels import LABELS


def acts_as_county(region: Region) -> bool:
    """A county, or a city with no counties below it (济源)."""
    if region.level == RegionLevel.COUNTY:
        return True
    if region.level != RegionLevel.CITY:
        return False
    return not db.session.scalar(select(func.count()).where(Region.parent_id == region.id))


class AccountView(SecureModelView):
    read_roles = (Role.SUPERUSER,)
    write_roles = (Role.SUPERUSER,)
    column_labels = LABELS
    column_list = ("username", "display_name", "role", "region", "base", "university", "phone", "is_active_account",
                   "failed_logins", "locked_until", "must_change_password", "last_login_at")
    column_default_sort = ("id", True)
    column_searchable_list = ("username", "display_name", "phone")
    column_choices = {"role": Role.lazy_choices()}
    column_filters = (
        filters.FilterEqual(Account.role, _l("Role"), options=Role.lazy_choices()),
        filters.BooleanEqualFilter(Account.is_active_account, _l("Enabled")),
    )
    column_select_related_list = (Account.region, Account.base, Account.university)
    column_details_exclude_list = ("password_hash",)
    column_export_exclude_list = ("password_hash",)
    form_columns = ("username", "display_name", "password", "phone", "role", "region", "base", "university",
                    "is_active_account", "locked_until")
    form_choices = {"role": Role.lazy_choices()}
    form_extra_fields = {"password": PasswordField(_l("Password"), validators=[StrongPassword()],
                                                   description=_l("Leave empty to keep the current password."))}
    form_args = {"phone": {"validators": [Mobile()]}}
    form_ajax_refs = {"region": ajax_ref(Region, ["name", "code"], name="region")}
    export_name = _l("Accounts")

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not valid or not hasattr(form, "role"):
            return valid
        role, region, base = form.role.data, form.region.data, form.base.data
        # plain strings: Flask-Admin's form template shows only errors that are ``str`` (``e is string``)
        if role == Role.COUNTY_REVIEWER and (region is None or not acts_as_county(region)):
            form.region.errors.append(_("A county reviewer needs a county, or Jiyuan, which has no counties."))
        elif role == Role.CITY_REVIEWER and (region is None or region.level != RegionLevel.CITY):
            form.region.errors.append(_("A city reviewer needs a city."))
        elif role not in (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER) and region is not None:
            form.region.errors.append(_("Only county and city reviewers have a region; leave it empty."))
        if role == Role.BASE_STAFF and base is None:
            form.base.errors.append(_("Training base staff need a training base."))
        elif role != Role.BASE_STAFF and base is not None:
            form.base.errors.append(_("Only training base staff have a training base; leave it empty."))
        university = form.university.data if hasattr(form, "university") else None
        if role == Role.UNIVERSITY and university is None:
            form.university.errors.append(_("A university administrator needs a university."))
        elif role != Role.UNIVERSITY and university is not None:
            form.university.errors.append(_("Only university administrators have a university; leave it empty."))
        if not form.password.data and request_is_create():
            form.password.errors.append(_("A new account needs a password."))
        return not any(field.errors for field in form)

    def on_model_change(self, form, model, is_created):
        if form.password.data:
            model.set_password(form.password.data)
            # the administrator knows this password: its holder chooses their own at the next login
            model.must_change_password = is_created or model.id != current_user.id
        if not is_created and hasattr(form, "phone") and form.phone.object_data != form.phone.data:
            model.phone_verified_at = None  # a number typed in the back office is proven by its first code
        if is_created and not model.display_name:
            model.display_name = model.username

    @action("unlock", _l("Unlock"), _l("Unlock the selected accounts?"))
    def action_unlock(self, ids):
        """Lift the lock after too many failed logins (staff call technical support for this)."""
        accounts = self.get_query().filter(Account.id.in_(self.get_scoped_ids(ids))).all()
        for account in accounts:
            account.failed_logins = 0
            account.locked_until = None
        db.session.commit()
        flash(_("%(count)s accounts unlocked.", count=len(accounts)), "success")


def request_is_create() -> bool:
    from flask import request
    return request.endpoint is not None and request.endpoint.endswith(".create_view")
