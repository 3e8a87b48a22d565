"""录取通知: the admitted trainee's notice (page and PDF) and the answer, 接受 or 放弃."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.documents.admission_notice import admission_notice_response
from app.domain.admission.notices import NoticeError, accept, decline, window, window_refusal
from app.extensions import db
from app.infra.access_log import record_access
from models import AccessAction, AdmissionNotice, Application
from models.clock import today
from views.helpers import parse_id
from views.portal.blueprint import bp
from views.portal.forms import UploadForm
from views.portal.routes import current_trainee, trainee_required


def own_notice(notice_id: str) -> AdmissionNotice:
    """The current trainee's notice, or 404 (another trainee's id looks like a missing one)."""
    number = parse_id(notice_id)
    notice = db.session.get(AdmissionNotice, number) if number else None
    trainee = current_trainee()
    application = db.session.get(Application, notice.application_id) if notice else None
    if notice is None or trainee is None or application is None or application.trainee_id != trainee.id:
        abort(404)
    return notice


@bp.route("/notices/<notice_id>", methods=["GET"])
@trainee_required
def notice(notice_id: str):
    """The 录取通知: base, specialty, time and place of 报到, and the answer buttons inside the window."""
    found = own_notice(notice_id)
    batch = found.application.batch
    opens, closes = window(found, batch)
    return render_template("portal/notice.html", notice=found, application=found.application, opens=opens,
                           closes=closes, refusal=window_refusal(found, batch, today()), form=UploadForm(),
                           reason=request.args.get("reason", "")[:200])


@bp.route("/notices/<notice_id>/notice.pdf", methods=["GET"])
@trainee_required
def notice_pdf(notice_id: str):
    found = own_notice(notice_id)
    record_access(AccessAction.PDF, "admission_notice", found.id)
    return admission_notice_response(found)


@bp.route("/notices/<notice_id>/answer", methods=["POST"])
@trainee_required
def notice_answer(notice_id: str):
    """接受 or 放弃 (with an optional reason); a refusal is shown on the page, nothing is lost."""
    found = own_notice(notice_id)
    if not UploadForm().validate_on_submit():
        abort(400)
    choice = request.form.get("answer")
    reason = (request.form.get("reason") or "")[:1000]
    try:
        if choice == "accept":
            accept(current_user._get_current_object(), found.id)
            flash(_("You have accepted the admission. Please report at the time and place in the notice."),
                  "success")
        elif choice == "decline":
            decline(current_user._get_current_object(), found.id, reason)
            flash(_("You have declined the admission; the place goes back to the base."), "success")
        else:
            flash(_("Please choose to accept or to decline."), "error")
    except NoticeError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("portal.notice", notice_id=found.id, reason=reason[:200]))
    return redirect(url_for("portal.notice", notice_id=found.id))
