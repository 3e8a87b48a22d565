"""On-site confirmation (现场确认): the base scans the QR code of a printed registration form, checks
the trainee and the materials handed in, and confirms."""
from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.domain.access import can_see, scope
from app.domain.review.confirmation import (
    MATERIAL_KEYS,
    ConfirmationError,
    confirm_onsite,
    is_confirmed,
    may_confirm,
    onsite_materials,
)
from app.domain.review.verification import VerificationError, extract_code, verify
from app.domain.workflow import TransitionError
from app.extensions import db
from app.infra.access_log import record_access
from app.infra.audit import set_actor
from models import AccessAction, Application, ApplicationChoice, Role, Status
from models.enums import Identity, Program
from views.admin.base import RoleAccessMixin


def load_application(application_id: int, user) -> Application | None:
    """The application with what the page shows, if ``user`` may see it (one query, choices in a second)."""
    query = scope(select(Application).where(Application.id == application_id), Application, user).options(
        db.joinedload(Application.trainee), db.joinedload(Application.batch), db.joinedload(Application.base),
        db.selectinload(Application.choices).joinedload(ApplicationChoice.specialty))
    return db.session.scalar(query)


class ConfirmView(RoleAccessMixin, BaseView):
    """Scan or type the code of a registration form; tick the materials received; confirm."""

    read_roles = (Role.BASE_STAFF, Role.SUPERUSER)

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    def _open(self, raw: str) -> tuple[Application | None, str | None]:
        """(application, None) for a valid code the user may act on, else (None, Chinese message)."""
        try:
            application_id = verify(raw)
        except VerificationError as error:
            return None, str(error)
        user = current_user._get_current_object()
        application = load_application(application_id, user)
        if application is None or not can_see(user, application):
            return None, _("This registration form belongs to an application of another training base; it cannot "
                           "be confirmed here.")
        if application.batch.program != Program.RESIDENCY:
            return None, _("This is not a resident standardized training application; only those are confirmed "
                           "on site.")
        return application, None

    def _page(self, raw: str, application=None, code_error=None, errors=None, ticked=None, status: int = 200):
        if application is not None:  # the page shows the trainee's form: a read of personal information
            record_access(AccessAction.VIEW, "application", application.id)
        materials = onsite_materials(application) if application is not None else []
        confirmed = application is not None and is_confirmed(application)
        received = set(application.onsite_materials or []) if confirmed else set()
        html = self.render(
            "admin/confirm.html", raw=raw, code=extract_code(raw), application=application, code_error=code_error,
            errors=errors or {}, materials=materials, ticked=set(ticked or ()), confirmed=confirmed,
            received=[m for m in materials if m.key in received],
            can_confirm=application is not None and may_confirm(application, current_user),
            waiting=application is not None and not confirmed and application.status != Status.BASE_APPROVED,
            status_text=Status.label_for(application.status, Program.RESIDENCY) if application is not None else "",
            identity_text=Identity.label(application.identity) if application is not None and application.identity
            else "",
            commissioned=application is not None and application.identity == Identity.COMMISSIONED,
            snapshot=(application.snapshot or {}) if application is not None else {},
            is_superuser=current_user.role == Role.SUPERUSER)
        return html, status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "GET":
            raw = (request.args.get("code") or "")[:2000]
            if not raw.strip():
                return self._page("")
            application, error = self._open(raw)
            return self._page(raw, application, code_error=error)

        raw = (request.form.get("code") or "")[:2000]
        ticked = [key for key in request.form.getlist("materials") if key in MATERIAL_KEYS]
        application, error = self._open(raw)
        if application is None:
            return self._page(raw, code_error=error, status=400)
        actor = current_user._get_current_object()
        try:
            confirm_onsite(application, actor, ticked)
            db.session.commit()
        except ConfirmationError as failure:
            db.session.rollback()
            return self._page(raw, load_application(application.id, actor), errors={"materials": str(failure)},
                              ticked=ticked)
        except TransitionError as failure:
            db.session.rollback()
            return self._page(raw, load_application(application.id, actor), errors={"confirm": str(failure)},
                              ticked=ticked)
        flash(_("%(name)s has been confirmed on site. Scan the next form.", name=application.trainee.name), "success")
        return redirect(self.get_url(".index"))  # an empty, focused code field: the scanner's next read starts afresh
