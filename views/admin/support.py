"""The technical-support page (技术支持): find a trainee and fix what blocks them, with a reason."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from app.domain.passwords import link_minutes
from app.domain.support import (
    MAX_RESULTS,
    SupportError,
    applications_of,
    find_trainees,
    get_trainee,
    reopen,
    reset_password,
    unlock,
)
from app.domain.workflow import TransitionError
from app.extensions import db
from app.infra.access_log import record_access
from models import AccessAction, Application, Role
from models.application import Status
from views.admin.base import RoleAccessMixin
from views.helpers import parse_id

MAX_REASON = 500
MAX_TERM = 50
ACTIONS = ("reset", "unlock", "reopen")


class SupportView(RoleAccessMixin, BaseView):
    """Search trainees; reset a password, unlock an account or reopen an application."""

    read_roles = (Role.SUPPORT, Role.SUPERUSER)
    write_roles = (Role.SUPPORT, Role.SUPERUSER)


    def _page(self, term: str, trainee_id: int | None, errors=None, reasons=None, status: int = 200):
        term = (term or "")[:MAX_TERM]
        trainees = find_trainees(term) if term else []
        chosen = get_trainee(trainee_id)
        ids = [t.id for t in trainees] + ([chosen.id] if chosen is not None and chosen not in trainees else [])
        applications = applications_of(ids)
        # one access-log row per page: the trainee handled (with the search that found them), or the search
        if chosen is not None:
            record_access(AccessAction.VIEW, "trainee", chosen.id, query=term or None,
                          rows=len(trainees) if term else None)
        elif term:
            record_access(AccessAction.SEARCH, "trainee", query=term, rows=len(trainees))
        html = self.render("admin/support.html", term=term, trainees=trainees, chosen=chosen,
                           applications=applications, errors=errors or {}, reasons=reasons or {},
                           max_results=MAX_RESULTS, truncated=len(trainees) >= MAX_RESULTS,
                           searched=bool(term), submitted=Status.SUBMITTED,
                           status_label=lambda a: Status.label_for(a.status, a.batch.program))
        return html, status

    @expose("/")
    def index(self):
        return self._page(request.args.get("q", ""), parse_id(request.args.get("trainee")))

    @expose("/act/", methods=("POST",))
    def act(self):
        action = request.form.get("action", "")
        trainee = get_trainee(parse_id(request.form.get("trainee_id")))
        if action not in ACTIONS or trainee is None:
            abort(404)
        term = request.form.get("q", "")
        reason = (request.form.get("reason") or "").replace("\x00", "").strip()[:MAX_REASON]
        application = None
        key = action
        if action == "reopen":
            application = db.session.get(Application, parse_id(request.form.get("application_id")) or 0)
            if application is None or application.trainee_id != trainee.id:
                abort(404)
            key = f"reopen-{application.id}"
        if not reason:
            return self._page(term, trainee.id, errors={key: _("Please give a reason.")}, reasons={key: reason})
        actor = current_user._get_current_object()
        try:
            if action == "reset":
                phone = reset_password(trainee, actor, reason,
                                       lambda token: url_for("portal.reset_with_link", token=token, _external=True))
                message = _("A one-time link to set a new password was sent by SMS to %(phone)s. It is valid for "
                            "%(minutes)s minutes; the current password keeps working until the link is used.",
                            phone=phone, minutes=link_minutes())
            elif action == "unlock":
                unlock(trainee, actor, reason)
                message = _("The account was unlocked.")
            else:
                reopen(application, actor, reason)
                message = _("Application No. %(number)s was reopened as a draft.", number=application.id)
            db.session.commit()
        except (SupportError, TransitionError) as exc:
            db.session.rollback()
            return self._page(term, trainee.id, errors={key: str(exc)}, reasons={key: reason}, status=200)
        flash(message, "success")
        return redirect(self.get_url(".index", q=term or None, trainee=trainee.id))
