"""住培 steps of 我要报名: ② identity, ④ base and specialties, ⑤ eligibility pre-check; the 报名表 PDF.

Step ③ (confirm personal information) and submission are shared with GP transfer (views/portal/apply.py).
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.documents.regform import RegformError, registration_form_response
from app.domain import enrollment
from app.domain.admission import tie_break_message
from app.domain.enrollment import residency
from app.extensions import db
from app.infra.access_log import record_access
from models import AccessAction, Application
from models.clock import now
from views.helpers import parse_id
from views.portal.forms import ResidencyIdentityForm, UploadForm

STEP_LABELS = (_l("Choose a batch"), _l("Identity"), _l("Confirm information"), _l("Base and specialties"),
               _l("Eligibility check"))


def step_labels() -> list[str]:
    return [str(label) for label in STEP_LABELS]


def step_url(application: Application, step: int) -> str:
    return url_for("portal.apply_step", application_id=application.id, step=step)


def identity_step(application: Application):
    trainee = application.trainee
    form = ResidencyIdentityForm(data={
        "identity": application.identity if application.identity in residency.IDENTITIES else None,
        "commissioning_unit": application.commissioning_unit,
        "residency_withdrawn_on": trainee.residency_withdrawn_on,
        "prior_residency_base": trainee.prior_residency_base,
        "prior_residency_ended_on": trainee.prior_residency_ended_on,
        "prior_residency_passed": {True: "yes", False: "no"}.get(trainee.prior_residency_passed),
        "prior_residency_passed_on": trainee.prior_residency_passed_on})
    if request.method == "POST":
        if form.validate_on_submit():
            enrollment.set_residency_identity(application, form.identity.data, form.commissioning_unit.data)
            trainee.residency_withdrawn_on = form.residency_withdrawn_on.data
            enrollment.record_prior_residency(
                trainee, base=form.prior_residency_base.data, ended_on=form.prior_residency_ended_on.data,
                passed={"yes": True, "no": False}.get(form.prior_residency_passed.data),
                passed_on=form.prior_residency_passed_on.data)
            db.session.commit()
            return redirect(step_url(application, 3))
        return render(application, 2, identity_form=form), 400
    return render(application, 2, identity_form=form)


def choice_step(application: Application):
    available = residency.seats(application.batch)
    bases = residency.bases(application.batch)
    current = [c.specialty_id for c in application.choices]
    values = {"base_id": application.base_id, "specialties": current + [None] * (2 - len(current)),
              "pledge": application.no_postgrad_pledge}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not UploadForm().validate_on_submit():
            abort(400)
        # a malformed id becomes 0, which names no base or specialty: refused as such below
        base_ids = [parse_id(b) or 0 for b in request.form.getlist("base_id") if b]
        specialty_ids = [(parse_id(s) or 0) if s else None for s in request.form.getlist("specialty")]
        values = {"base_id": base_ids[0] if base_ids else None,
                  "specialties": (specialty_ids + [None, None])[:max(2, len(specialty_ids))],
                  "pledge": request.form.get("no_postgrad_pledge") == "y"}
        try:
            residency.set_choices(application, base_ids, specialty_ids)
        except residency.ChoiceError as error:
            errors[error.field] = str(error)
        if not errors:
            application.no_postgrad_pledge = values["pledge"]
            db.session.commit()
            return redirect(step_url(application, 5))
        db.session.rollback()
    shortage = {s.id for s in application.batch.shortage_specialties}
    return render(application, 4, bases=bases, available=available, values=values, errors=errors,
                  shortage=shortage, admission_rule=tie_break_message(application.batch.tie_break)[1]), \
        (400 if errors else 200)


def check_step(application: Application):
    if request.method == "POST":
        if not UploadForm().validate_on_submit():
            abort(400)
        flash(_("Your application is saved. Check it and press “Submit”."), "success")
        return redirect(url_for("portal.application", application_id=application.id))
    results = [(r, r.render(gettext)) for r in residency.check(application, now().date())]
    return render(application, 5, results=results,
                  blocking=[text for r, text in results if r.hard and not r.passed])


def render(application: Application, step: int, **context):
    return render_template("portal/residency_step.html", application=application, step=step,
                           step_labels=step_labels(), form=UploadForm(), trainee=application.trainee, **context)


def registration_form(application: Application) -> Response:
    """The 报名表 PDF of a submitted residency application (the trainee prints, signs and brings it)."""
    try:
        response = registration_form_response(application)
    except RegformError as error:
        flash(str(error), "error")
        return redirect(url_for("portal.application", application_id=application.id))
    record_access(AccessAction.PDF, "application", application.id)
    return response
