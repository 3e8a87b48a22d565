"""The trainee's side of enrollment: profile completeness, drafts, and submission."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.snapshot import profile_snapshot
from app.timeutil import now
from models import Application, ApplicationChoice, Attachment, Batch, Specialty, Status, Trainee
from models.enums import AttachmentKind, Identity, Program

EDITABLE_STATES = (Status.DRAFT, Status.RETURNED)


def profile_problems(trainee: Trainee, needs_employment: bool = True) -> list[str]:
    """What the profile still lacks before an application can be submitted (Chinese).

    Residency applicants who are not commissioned by a unit (社会人, 应届毕业生) may have no current job."""
    problems = []
    for field, label in (("name", _("name")), ("gender", _("gender")), ("ethnicity", _("ethnicity")),
                         ("political_status", _("political status")), ("mobile", _("mobile")),
                         ("address", _("mailing address")), ("emergency_contact", _("emergency contact")),
                         ("emergency_phone", _("emergency contact phone"))):
        if not getattr(trainee, field):
            problems.append(_("Profile: %(field)s is missing.", field=label))
    if trainee.photo_id is None:
        problems.append(_("Profile: the one-inch photo is missing."))
    if not trainee.educations:
        problems.append(_("Education: add at least one education record."))
    if needs_employment and not any(e.is_current for e in trainee.employments):
        problems.append(_("Employment: add your current work unit."))
    if trainee.has_licence is None:
        problems.append(_("Licence: choose whether you have a practising licence."))
    elif trainee.has_licence and not trainee.licences:
        problems.append(_("Licence: you chose 'yes'; add at least one licence record."))
    return problems


def record_prior_residency(trainee: Trainee, base: str | None, ended_on, passed: bool | None, passed_on) -> None:
    """The trainee's earlier residency training (已参加住院医师规范化培训), as the residency rules read it:
    no base means none, and a date passed is kept only with a pass."""
    base = (base or "").strip() or None
    trainee.prior_residency_base = base
    trainee.prior_residency_ended_on = ended_on if base else None
    trainee.prior_residency_passed = passed if base else None
    trainee.prior_residency_passed_on = passed_on if base and passed else None


def open_batches(program: str) -> list[Batch]:
    batches = db.session.scalars(select(Batch).where(Batch.program == program).order_by(Batch.opens_at.desc()))
    return [b for b in batches if b.is_open()]


def start_application(trainee: Trainee, batch: Batch) -> Application:
    """The trainee's draft for ``batch`` (created on first use); GP applications choose 全科."""
    application = db.session.scalar(select(Application).where(Application.trainee_id == trainee.id,
                                                              Application.batch_id == batch.id))
    if application is None:
        application = Application(trainee=trainee, batch=batch, status=Status.DRAFT)
        if batch.program == Program.GP_TRANSFER:
            application.identity = Identity.GP_TRANSFER
        db.session.add(application)
        db.session.flush()
    return application


def set_gp_choice(application: Application) -> None:
    """GP transfer applications train in 全科."""
    gp = db.session.scalar(select(Specialty).where(Specialty.code == Specialty.GP_CODE))
    if not application.choices:
        application.choices.append(ApplicationChoice(rank=1, specialty=gp))


def application_files(application: Application, kind: str | None = None, exemption=None) -> list[Attachment]:
    query = select(Attachment).where(Attachment.application_id == application.id)
    if kind:
        query = query.where(Attachment.kind == kind)
    if exemption is not None:
        query = query.where(Attachment.exemption_request_id == exemption.id)
    return db.session.scalars(query.order_by(Attachment.id)).all()


def submission_problems(application: Application) -> list[str]:
    """Everything that stops submission: the profile, the 外出参培证明, the exemption evidence."""
    from app.rules.exemption import EXEMPTION_TYPES, required_evidence
    if application.batch.program == Program.RESIDENCY:
        from app import residency
        return profile_problems(application.trainee, needs_employment=application.identity in (
            None, Identity.COMMISSIONED)) + residency.problems(application, now().date())
    problems = profile_problems(application.trainee)
    if application.batch.program == Program.GP_TRANSFER:
        if not application_files(application, AttachmentKind.OUTING_PROOF):
            problems.append(_("Upload the proof of leave for training."))
        if application.claims_exemption is None:
            problems.append(_("Answer whether you claim an exemption."))
        elif application.claims_exemption and not application.exemptions:
            problems.append(_("You claim an exemption: add at least one exemption type."))
        if application.claims_exemption:
            for request in application.exemptions:
                title = _(EXEMPTION_TYPES[request.type].title)
                if not (request.content or "").strip():
                    problems.append(_("Exemption %(title)s: fill in the exempted content.", title=title))
                if not (request.reason or "").strip():
                    problems.append(_("Exemption %(title)s: fill in the reason.", title=title))
                kinds = {a.kind for a in application_files(application, exemption=request)}
                for alternatives in required_evidence(request.type, claim_of(request)):
                    if not kinds.intersection(alternatives):
                        names = _(" or ").join(AttachmentKind.label(k) for k in alternatives)
                        problems.append(_("Exemption %(title)s: upload %(evidence)s.", title=title, evidence=names))
        if not application.choices:
            problems.append(_("Choose the specialty."))
    return problems


def claim_of(request) -> dict:
    return {"content": request.content, "reason": request.reason,
            "certificate_date": request.certificate_date.isoformat() if request.certificate_date else None,
            "training_months": request.training_months, "certificate_kind": None}


def submit(application: Application, actor) -> None:
    """Freeze the profile, run the exemption rules, and submit (or resubmit) through the workflow."""
    from app.rules import all_passed
    from app.rules.exemption import evaluate_exemption
    from app.workflow import transition
    trainee = application.trainee
    snapshot = profile_snapshot(trainee)
    current = trainee.current_employment
    if application.status == Status.RETURNED:
        application.previous_snapshot = application.snapshot
    application.snapshot = snapshot
    application.unit_name = current.unit_name if current else None
    if current is not None:
        region = current.region
        application.county_id = region.id
        application.city_id = region.parent_id if region.level == "county" else region.id
    today = now().date()
    if application.batch.program == Program.RESIDENCY:
        from app import residency
        application.eligibility = [r.to_json() for r in residency.check(application, today, snapshot)]
    for request in application.exemptions:
        results = evaluate_exemption(request.type, snapshot, claim_of(request), today)
        request.rule_results = [r.to_json() for r in results]
        request.rules_passed = all_passed(results)
    db.session.flush()
    action = "resubmit" if application.status == Status.RETURNED else "submit"
    transition(application, action, actor)
