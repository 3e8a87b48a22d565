"""The platform's records, one module per concept, re-exported here."""
from models.access_log import AccessAction, AccessLog
from models.account import Account, AccountBusiness, Role
from models.admission_notice import Acceptance, AdmissionNotice, ReportArrangement
from models.application_count import ApplicationCount, ApplicationPlaceCount
from models.application import Application, ApplicationChoice, ExemptionRequest, Status
from models.attachment import Attachment
from models.audit import AuditLog
from models.batch import BaseAdmission, Batch, Quota, SkillItem, batch_shortage_specialty
from models.claim_decision import ClaimDecision
from models.master_filing import CrossCityApproval, FilingDeadline, FilingReopening, MasterFiling
from models.exam import ExamPlan, ExamRoom, ExamSeat, SpecialtySkillItem
from models.job import Job, JobState
from models.institution import Institution, TrainingBase, base_specialty
from models.notice import Notice, NoticeRead
from models.password_reset import PasswordReset
from models.region import Region
from models.review import ReviewRecord
from models.saved_filter import SavedFilter
from models.setting import SupportContact
from models.sms import SmsCode, SmsLog, SmsPurpose, SmsState
from models.specialty import PracticeScope, Specialty
from models.trainee import Education, Employment, Licence, Trainee
from models.university import University
from models.withdrawal import BarEntry, Withdrawal
from models.training_record import AgreementKind, TrainingRecord

__all__ = [
    "Acceptance",
    "AccessAction",
    "AccessLog",
    "Account",
    "AccountBusiness",
    "AdmissionNotice",
    "AgreementKind",
    "Application",
    "ApplicationChoice",
    "ApplicationCount",
    "ApplicationPlaceCount",
    "Attachment",
    "AuditLog",
    "BarEntry",
    "BaseAdmission",
    "Batch",
    "ClaimDecision",
    "CrossCityApproval",
    "Education",
    "Employment",
    "ExamPlan",
    "ExamRoom",
    "ExamSeat",
    "ExemptionRequest",
    "FilingDeadline",
    "FilingReopening",
    "Institution",
    "Job",
    "JobState",
    "Licence",
    "MasterFiling",
    "Notice",
    "NoticeRead",
    "PasswordReset",
    "PracticeScope",
    "Quota",
    "Region",
    "ReportArrangement",
    "ReviewRecord",
    "Role",
    "SavedFilter",
    "SkillItem",
    "SmsCode",
    "SmsLog",
    "SmsPurpose",
    "SmsState",
    "Specialty",
    "SpecialtySkillItem",
    "Status",
    "SupportContact",
    "Trainee",
    "TrainingBase",
    "TrainingRecord",
    "University",
    "Withdrawal",
    "base_specialty",
    "batch_shortage_specialty",
]
