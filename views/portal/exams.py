"""The trainee's exam arrangements: the theory exam's time, the exam number and seat, the 准考证 PDF
inside the base's window; and the public page that verifies a 准考证's QR code."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.documents.admit_card import admit_card_filename, admit_card_pdf, pdf_response
from app.domain import exams
from app.domain.exams.verification import CardCodeError, verify_card
from app.domain.privacy import mask_id_number
from app.infra.access_log import record_access
from app.domain.workflow import states
from models import AccessAction, Application
from models.clock import now
from models.enums import Program
from views.portal.blueprint import bp


def exam_context(application: Application, *, card_days: tuple | None, base_published: bool) -> dict | None:
    """What the application page shows of the exam (None for other programs), given the days of the base's
    own 准考证 window (``(opens, closes)`` or None) and whether the base published its own admission, read
    with the application (``views.portal.apply.application_page_row``). Only an application confirmed on
    site or later can have a seat (``exams.applicants_query``): the others are not asked for one."""
    if application.batch.program != Program.RESIDENCY:
        return None
    seat = exams.seat_of(application) if application.status in states.CONFIRMED_OR_LATER else None
    window = (exams.CardWindow(*card_days, True) if card_days is not None and application.base_id is not None
              else exams.card_window(application.batch, None))
    return {"time": exams.theory_exam_text(application.batch), "seat": seat, "window": window,
            "refusal": exams.card_refusal(application, seat, window, now().date()),
            "score_lines": exams.score_lines(application.batch, application.base_id, base_published=base_published)}


def admit_card(application: Application):
    """The 准考证 PDF, only inside the download window in force (the base's, else the batch's)."""
    seat = exams.seat_of(application)
    window = exams.card_window(application.batch, exams.plan_of(application.batch_id, application.base_id))
    refusal = exams.card_refusal(application, seat, window, now().date())
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("portal.application", application_id=application.id))
    response = pdf_response(admit_card_pdf(application, seat), admit_card_filename(application, seat))
    record_access(AccessAction.PDF, "exam_seat", seat.id)
    return response


@bp.route("/verify/admit-card", methods=["GET"])
def verify_admit_card():
    """Invigilators scan a 准考证: 有效 with what the ticket shows, or 无效."""
    try:
        seat = verify_card(request.args.get("code"))
    except CardCodeError:
        return render_template("portal/admit_card_verify.html", seat=None), 404
    application = seat.application
    return render_template("portal/admit_card_verify.html", seat=seat, name=application.trainee.name,
                           id_number=mask_id_number(application.trainee.id_number),
                           base=application.base.name if application.base else "",
                           time=exams.theory_exam_text(application.batch))
