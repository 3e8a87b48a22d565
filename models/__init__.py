"""The platform's records, one module per concept, re-exported here."""
from models.access_log import AccessAction, AccessLog
from models.account import Account, AccountBusiness, Role
from models.application import Application, ApplicationChoice, ExemptionRequest, Status
from models.attachment import Attachment
from models.audit import AuditLog
from models.batch import Batch, Quota, SkillItem, batch_shortage_specialty
from models.job import Job, JobState
from models.institution import Institution, TrainingBase, base_specialty
from models.password_reset import PasswordReset
from models.region import Region
from models.review import ReviewRecord
from models.setting import SupportContact
from models.sms import SmsCode, SmsLog, SmsPurpose, SmsState
from models.specialty import PracticeScope, Specialty
from models.trainee import Education, Employment, Licence, Trainee

__all__ = [
    "AccessAction", "AccessLog", "Account", "AccountBusiness", "Application", "ApplicationChoice", "Attachment", "AuditLog",
    "Batch", "Education", "Employment", "ExemptionRequest", "Institution", "Job", "JobState", "Licence",
    "PasswordReset", "PracticeScope", "Quota", "Region", "ReviewRecord", "Role", "SkillItem", "SmsCode", "SmsLog", "SmsPurpose", "SmsState",
    "Specialty", "Status", "SupportContact",
    "Trainee", "TrainingBase", "base_specialty", "batch_shortage_specialty",
]
