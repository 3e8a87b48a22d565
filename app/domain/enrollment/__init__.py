"""The trainee's side of enrollment: profile completeness, drafts, and submission."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.domain.enrollment import residency
from app.domain.enrollment.snapshot import profile_snapshot
from app.domain.rules import RuleResult, all_passed
from app.domain.rules.exemption import EXEMPTION_TYPES, evaluate_exemption, required_evidence
from app.domain.withdrawals import bar_refusal
from app.domain.workflow import states, transition
from app.extensions import db
from models import (
    Account,
    AccountBusiness,
    Application,
    ApplicationChoice,
    Attachment,
    Batch,
    ExemptionRequest,
    Specialty,
    Status,
    Trainee,
)
from models.clock import now
from models.enums import AttachmentKind, Business, Identity, Program

# The business (业务) an account must have opened to be offered a program's batches: opened at
# registration step ③ (选择业务处，点击“全科转岗培训”开通) or later on 我的业务.
BUSINESS_OF_PROGRAM = {Program.GP_TRANSFER: Business.GP_TRANSFER, Program.RESIDENCY: Business.RESIDENCY,
                       Program.ASSISTANT_GP: Business.ASSISTANT_GP}
# the programs whose batches the portal's 我要报名 offers
PORTAL_PROGRAMS = (Program.GP_TRANSFER, Program.RESIDENCY)


class EnrollmentError(ValueError):
    """A refused enrollment step; ``str(error)`` is the message for the trainee (Chinese)."""


def business_needed(program: str) -> str | None:
    """The business an account must have opened to apply to ``program``'s batches."""
    return BUSINESS_OF_PROGRAM.get(program)


def may_apply(account: Account, program: str) -> bool:
    """Whether ``account`` opened the business that ``program`` needs."""
    needed = business_needed(program)
    return needed is None or needed in account.businesses


def business_refusal(account: Account, program: str) -> str | None:
    """Why ``account`` may not apply to ``program`` (Chinese), or None when it may."""
    if may_apply(account, program):
        return None
    return _("To apply for %(program)s, first open the business “%(business)s” in “My businesses”.",
             program=Program.label(program), business=Business.label(business_needed(program)))


def open_business(account: Account, business: str) -> bool:
    """Open ``business`` for ``account`` now (opening is immediate). False when it was open already;
    ``EnrollmentError`` for a value that names no business. The caller commits."""
    if business not in Business.values():
        raise EnrollmentError(_("This business does not exist."))
    if business in account.businesses:
        return False
    account.business_rows.append(AccountBusiness(business=business))
    db.session.flush()
    return True


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


def profile_locked(trainee) -> bool:
    """While an application is being reviewed, the information it was submitted with stays put."""
    return db.session.scalar(select(Application.id).where(Application.trainee_id == trainee.id,
                                                          Application.status.in_(states.UNDER_REVIEW)).limit(1)) is not None


def set_residency_identity(application: Application, identity: str, commissioning_unit: str | None) -> None:
    """The residency applicant's identity; only a commissioned trainee (单位委派) names a commissioning unit."""
    application.identity = identity
    unit = (commissioning_unit or "").strip() or None
    application.commissioning_unit = unit if identity == Identity.COMMISSIONED else None


def record_prior_residency(trainee: Trainee, base: str | None, ended_on, passed: bool | None, passed_on) -> None:
    """The trainee's earlier residency training (已参加住院医师规范化培训), as the residency rules read it:
    no base means none, and a date passed is kept only with a pass."""
    base = (base or "").strip() or None
    trainee.prior_residency_base = base
    trainee.prior_residency_ended_on = ended_on if base else None
    trainee.prior_residency_passed = passed if base else None
    trainee.prior_residency_passed_on = passed_on if base and passed else None


def open_batches(program: str, account: Account | None = None) -> list[Batch]:
    """``program``'s batches open for registration now, newest first; given an account, none unless
    it opened the business the program needs."""
    if account is not None and not may_apply(account, program):
        return []
    batches = db.session.scalars(select(Batch).where(Batch.program == program).order_by(Batch.opens_at.desc()))
    return [b for b in batches if b.is_open()]


def offered_batches(account: Account) -> tuple[list[Batch], list[str]]:
    """The open batches 我要报名 offers ``account``, and the businesses it would have to open to be
    offered the open batches it is not (in ``Business`` order)."""
    offered, missing = [], []
    for program in PORTAL_PROGRAMS:
        if may_apply(account, program):
            offered += open_batches(program)
        elif open_batches(program):
            missing.append(business_needed(program))
    return offered, [b for b in Business.values() if b in missing]


def start_application(trainee: Trainee, batch: Batch) -> Application:
    """The trainee's draft for ``batch`` (created on first use); GP applications choose 全科.

    Raises ``EnrollmentError`` when the trainee has not opened the business the batch's program needs."""
    refusal = business_refusal(trainee.account, batch.program) or bar_refusal(trainee)
    if refusal:
        raise EnrollmentError(refusal)
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
    """Everything that stops submission: the business, the profile, the 外出参培证明, the exemption evidence."""
    refusal = business_refusal(application.trainee.account, application.batch.program)
    problems = [refusal] if refusal else []
    barred = bar_refusal(application.trainee)
    if barred:
        problems.append(barred)
    if application.batch.program == Program.RESIDENCY:
        return problems + profile_problems(application.trainee, needs_employment=application.identity in (
            None, Identity.COMMISSIONED)) + residency.problems(application, now().date())
    problems += profile_problems(application.trainee)
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


def save_exemption_claim(application: Application, claim: ExemptionRequest | None, exemption_type: int, *,
                         content: str, reason: str, certificate_date, training_months) -> ExemptionRequest:
    """Add a claim of ``exemption_type`` (once per type) or change ``claim``: its content or departments,
    reason and certificate facts. Raises ``EnrollmentError`` for a type claimed twice; the caller commits."""
    if claim is None:
        if any(r.type == exemption_type for r in application.exemptions):
            raise EnrollmentError(_("You have already added this exemption type."))
        claim = ExemptionRequest(application=application, type=exemption_type)
        db.session.add(claim)
        application.claims_exemption = True
    claim.content = (content or "").strip()
    claim.reason = (reason or "").strip()
    claim.certificate_date = certificate_date
    claim.training_months = training_months
    db.session.flush()
    return claim


def upload_kinds(claim: ExemptionRequest | None) -> set[str]:
    """The kinds of file asked for: a claim's evidence (its type's list), else the 外出参培证明."""
    if claim is None:
        return {AttachmentKind.OUTING_PROOF}
    return {kind for kinds in required_evidence(claim.type, claim_of(claim)) for kind in kinds}


def claim_of(request) -> dict:
    return {"content": request.content, "reason": request.reason,
            "certificate_date": request.certificate_date.isoformat() if request.certificate_date else None,
            "training_months": request.training_months, "certificate_kind": None}


def exemption_checks(application: Application, snapshot: dict | None = None,
                     on: date | None = None) -> list[tuple[ExemptionRequest, list[RuleResult]]]:
    """Evaluate each exemption claim of ``application`` now: every rule of its type, against ``snapshot``
    (default: the trainee's profile as it stands) on ``on`` (default: today). The results inform; the
    reviewers decide, and nothing here stops a submission."""
    snapshot = profile_snapshot(application.trainee) if snapshot is None else snapshot
    on = on or now().date()
    return [(request, evaluate_exemption(request.type, snapshot, claim_of(request), on))
            for request in sorted(application.exemptions, key=lambda r: r.type)]


def submit(application: Application, actor) -> None:
    """Freeze the profile, run the exemption rules, and submit (or resubmit) through the workflow.

    Raises ``EnrollmentError`` when the trainee has not opened the business the batch's program needs."""
    trainee = application.trainee
    refusal = business_refusal(trainee.account, application.batch.program) or bar_refusal(trainee)
    if refusal:
        raise EnrollmentError(refusal)
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
        application.eligibility = [r.to_json() for r in residency.check(application, today, snapshot)]
    for request, results in exemption_checks(application, snapshot, today):
        request.rule_results = [r.to_json() for r in results]
        request.rules_passed = all_passed(results)
    db.session.flush()
    action = "resubmit" if application.status == Status.RETURNED else "submit"
    transition(application, action, actor)
