"""Withdrawals (退培): the base records them, the province approves or returns them; and the
province's bar list (黑名单). The lists export by base, year and reason within the user's scope."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms.validators import DataRequired, Length

from app.domain.access import scope_condition
from app.domain.withdrawals import (
    DECIDERS,
    WithdrawalError,
    approve,
    delete_withdrawal,
    record_withdrawal,
    return_withdrawal,
    withdrawable,
)
from app.extensions import db
from app.validators import IdNumber
from models import Role, TrainingBase, Withdrawal
from models.enums import WithdrawalReason, WithdrawalStatus
from views.admin.base import SecureModelView, choice_formatter, request_options, without_nul
from views.helpers import parse_id

YEARS = range(2000, 2101)


@request_options
def base_options():
    query = select(TrainingBase).where(scope_condition(TrainingBase, current_user)).order_by(TrainingBase.name)
    return [(str(b.id), b.name) for b in db.session.scalars(query)]


class YearFilter(filters.FilterEqual):
    """Withdrawals of one calendar year (by the date of withdrawal)."""

    def validate(self, value):
        return str(value).isdigit() and int(value) in YEARS

    def apply(self, query, value, alias=None):
        year = int(value)
        return query.filter(Withdrawal.withdrawn_on >= date(year, 1, 1), Withdrawal.withdrawn_on < date(year + 1, 1, 1))


class IdFilter(filters.FilterEqual):
    """A record number (compared as a number: PostgreSQL refuses integer = text)."""

    def validate(self, value):
        return parse_id(value) is not None

    def clean(self, value):
        return parse_id(value)


def _document(view, context, model, name):
    if model.document_id is None:
        return ""
    return Markup('<a href="{}" class="withdrawal-document">{}</a>').format(
        url_for("files.download", attachment_id=model.document_id),
        model.document.original_name if model.document else _("Document"))


def _yes_no(view, context, model, name):
    return _("Yes") if getattr(model, name) else _("No")


def _base(view, context, model, name):
    return model.base.name if model.base else ""


class WithdrawalView(SecureModelView):
    read_roles = (Role.BASE_STAFF, Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    write_roles = ()  # nobody edits a record: the base records, the province decides, approved is final
    create_roles = (Role.BASE_STAFF,)
    delete_roles = (Role.BASE_STAFF,)  # its own record, while not approved (``delete_model``)
    column_labels = {
        "name": _l("Full name"), "id_number": _l("ID number"), "base": _l("Training base"),
        "withdrawn_on": _l("Date of withdrawal"), "reason": _l("Reason"), "refund_required": _l("Funds to refund"),
        "document": _l("Withdrawal document"), "status": _l("Status"), "return_reason": _l("Reason for return"),
        "recorded_at": _l("Recorded at"), "decided_at": _l("Decided at"),
    }
    column_list = ("name", "id_number", "base", "withdrawn_on", "reason", "refund_required", "status",
                   "recorded_at")
    column_details_list = ("name", "id_number", "base", "withdrawn_on", "reason", "refund_required", "document",
                           "status", "return_reason", "recorded_at", "decided_at")
    column_export_list = ("name", "id_number", "base", "withdrawn_on", "reason", "refund_required", "status",
                          "return_reason", "recorded_at", "decided_at")
    column_select_related_list = (Withdrawal.base, Withdrawal.document)
    column_default_sort = ("recorded_at", True)
    column_sortable_list = ("withdrawn_on", "recorded_at", "name")
    column_searchable_list = ()
    column_formatters = {"reason": lambda v, c, m, n: m.reason_text, "status": choice_formatter(WithdrawalStatus),
                         "refund_required": _yes_no, "base": _base, "document": _document}
    column_formatters_export = {**column_formatters, "document": lambda v, c, m, n: ""}
    column_formatters_detail = column_formatters
    column_filters = (
        IdFilter(Withdrawal.base_id, _l("Training base"), options=base_options),
        YearFilter(Withdrawal.withdrawn_on, _l("Year of withdrawal")),
        filters.FilterEqual(Withdrawal.reason, _l("Reason"), options=WithdrawalReason.lazy_choices()),
        filters.FilterEqual(Withdrawal.status, _l("Status"), options=WithdrawalStatus.lazy_choices()),
    )
    export_name = _l("Withdrawals")
    details_template = "admin/withdrawal_details.html"

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            model = kwargs["model"]
            kwargs.update(may_decide=current_user.role in DECIDERS and model.status == WithdrawalStatus.PENDING,
                          status_text=WithdrawalStatus.label(model.status))
        return super().render(template, **kwargs)

    def _new_page(self, values: dict, errors: dict, status: int = 200):
        return self.render("admin/withdrawal_new.html", applications=withdrawable(current_user._get_current_object()),
                           reasons=WithdrawalReason.choices(), values=values, errors=errors), status

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        if request.method == "GET":
            return self._new_page({"refund_required": True}, {})
        form = request.form
        values = {key: without_nul(form.get(key, ""))[:500] for key in ("application_id", "withdrawn_on", "reason",
                                                                         "reason_other")}
        values["refund_required"] = form.get("refund_required") == "y"
        if "\x00" in form.get("reason_other", ""):
            return self._new_page(values, {"reason_other": _(
                "Contains invisible control characters, which cannot be saved: please remove them.")}, 400)
        try:
            withdrawn_on = date.fromisoformat(values["withdrawn_on"]) if values["withdrawn_on"] else None
        except ValueError:
            return self._new_page(values, {"withdrawn_on": _("Enter a date such as 2024-09-01.")}, 400)
        try:
            record_withdrawal(parse_id(values["application_id"]), current_user._get_current_object(), withdrawn_on,
                              values["reason"], values["reason_other"], values["refund_required"],
                              request.files.get("document"))
            db.session.commit()
        except WithdrawalError as error:
            db.session.rollback()
            return self._new_page(values, {error.field: str(error)}, 400)
        flash(_("The withdrawal is recorded and awaits the province's approval."), "success")
        return redirect(self.get_url(".index_view"))

    @expose("/decide/", methods=("POST",))
    def decide_view(self):
        withdrawal = self.get_one(request.form.get("id", ""))
        if withdrawal is None:
            abort(404)
        actor = current_user._get_current_object()
        if "\x00" in request.form.get("return_reason", ""):
            flash(_("Contains invisible control characters, which cannot be saved: please remove them."), "error")
            return redirect(self.get_url(".details_view", id=withdrawal.id))
        try:
            if request.form.get("decision") == "approve":
                approve(withdrawal, actor)
                message = _("The withdrawal is approved; the record is now final.")
            else:
                return_withdrawal(withdrawal, actor, without_nul(request.form.get("return_reason", ""))[:2000])
                message = _("The withdrawal is returned to the training base.")
            db.session.commit()
        except WithdrawalError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(message, "success")
        return redirect(self.get_url(".details_view", id=withdrawal.id))

    def delete_model(self, model):
        try:
            delete_withdrawal(model, current_user._get_current_object())
            db.session.commit()
        except WithdrawalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        return True


class BarEntryView(SecureModelView):
    """The bar list (黑名单): the province's alone."""

    read_roles = Role.PROVINCE_WIDE
    write_roles = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
    delete_roles = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
    column_labels = {
        "name": _l("Full name"), "id_number": _l("ID number"), "reason": _l("Reason"), "starts_on": _l("From"),
        "ends_on": _l("To"), "approved_by": _l("Approved by"), "created_at": _l("Recorded at"),
    }
    column_list = ("name", "id_number", "starts_on", "ends_on", "approved_by", "reason", "created_at")
    column_details_list = column_list
    column_export_list = column_list
    column_default_sort = ("created_at", True)
    column_sortable_list = ("name", "starts_on", "ends_on", "created_at")
    column_searchable_list = ()
    form_columns = ("name", "id_number", "reason", "starts_on", "ends_on", "approved_by")
    form_args = {
        "name": {"validators": [DataRequired(), Length(max=50)]},
        "id_number": {"validators": [DataRequired(), IdNumber()]},
        "reason": {"validators": [DataRequired(), Length(max=2000)]},
        "starts_on": {"validators": [DataRequired()]},
        "ends_on": {"validators": [DataRequired()]},
        "approved_by": {"validators": [DataRequired(), Length(max=100)],
                        "description": _l("Who approved the entry: the person, the office or the document number.")},
    }
    export_name = _l("Bar list")

    def validate_form(self, form):
        valid = super().validate_form(form)
        starts, ends = getattr(form, "starts_on", None), getattr(form, "ends_on", None)
        if valid and starts is not None and ends is not None and starts.data and ends.data and ends.data < starts.data:
            ends.errors = list(ends.errors) + [_("The end of the period cannot be before its start.")]
            return False
        return valid

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if is_created:
            model.created_by_id = current_user.id
