"""学员报名: 我要报名 in five steps, the application page, uploads, exemptions and submission."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, exists, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

import views.portal.residency as steps
from app.domain import enrollment
from app.domain.admission.notices import current_notice
from app.domain.enrollment import residency
from app.domain.review.claims import decided_outcomes
from app.domain.rules import results_from_json
from app.domain.rules.exemption import EXEMPTION_TYPES, required_evidence
from app.domain.workflow import TransitionError, deadline_refusal, resubmission_reviewer, states
from app.extensions import db
from app.infra.storage import UploadError, delete, save
from models import (Application, ApplicationChoice, Attachment, BaseAdmission, Batch, ExamPlan, ReviewRecord,
                    Specialty, Status)
from models.clock import now
from models.enums import AttachmentKind, Identity, Program
from views.helpers import parse_id
from views.portal.blueprint import bp
from views.portal.forms import ExemptionChoiceForm, ExemptionForm, UploadForm
from views.portal.exams import admit_card as admit_card_response
from views.portal.exams import exam_context
from views.portal.residency import registration_form as pdf_response
from views.portal.residency import step_labels
from views.portal.routes import current_trainee, trainee_required

STEPS = (1, 2, 3, 4, 5)


def own_application(application_id: str) -> Application:
    """The current trainee's application, or 404 (another trainee's id looks like a missing one)."""
    number = parse_id(application_id)
    application = db.session.get(Application, number) if number else None
    trainee = current_trainee()
    if application is None or trainee is None or application.trainee_id != trainee.id:
        abort(404)
    return application


def editable(application: Application) -> bool:
    return application.status in states.EDITABLE


def own_draft(application_id: str) -> Application:
    """The current trainee's application while it may still be changed (draft or returned);
    otherwise back to its page with the reason."""
    application = own_application(application_id)
    if not editable(application):
        flash(_("This application has been submitted and can no longer be changed."), "error")
        abort(redirect(url_for("portal.application", application_id=application.id)))
    return application


def exemption_types():
    return EXEMPTION_TYPES


@bp.route("/apply", methods=["GET", "POST"])
@trainee_required
def apply():
    """Step ①: choose an open batch (only inside its registration window, and only of a program whose
    business the trainee opened)."""
    trainee = current_trainee()
    batches, missing = enrollment.offered_batches(trainee.account)
    refused = {b.id: residency.refusal(trainee, b) for b in batches if b.program == Program.RESIDENCY}
    if request.method == "POST":
        form = UploadForm()
        batch = db.session.get(Batch, parse_id(request.form.get("batch_id", "")) or 0)
        if (not form.validate_on_submit() or batch is None or not batch.is_open()
                or batch.program not in enrollment.PORTAL_PROGRAMS):
            flash(_("This batch is not open for registration."), "error")
            return redirect(url_for("portal.apply"))
        if refused.get(batch.id):
            flash(refused[batch.id], "error")
            return redirect(url_for("portal.apply"))
        try:
            application = enrollment.start_application(trainee, batch)
        except enrollment.EnrollmentError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("portal.apply"))
        db.session.commit()
        return redirect(url_for("portal.apply_step", application_id=application.id, step=2))
    mine = {a.batch_id: a for a in db.session.scalars(select(Application).where(Application.trainee_id == trainee.id))}
    return render_template("portal/apply_batches.html", batches=batches, mine=mine, form=UploadForm(),
                           problems=enrollment.profile_problems(trainee), refused=refused, missing=missing)


@bp.route("/applications/<application_id>/step/<int:step>", methods=["GET", "POST"])
@trainee_required
def apply_step(application_id: str, step: int):
    """Steps ② identity, ③ confirm personal information, ④ proof and exemptions, ⑤ specialty."""
    if step not in (2, 3, 4, 5):
        abort(404)
    application = own_draft(application_id)
    is_residency = application.batch.program == Program.RESIDENCY
    if is_residency and step != 3:
        return {2: steps.identity_step, 4: steps.choice_step, 5: steps.check_step}[step](application)
    form = UploadForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if step == 2:
            # 全科转岗 is the only identity of a GP-transfer batch
            return redirect(url_for("portal.apply_step", application_id=application.id, step=3))
        if step == 3:
            return redirect(url_for("portal.apply_step", application_id=application.id, step=4))
        if step == 4:
            choice = ExemptionChoiceForm()
            if choice.validate():
                application.claims_exemption = choice.claims_exemption.data == "yes"
                db.session.commit()
                flash(_("Saved."), "success")
            else:
                flash(_("Answer whether you claim an exemption."), "error")
            return redirect(url_for("portal.apply_step", application_id=application.id, step=4))
        if step == 5:
            enrollment.set_gp_choice(application)
            db.session.commit()
            flash(_("Your application is saved. Check it and press “Submit”."), "success")
            return redirect(url_for("portal.application", application_id=application.id))
    trainee = application.trainee
    context = {"application": application, "step": step, "steps": STEPS, "form": form, "trainee": trainee}
    if is_residency:
        context["step_labels"] = step_labels()
    if step == 3:
        context["problems"] = enrollment.profile_problems(
            trainee, needs_employment=not is_residency or application.identity == Identity.COMMISSIONED)
    if step == 4:
        context.update(exemption_context(application))
    if step == 5:
        context["gp_specialty"] = db.session.scalar(select(Specialty).where(Specialty.code == Specialty.GP_CODE))
    return render_template("portal/apply_step.html", **context)


def exemption_precheck(application: Application) -> list[dict]:
    """The rule checks of each exemption claim, evaluated now (app.domain.enrollment), as rows in Chinese.
    They inform the trainee before submission and block nothing: the reviewers decide."""
    if not application.claims_exemption:
        return []
    types = exemption_types()
    return [{"request": request_, "title": _(types[request_.type].title),
             "results": [(r.passed, r.hard, r.render(gettext)) for r in results]}
            for request_, results in enrollment.exemption_checks(application)]


def exemption_context(application: Application, exemption_form=None) -> dict:
    types = exemption_types()
    claimed = {r.type for r in application.exemptions}
    form = exemption_form or ExemptionForm()
    form.type.choices = [(n, f"（{n}）{_(types[n].title)}") for n in sorted(types) if n not in claimed]
    requests = []
    for request_ in application.exemptions:
        files = enrollment.application_files(application, exemption=request_)
        slots = [{"kinds": kinds, "labels": [AttachmentKind.label(k) for k in kinds],
                  "files": [f for f in files if f.kind in kinds]}
                 for kinds in required_evidence(request_.type, enrollment.claim_of(request_))]
        requests.append({"request": request_, "info": types[request_.type], "slots": slots, "files": files})
    return {"choice_form": ExemptionChoiceForm(data={"claims_exemption": None if application.claims_exemption is None
                                                     else ("yes" if application.claims_exemption else "no")}),
            "exemption_form": form, "requests": requests, "types": types,
            "precheck": exemption_precheck(application),
            "outing_files": enrollment.application_files(application, AttachmentKind.OUTING_PROOF)}


@bp.route("/applications/<application_id>/exemptions", methods=["POST"])
@bp.route("/applications/<application_id>/exemptions/<request_id>", methods=["POST"])
@trainee_required
def exemption(application_id: str, request_id: str | None = None):
    """Add an exemption type, or change its content, reason and certificate facts."""
    application = own_draft(application_id)
    existing = None
    if request_id is not None:
        existing = next((r for r in application.exemptions if r.id == parse_id(request_id)), None)
        if existing is None:
            abort(404)
    form = ExemptionForm()
    types = exemption_types()
    form.type.choices = [(n, _(types[n].title)) for n in sorted(types)]
    if existing is not None:
        form.type.data = existing.type
    if not form.validate_on_submit():
        context = {"application": application, "step": 4, "steps": STEPS, "form": UploadForm(),
                   "trainee": application.trainee, "editing_exemption": existing}
        context.update(exemption_context(application, form if existing is None else None))
        if existing is not None:
            context["edit_form"] = form
        return render_template("portal/apply_step.html", **context), 400
    try:
        existing = enrollment.save_exemption_claim(
            application, existing, form.type.data, content=form.content.data, reason=form.reason.data,
            certificate_date=form.certificate_date.data, training_months=form.training_months.data)
    except enrollment.EnrollmentError as error:
        flash(str(error), "error")
        return redirect(url_for("portal.apply_step", application_id=application.id, step=4))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("portal.apply_step", application_id=application.id, step=4) + f"#exemption-{existing.id}")


@bp.route("/applications/<application_id>/exemptions/<request_id>/delete", methods=["POST"])
@trainee_required
def exemption_delete(application_id: str, request_id: str):
    application = own_draft(application_id)
    existing = next((r for r in application.exemptions if r.id == parse_id(request_id)), None)
    if existing is None or not UploadForm().validate_on_submit():
        abort(404)
    for attachment in enrollment.application_files(application, exemption=existing):
        delete(attachment)
    application.exemptions.remove(existing)
    return _deleted(application)


def _deleted(application):
    """Commit a deletion and go back to the materials step."""
    db.session.commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("portal.apply_step", application_id=application.id, step=4))


@bp.route("/applications/<application_id>/files", methods=["POST"])
@trainee_required
def application_upload(application_id: str):
    """Upload the 外出参培证明 or an evidence file of an exemption type."""
    application = own_draft(application_id)
    if not UploadForm().validate_on_submit():
        abort(400)
    kind = request.form.get("kind", "")
    exemption_request = None
    if request.form.get("exemption_id"):
        exemption_request = next((r for r in application.exemptions
                                  if r.id == parse_id(request.form["exemption_id"])), None)
        if exemption_request is None:
            abort(404)
    allowed = enrollment.upload_kinds(exemption_request)
    back = url_for("portal.apply_step", application_id=application.id, step=4) + (
        f"#exemption-{exemption_request.id}" if exemption_request else "#outing-proof")
    if kind not in allowed:
        flash(_("This kind of file is not asked for here."), "error")
        return redirect(back)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Please choose a file."), "error")
        return redirect(back)
    try:
        save(upload, kind, application.trainee, uploaded_by=current_user, application=application,
             exemption_request=exemption_request)
        db.session.commit()
        flash(_("Uploaded."), "success")
    except UploadError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(back)


@bp.route("/applications/<application_id>/files/<file_id>/delete", methods=["POST"])
@trainee_required
def application_file_delete(application_id: str, file_id: str):
    application = own_draft(application_id)
    attachment = db.session.get(Attachment, parse_id(file_id) or 0)
    if attachment is None or attachment.application_id != application.id or not UploadForm().validate_on_submit():
        abort(404)
    delete(attachment)
    return _deleted(application)


def _page_statements():
    """The application page's statements, built once (SQLAlchemy then reuses their compiled form and cache
    key): the application with its batch, base and admitted specialty, whether the base published its own
    admission and the days of the base's own 准考证 window; its choices with their specialties; its history."""
    same_base = (ExamPlan.batch_id == Application.batch_id, ExamPlan.base_id == Application.base_id)
    published = exists().where(BaseAdmission.batch_id == Application.batch_id,
                               BaseAdmission.base_id == Application.base_id,
                               BaseAdmission.published_at.is_not(None))
    row = (select(Application, published, select(ExamPlan.card_opens_on).where(*same_base).scalar_subquery(),
                  select(ExamPlan.card_closes_on).where(*same_base).scalar_subquery())
           .where(Application.id == bindparam("number"), Application.trainee_id == bindparam("trainee"))
           .options(joinedload(Application.batch), joinedload(Application.base),
                    joinedload(Application.admitted_specialty)))
    choices = (select(ApplicationChoice).where(ApplicationChoice.application_id == bindparam("number"))
               .order_by(ApplicationChoice.rank).options(joinedload(ApplicationChoice.specialty)))
    history = (select(ReviewRecord).where(ReviewRecord.application_id == bindparam("number"))
               .order_by(ReviewRecord.created_at, ReviewRecord.id))
    return row, choices, history


PAGE_ROW, PAGE_CHOICES, PAGE_HISTORY = _page_statements()


def application_page_row(application_id: str) -> tuple[Application, bool, tuple | None]:
    """The current trainee's application (or 404) with what its page shows of it, in few and simple
    statements (each joined table costs PostgreSQL planning time on every request): the application with
    its batch, base and admitted specialty, whether the base published its own admission, and the days of
    the base's own 准考证 window (``(opens, closes)`` or None); then its choices with their specialties."""
    number = parse_id(application_id)
    trainee = current_trainee()
    if not number or trainee is None:
        abort(404)
    row = db.session.execute(PAGE_ROW, {"number": number, "trainee": trainee.id}).first()
    if row is None:
        abort(404)
    application, base_published, opens, closes = row
    if "choices" not in inspect(application).dict:  # not loaded yet in this session
        set_committed_value(application, "choices", db.session.scalars(PAGE_CHOICES, {"number": number}).all())
    return application, base_published, (opens, closes) if opens is not None else None


@bp.route("/applications/<application_id>", methods=["GET"])
@trainee_required
def application(application_id: str):
    """The application page: status, what is missing, every review step with its reason.

    Its statements are few and fixed: the application with what the page shows of it (``application_page_row``),
    the review history; and only where the page can show them: the 外出参培证明, the exemption claims and their
    decisions of a 全科转岗 application (only those have claims decided), the exam seat of a residency
    application confirmed on site or later (seats are issued to those only), and the admission notice once
    the admission is decided (notices are issued to admitted applicants only). No application goes back to
    an earlier of these states."""
    application, base_published, card_days = application_page_row(application_id)
    history = db.session.scalars(PAGE_HISTORY, {"number": application.id}).all()
    is_editable = editable(application)
    is_residency = application.batch.program == Program.RESIDENCY
    problems = enrollment.submission_problems(application) if is_editable else []
    returned = next((r for r in reversed(history) if r.status_after == Status.RETURNED), None)
    eligibility = []
    if is_residency:
        results = (residency.check(application, now().date()) if is_editable
                   else results_from_json(application.eligibility))
        eligibility = [(r.passed, r.hard, r.render(gettext)) for r in results]
    action = "resubmit" if application.status == Status.RETURNED else "submit"
    return render_template("portal/application.html", application=application, history=history, problems=problems,
                           closed=deadline_refusal(application.batch, action, now()) if is_editable else None,
                           next_reviewer=resubmission_reviewer(application.batch.program),
                           eligibility=eligibility, is_residency=is_residency,
                           editable=is_editable, returned=returned, types=exemption_types(),
                           claim_outcomes=(decided_outcomes(application) if not is_residency
                                           and application.exemptions else []),
                           notice=(current_notice(application.id) if is_residency
                                   and application.status in states.ADMISSION_DECIDED else None),
                           precheck=exemption_precheck(application) if is_editable else [],
                           outing_files=([] if is_residency else
                                         enrollment.application_files(application, AttachmentKind.OUTING_PROOF)),
                           exam=exam_context(application, card_days=card_days, base_published=base_published))


@bp.route("/applications/<application_id>/submit", methods=["POST"])
@trainee_required
def application_submit(application_id: str):
    """提交: refused with the list of what is missing; afterwards nothing can be changed."""
    application = own_draft(application_id)
    if not UploadForm().validate_on_submit():
        abort(400)
    action = "resubmit" if application.status == Status.RETURNED else "submit"
    refusal = deadline_refusal(application.batch, action, now())
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("portal.application", application_id=application.id))
    problems = enrollment.submission_problems(application)
    if problems:
        flash(_("Not submitted yet: please complete the items listed below."), "error")
        return redirect(url_for("portal.application", application_id=application.id))
    try:
        enrollment.submit(application, current_user)
        db.session.commit()
    except (TransitionError, enrollment.EnrollmentError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("portal.application", application_id=application.id))
    if application.batch.program == Program.RESIDENCY:
        flash(_("Submitted. The training base will review it; download and print the registration form below."),
              "success")
    else:
        flash(_("Submitted. The county health commission will review it; follow the result on this page."),
              "success")
    return redirect(url_for("portal.application", application_id=application.id))


@bp.route("/applications/<application_id>/registration-form.pdf", methods=["GET"])
@trainee_required
def registration_form(application_id: str):
    """报名表 of a submitted residency application, as a PDF to print, sign and bring to the base."""
    application = own_application(application_id)
    if application.batch.program != Program.RESIDENCY:
        abort(404)
    return pdf_response(application)


@bp.route("/applications/<application_id>/admit-card.pdf", methods=["GET"])
@trainee_required
def admit_card(application_id: str):
    """准考证 of a residency applicant with an exam number, inside the base's download window."""
    application = own_application(application_id)
    if application.batch.program != Program.RESIDENCY:
        abort(404)
    return admit_card_response(application)
