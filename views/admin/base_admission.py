"""A training base's own admission page (基地录取): the province's admission page scoped to the staff's
base, with the recorded dry run and the base's publication (``app.domain.admission.bases``)."""
from __future__ import annotations

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import or_, select

from app.domain.admission import AdmissionError, Bases, Plan, plan
from app.domain.admission.bases import (
    NOT_STARTED,
    base_refusal,
    base_state,
    deadline_text,
    publish_base,
    record_dry_run,
)
from app.extensions import db
from models import BaseAdmission, Batch, Quota, Role
from models.enums import Program
from views.admin.admission import AdmissionView
from views.admin.base import without_nul
from views.helpers import parse_id

REASON_FIELD_MAX = 2000  # longer input is refused by the domain's own limit, not silently cut here


class BaseAdmissionView(AdmissionView):
    """The base staff's admission: only their base's candidates and seats, in the batches the province
    opened to the bases (or that the base already decided)."""

    read_roles = (Role.BASE_STAFF,)
    publish_roles = (Role.BASE_STAFF,)

    def _base_id(self) -> int | None:
        return getattr(current_user, "base_id", None)

    def _batches(self) -> list[Batch]:
        own = select(BaseAdmission.batch_id).where(BaseAdmission.base_id == self._base_id())
        with_places = select(Quota.batch_id).where(Quota.base_id == self._base_id())
        return list(db.session.scalars(
            select(Batch).where(Batch.program == Program.RESIDENCY, Batch.id.in_(with_places),
                                or_(Batch.base_admission_enabled.is_(True), Batch.id.in_(own)))
            .order_by(Batch.year.desc(), Batch.id.desc())))

    def _batch(self, raw):
        batch, error = super()._batch(raw)
        if batch is not None and batch not in self._batches():
            return None, _("Please choose a resident standardized training batch.")
        return batch, error

    def _plan(self, batch) -> Plan | None:
        """The base's own plan once its dry run was recorded (or its results were published)."""
        if base_state(batch, self._base_id()).state == NOT_STARTED:
            return None
        return plan(batch, Bases(only=self._base_id()))

    def _extra(self, batch, form: dict | None) -> dict:
        if batch is None:
            return {"base_page": True}
        state = base_state(batch, self._base_id())
        return {"base_page": True, "own_state": state, "base_id": self._base_id(),
                "deadline": deadline_text(batch), "refusal": base_refusal(batch, current_user, self._base_id()),
                "reason": (form or {}).get("reason", "")}

    def _export_query(self, batch) -> str:
        return f"batch={batch.id}&base={self._base_id()}"

    def _form_reason(self) -> str:
        return (request.form.get("reason") or "")[:REASON_FIELD_MAX]

    @expose("/dry-run/", methods=("POST",))
    def dry_run_view(self):
        batch, refused = self._chosen_batch(request.form.get("batch_id"))
        if refused:
            return refused
        reason = self._form_reason()
        try:
            result = record_dry_run(batch, current_user._get_current_object(),
                                    parse_id(request.form.get("base_id")), reason)
        except AdmissionError as exc:
            db.session.rollback()
            return self._page(batch, publish_error=str(exc), status=409, form={"reason": without_nul(reason)})
        flash(_("Dry run recorded: %(admitted)s of %(candidates)s candidates would be admitted.",
                admitted=result.admitted, candidates=result.candidates), "success")
        return redirect(self.get_url(".index", batch_id=batch.id))

    @expose("/publish/", methods=("GET", "POST"))
    def publish_view(self):
        batch, refused = self._chosen_batch(request.values.get("batch_id"))
        if refused:
            return refused
        result = self._plan(batch)
        if request.method == "GET":
            if result is None or result.published:
                return redirect(self.get_url(".index", batch_id=batch.id))
            return self._base_confirm(batch, result, result.fingerprint())
        expected = (request.form.get("fingerprint") or "")[:64]
        reason = self._form_reason()
        try:
            published = publish_base(batch, current_user._get_current_object(),
                                     parse_id(request.form.get("base_id")), expected, reason)
        except AdmissionError as exc:
            if result is None or result.published:
                return self._page(batch, publish_error=str(exc), status=409)
            return self._base_confirm(batch, result, expected, str(exc), without_nul(reason), status=409)
        flash(_("The admission results were published: %(admitted)s admitted, %(not_admitted)s not admitted.",
                admitted=published.admitted, not_admitted=published.candidates - published.admitted), "success")
        return redirect(self.get_url(".index", batch_id=batch.id))

    def _base_confirm(self, batch, result, fingerprint, refusal=None, reason="", status=200):
        return self.render("admin/admission_confirm.html", batch=batch, plan=result, fingerprint=fingerprint,
                           refusal=refusal or base_refusal(batch, current_user, self._base_id()),
                           refused=True, reason=reason, base_id=self._base_id(), base_page=True), status
