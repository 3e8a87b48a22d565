"""The back office: the Admin object and every view, with its menu category."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from app.domain.privacy import PII_FIELDS
from app.extensions import db
from app.security_headers import csp_nonce
from models import (
    AccessLog,
    Account,
    Application,
    ApplicationChoice,
    Attachment,
    AuditLog,
    BarEntry,
    Batch,
    Education,
    Employment,
    ExemptionRequest,
    Institution,
    Licence,
    Notice,
    PracticeScope,
    Quota,
    Region,
    ReviewRecord,
    SmsLog,
    Specialty,
    SupportContact,
    Trainee,
    TrainingBase,
    University,
    Withdrawal,
)
from views.admin.access_log import AccessLogView
from views.admin.accounts import AccountView
from views.admin.admission import AdmissionView
from views.admin.base_admission import BaseAdmissionView
from views.admin.application_records import (
    ApplicationChoiceView,
    AttachmentView,
    ExemptionRequestView,
    ReviewRecordView,
)
from views.admin.applications import ApplicationView
from views.admin.audit import AuditLogView
from views.admin.base import DashboardView, pii_field
from views.admin.batches import BatchView, QuotaView
from views.admin.confirm import ConfirmView
from views.admin.admission_notices import AdmissionNoticeView
from views.admin.exams import ExamsView
from views.admin.csp_templates import without_inline_handlers
from views.admin.filing import FilingView
from views.admin.institutions import InstitutionImportView
from views.admin.notices import NoticeInboxView, NoticeView
from views.admin.jobs import JobsView
from views.admin.list_rows import action_form, review_buttons
from views.admin.menu import init_menu
from views.admin.queues import queue_links
from views.admin.reference import (
    InstitutionView,
    PracticeScopeView,
    RegionView,
    SpecialtyView,
    TrainingBaseView,
    UniversityView,
)
from views.admin.quotas import QuotaGridView
from views.admin.scores import ScoresView
from views.admin.season_table import season_cells
from views.admin.settings import SupportContactView
from views.admin.sms import SmsLogView
from views.admin.support import SupportView
from views.admin.trainees import EducationView, EmploymentView, LicenceView, TraineeView
from views.admin.withdrawals import BarEntryView, WithdrawalView

REVIEW, TRAINEES, BATCHES, REFERENCE, SYSTEM = (
    _l("Enrollment review"), _l("Trainees"), _l("Batches and quotas"), _l("Reference data"), _l("System"))
TRAINING, NOTICES = _l("Training management"), _l("Notices")


def init_admin(app) -> Admin:
    """Create the back office on ``app`` with every view."""
    app.add_template_global(pii_field, "pii_field")  # a masked personal value (with a reveal button on details)
    app.add_template_global(PII_FIELDS, "pii_keys")
    init_menu(app)
    app.add_template_global(action_form, "review_action_form")  # a review action's form (lists, details)
    app.add_template_global(review_buttons, "review_buttons")
    app.add_template_global(season_cells, "season_number_cells")  # the season table's cells
    admin = Admin(app, name=_l("Henan Health Training Enrollment Platform"),
                  theme=Bootstrap4Theme(swatch="default", fluid=True, base_template="admin/site_master.html"),
                  index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
                  csp_nonce_generator=csp_nonce)  # its inline scripts carry the page's CSP nonce
    for link in queue_links(REVIEW):  # each role's default filters, first in the review menu
        admin.add_link(link)
    views = [
        (ApplicationView, Application, _l("Applications"), REVIEW, "application"),
        (ExemptionRequestView, ExemptionRequest, _l("Exemption requests"), REVIEW, "exemption_request"),
        (ApplicationChoiceView, ApplicationChoice, _l("Specialty choices"), REVIEW, "application_choice"),
        (AttachmentView, Attachment, _l("Attachments"), REVIEW, "attachment"),
        (ReviewRecordView, ReviewRecord, _l("Review records"), REVIEW, "review_record"),
        (WithdrawalView, Withdrawal, _l("Withdrawals"), TRAINING, "withdrawal"),
        (BarEntryView, BarEntry, _l("Bar list"), TRAINING, "bar_entry"),
        (NoticeView, Notice, _l("Publish notices"), NOTICES, "notice"),
        (TraineeView, Trainee, _l("Trainees"), TRAINEES, "trainee"),
        (EducationView, Education, _l("Education"), TRAINEES, "education"),
        (EmploymentView, Employment, _l("Employment"), TRAINEES, "employment"),
        (LicenceView, Licence, _l("Licences"), TRAINEES, "licence"),
        (BatchView, Batch, _l("Batches"), BATCHES, "batch"),
        (QuotaView, Quota, _l("Quotas"), BATCHES, "quota"),
        (RegionView, Region, _l("Regions"), REFERENCE, "region"),
        (InstitutionView, Institution, _l("Institutions"), REFERENCE, "institution"),
        (TrainingBaseView, TrainingBase, _l("Training bases"), REFERENCE, "training_base"),
        (SpecialtyView, Specialty, _l("Specialties"), REFERENCE, "specialty"),
        (PracticeScopeView, PracticeScope, _l("Practice scopes"), REFERENCE, "practice_scope"),
        (UniversityView, University, _l("Universities"), REFERENCE, "university"),
        (AccountView, Account, _l("Accounts"), SYSTEM, "account"),
        (AuditLogView, AuditLog, _l("Audit log"), SYSTEM, "audit_log"),
        (AccessLogView, AccessLog, _l("Access log"), SYSTEM, "access_log"),
        (SmsLogView, SmsLog, _l("SMS log"), SYSTEM, "sms_log"),
        (SupportContactView, SupportContact, _l("Technical support contacts"), SYSTEM, "support_contact"),
    ]
    for view_class, model, name, category, endpoint in views:
        admin.add_view(view_class(model, db, name=name, category=category, endpoint=endpoint))
    admin.add_view(QuotaGridView(name=_l("Quota grid"), category=BATCHES, endpoint="quota_grid",
                                 url="/admin/quota-grid"))
    admin.add_view(FilingView(name=_l("Professional master's filing"), endpoint="filing", url="/admin/filing"))
    admin.add_view(NoticeInboxView(name=_l("Notices for me"), category=NOTICES, endpoint="notice_inbox",
                                   url="/admin/notices-inbox"))
    admin.add_view(ExamsView(name=_l("Exam arrangements"), category=REVIEW, endpoint="exams"))
    admin.add_view(ScoresView(name=_l("Exam scores"), category=REVIEW, endpoint="scores"))
    admin.add_view(AdmissionView(name=_l("Residency admission"), category=REVIEW, endpoint="admission"))
    admin.add_view(BaseAdmissionView(name=_l("Our base's admission"), category=REVIEW, endpoint="base_admission",
                                     url="/admin/base-admission"))
    admin.add_view(ConfirmView(name=_l("On-site confirmation"), category=REVIEW, endpoint="confirm"))
    admin.add_view(AdmissionNoticeView(name=_l("Admission notices and reporting"), category=REVIEW,
                                       endpoint="admission_notices", url="/admin/notices"))
    admin.add_view(SupportView(name=_l("Technical support"), category=SYSTEM, endpoint="support"))
    admin.add_view(InstitutionImportView(name=_l("Import unit directory"), category=REFERENCE,
                                         endpoint="institution_import", url="/admin/institution-import"))
    admin.add_view(JobsView(name=_l("My tasks"), endpoint="jobs", url="/admin/jobs"))
    without_inline_handlers(app)  # the Content-Security-Policy refuses onclick="…" (static/admin/csp.js)
    return admin
