"""Who may see what: role groups, ``scope_condition`` / ``scope`` for queries, and ``can``.

Every list, count, detail page, export, file download and ajax look-up goes through
``scope``; the rule for each record lives here and nowhere else.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from app.extensions import db
from models import (
    AccessLog,
    Account,
    Application,
    ApplicationChoice,
    ApplicationCount,
    ApplicationPlaceCount,
    Attachment,
    AuditLog,
    BarEntry,
    Batch,
    CrossCityApproval,
    Education,
    Employment,
    ExemptionRequest,
    FilingReopening,
    Institution,
    Licence,
    MasterFiling,
    Notice,
    PasswordReset,
    Quota,
    Region,
    ReviewRecord,
    Role,
    SmsCode,
    SmsLog,
    Status,
    Trainee,
    TrainingBase,
    University,
    Withdrawal,
)
from models.enums import Program

R = Role
ALL_STAFF = Role.STAFF
REVIEWERS = (R.COUNTY_REVIEWER, R.CITY_REVIEWER, R.BASE_STAFF)


def application_condition(user: Account, source=Application) -> ColumnElement[bool]:
    """Applications a user may see: their county, city or base; everything province-wide.

    County and city commissions review GP transfer only: a residency application of a trainee
    employed in their area is the base's business. A base sees a residency application once it is
    submitted (the base is chosen while the draft is still being written).

    ``source`` is ``Application`` or a table that counts applications by the same columns (the
    maintained counts of ``models.application_count``): the same rule then selects the counts of the
    applications the user may see. A count without the column a rule needs selects nothing."""
    role = user.role
    if role in Role.PROVINCE_WIDE:
        return true()
    if role in (R.COUNTY_REVIEWER, R.CITY_REVIEWER):
        region = getattr(source, "county_id" if role == R.COUNTY_REVIEWER else "city_id", None)
        if region is None:
            return false()
        return and_(region == user.region_id,
                    source.batch_id.in_(select(Batch.id).where(Batch.program == Program.GP_TRANSFER)))
    if role == R.BASE_STAFF:
        return and_(source.base_id == user.base_id, source.status != Status.DRAFT)
    if role == R.TRAINEE and source is Application:
        return Application.trainee_id.in_(select(Trainee.id).where(Trainee.account_id == user.id))
    return false()


def trainee_condition(trainee_id_column, user: Account) -> ColumnElement[bool]:
    """Trainees a user may see: those with an application in scope (or everyone, province-wide)."""
    if user.role in Role.PROVINCE_WIDE:
        return true()
    if user.role == R.TRAINEE:
        return trainee_id_column.in_(select(Trainee.id).where(Trainee.account_id == user.id))
    if user.role in REVIEWERS:
        # an uncorrelated IN: the in-scope applications are found once through the region or base
        # index (a correlated EXISTS lets SQLite's planner rescan them for every trainee)
        return trainee_id_column.in_(select(Application.trainee_id).where(application_condition(user)))
    return false()


def region_condition(region_id_column, user: Account) -> ColumnElement[bool]:
    """Rows located in a user's county, or in any county of a user's city."""
    if user.role in Role.PROVINCE_WIDE:
        return true()
    if user.role == R.COUNTY_REVIEWER:
        return region_id_column == user.region_id
    if user.role == R.CITY_REVIEWER:
        return or_(region_id_column == user.region_id,
                   region_id_column.in_(select(Region.id).where(Region.parent_id == user.region_id)))
    return false()


def filing_condition(model, user: Account) -> ColumnElement[bool]:
    """The professional master's filing: a university sees its own (and itself), a base the students
    filed to it, the province everything; nobody else sees any of it."""
    if user.role in Role.PROVINCE_WIDE:
        return true()
    column = model.id if model is University else model.university_id
    if user.role == R.UNIVERSITY:
        return column == user.university_id
    if model is MasterFiling and user.role == R.BASE_STAFF:
        return MasterFiling.base_id == user.base_id
    if model is University and user.role == R.BASE_STAFF:
        return University.id.in_(select(MasterFiling.university_id).where(MasterFiling.base_id == user.base_id))
    return false()


def withdrawal_condition(user: Account) -> ColumnElement[bool]:
    """Withdrawals (退培) a user may see: the base its own, province-wide roles all. County and city
    commissions see none: residency training is the bases' and the province's business (they do not
    see residency applications either)."""
    if user.role in Role.PROVINCE_WIDE:
        return true()
    if user.role == R.BASE_STAFF:
        return Withdrawal.base_id == user.base_id
    return false()


def notice_owner_condition(user: Account) -> ColumnElement[bool]:
    """Notices a user manages (edits, deletes, sees the read receipts of): those published at their
    own level and place. Who a notice reaches is ``app.domain.notices.audience_condition``."""
    role = user.role
    if role in (R.PROVINCE_ADMIN, R.SUPERUSER):
        return Notice.level == "province"
    if role in (R.CITY_REVIEWER, R.COUNTY_REVIEWER):
        return and_(Notice.level == ("city" if role == R.CITY_REVIEWER else "county"),
                    Notice.region_id == user.region_id)
    if role == R.BASE_STAFF:
        return and_(Notice.level == "base", Notice.base_id == user.base_id)
    return false()


def withdrawal_document_condition(user: Account) -> ColumnElement[bool]:
    """A withdrawal's document is seen only by those who see the withdrawal (not the trainee, not
    another base that trains the same person later)."""
    documents = select(Withdrawal.document_id).where(Withdrawal.document_id.is_not(None))
    return or_(Attachment.id.not_in(documents),
               Attachment.id.in_(documents.where(withdrawal_condition(user))))


def scope_condition(model, user: Account) -> ColumnElement[bool]:
    """The condition that keeps rows of ``model`` inside ``user``'s scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role == R.SUPERUSER:
        return true()
    if model is Application:
        return application_condition(user)
    if model in (ApplicationCount, ApplicationPlaceCount):
        return application_condition(user, model)
    if model is Trainee:
        return trainee_condition(Trainee.id, user)
    if model is Attachment:
        return or_(and_(Attachment.notice_id.is_(None), trainee_condition(Attachment.trainee_id, user),
                        withdrawal_document_condition(user)),
                   Attachment.notice_id.in_(select(Notice.id).where(notice_owner_condition(user))))
    if model is Notice:
        return notice_owner_condition(user)
    if model in (Education, Employment, Licence):
        return trainee_condition(model.trainee_id, user)
    if model is Withdrawal:
        return withdrawal_condition(user)
    if model is BarEntry:
        return true() if user.role in Role.PROVINCE_WIDE else false()
    if model in (ApplicationChoice, ExemptionRequest, ReviewRecord):
        return model.application_id.in_(select(Application.id).where(application_condition(user)))
    if model is Institution:
        return region_condition(Institution.region_id, user)
    if model in (MasterFiling, CrossCityApproval, FilingReopening, University):
        return filing_condition(model, user)
    if model is TrainingBase:
        if user.role == R.UNIVERSITY:
            return TrainingBase.trains_residency.is_(True)  # the bases a university may file to
        if user.role == R.BASE_STAFF:
            return TrainingBase.id == user.base_id
        if user.role == R.COUNTY_REVIEWER:
            return TrainingBase.city_id.in_(select(Region.parent_id).where(Region.id == user.region_id))
        return region_condition(TrainingBase.city_id, user)
    if model is Quota:
        if user.role == R.BASE_STAFF:
            return Quota.base_id == user.base_id
        if user.role == R.CITY_REVIEWER:
            return Quota.base_id.in_(select(TrainingBase.id).where(TrainingBase.city_id == user.region_id))
        return true() if user.role in Role.PROVINCE_WIDE else false()
    if model in (Account, SmsLog, SmsCode, PasswordReset, AccessLog):
        return false()  # accounts, text messages, reset links and the access log belong to the superuser alone
    if model is AuditLog:
        return true() if user.role in Role.PROVINCE_WIDE else false()
    # reference data (regions, specialties, practice scopes, batches, skill items) is open to staff
    return true() if user.role in Role.STAFF else false()


def scope_key(user: Account) -> tuple:
    """What a user's scope conditions are made of: users with the same key see the same rows (a
    trainee sees only their own)."""
    return (user.role, user.region_id, user.base_id, user.university_id,
            user.id if user.role == R.TRAINEE else None)


MAX_KEPT_STATEMENTS = 1024  # statements ``per_scope`` keeps for one builder; past it, they are made again


def per_scope(build):
    """``build(user, *args)`` (a statement made from the user's scope conditions and hashable ``args``,
    such as the shape of a list's filters) made once per scope (``scope_key``) and ``args``, and kept:
    SQLAlchemy finds a kept statement's compiled form without walking it again. Only for statements
    whose other parts never change; values that do change are parameters."""
    made: dict[tuple, object] = {}

    def statement(user: Account, *args):
        key = (scope_key(user), *args)
        found = made.get(key)
        if found is None:
            if len(made) >= MAX_KEPT_STATEMENTS:
                made.clear()
            found = made[key] = build(user, *args)
        return found
    return statement


def scope(query, model, user: Account):
    """``query`` (legacy Query or ``select``) restricted to ``user``'s scope for ``model``."""
    condition = scope_condition(model, user)
    if hasattr(query, "filter"):
        return query.filter(condition)
    return query.where(condition)


def can_see(user: Account, obj) -> bool:
    """Whether ``obj`` lies inside ``user``'s scope (one query)."""
    model = type(obj)
    pk = model.__mapper__.primary_key[0]
    stmt = select(exists().where(pk == obj.id, scope_condition(model, user)))
    return bool(db.session.scalar(stmt))


def can(user: Account, action: str, obj=None, roles: tuple[str, ...] = ()) -> bool:
    """Whether ``user`` may do ``action`` (read / write) on ``obj``: the role, then the scope."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if roles and user.role not in roles:
        return False
    return obj is None or can_see(user, obj)


# --- what a list filter offers ----------------------------------------------------------------------

def quota_base_choice_condition(user: Account) -> ColumnElement[bool]:
    """The bases the quota list's filter offers ``user``: those whose quotas the user may see (read
    from the bases, as ``scope_condition(Quota, …)`` reads them; no application is scanned)."""
    if user.role == R.BASE_STAFF:
        return TrainingBase.id == user.base_id
    if user.role == R.CITY_REVIEWER:
        return TrainingBase.city_id == user.region_id
    return true() if user.role in Role.PROVINCE_WIDE else false()


def city_choice_condition(user: Account) -> ColumnElement[bool]:
    """The cities a filter offers ``user``: a reviewer's own city (or their county's); all for others."""
    if user.role in (R.COUNTY_REVIEWER, R.CITY_REVIEWER):
        return or_(Region.id.in_(select(Region.parent_id).where(Region.id == user.region_id)),
                   Region.id == user.region_id)
    return true()


def county_choice_condition(user: Account) -> ColumnElement[bool]:
    """The counties a filter offers ``user``: those in a reviewer's region; all for others."""
    if user.role in (R.COUNTY_REVIEWER, R.CITY_REVIEWER):
        return region_condition(Region.id, user)
    return true()
