"""Accounts, roles and the businesses a trainee opened at registration."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, event, false, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import db
from models.clock import now
from models.enums import Business, Choices
from models.institution import TrainingBase
from models.region import Region
from models.university import University


class Role(Choices):
    """The roles of DESIGN.md "Who uses it"."""

    TRAINEE = "trainee"
    COUNTY_REVIEWER = "county_reviewer"
    CITY_REVIEWER = "city_reviewer"
    BASE_STAFF = "base_staff"
    PROVINCE_ADMIN = "province_admin"
    SUPPORT = "support"
    SUPERUSER = "superuser"
    UNIVERSITY = "university_admin"
    items = (
        (TRAINEE, _l("Trainee")),
        (COUNTY_REVIEWER, _l("County reviewer")),
        (CITY_REVIEWER, _l("City reviewer")),
        (BASE_STAFF, _l("Training base staff")),
        (PROVINCE_ADMIN, _l("Province administrator")),
        (SUPPORT, _l("Technical support")),
        (SUPERUSER, _l("System administrator")),
        (UNIVERSITY, _l("University administrator")),
    )

    # the back office's enrolment staff; a university administrator sees only the master's filing
    ENROLLMENT_STAFF = (COUNTY_REVIEWER, CITY_REVIEWER, BASE_STAFF, PROVINCE_ADMIN, SUPPORT, SUPERUSER)
    STAFF = (*ENROLLMENT_STAFF, UNIVERSITY)
    PROVINCE_WIDE = (PROVINCE_ADMIN, SUPPORT, SUPERUSER)


class Account(UserMixin, db.Model):
    """A login. Staff accounts carry the region or base their role is scoped to."""

    __tablename__ = "account"
    __table_args__ = (
        Role.check("role"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
        CheckConstraint(
            "(role = 'county_reviewer' OR role = 'city_reviewer') = (region_id IS NOT NULL)",
            name="region_scope_matches_role"),
        CheckConstraint("(role = 'base_staff') = (base_id IS NOT NULL)", name="base_scope_matches_role"),
        CheckConstraint("(role = 'university_admin') = (university_id IS NOT NULL)",
                        name="university_scope_matches_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    phone_verified_at: Mapped[datetime | None]
    role: Mapped[str] = mapped_column(String(20), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    base_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_base.id", ondelete="RESTRICT"), index=True)
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="RESTRICT"), index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # set when an administrator chose the password: the holder must replace it before anything else
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login_at: Mapped[datetime | None]
    # bumped to end every session of the account at once (app/domain/sessions.py)
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=now)

    region: Mapped[Region | None] = relationship()
    base: Mapped[TrainingBase | None] = relationship()
    university: Mapped[University | None] = relationship()
    business_rows: Mapped[list[AccountBusiness]] = relationship(cascade="all, delete-orphan")

    MAX_FAILED_LOGINS = 5

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    @property
    def businesses(self) -> list[str]:
        return [row.business for row in self.business_rows]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def is_locked(self, at: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (at or now())

    @property
    def is_staff(self) -> bool:
        return self.role in Role.STAFF

    @property
    def role_label(self) -> str:
        return Role.label(self.role)

    def __str__(self) -> str:
        return f"{self.display_name or self.username}（{self.username}）"


# a change of any of these ends every session of the account (app/domain/sessions.py)
SESSION_ENDING_FIELDS = ("password_hash", "role", "region_id", "base_id", "university_id", "is_active_account", "locked_until")


@event.listens_for(Account, "before_update")
def _end_sessions_on_credential_change(_mapper, _connection, account: Account) -> None:
    """A new password, role, scope, enabled flag or lock bumps the session epoch in the same UPDATE,
    so even a change that is later undone (locked, then unlocked) leaves old sessions ended."""
    state = inspect(account)
    if state.attrs.session_epoch.history.has_changes():
        return
    if any(state.attrs[name].history.has_changes() for name in SESSION_ENDING_FIELDS):
        account.session_epoch = Account.session_epoch + 1


class AccountBusiness(db.Model):
    """One business (业务) an account opened at registration."""

    __tablename__ = "account_business"
    __table_args__ = (Business.check("business"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    business: Mapped[str] = mapped_column(String(20), primary_key=True)
