"""Technical support (技术支持): find a trainee, send a password reset link, unlock an account, reopen an
application.

Every action takes the acting support account and a reason; changes are attributed with
``app.infra.audit.set_actor`` so the audit hook writes them down with the reason. The caller commits.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.domain.passwords import issue_reset_link
from app.domain.workflow import transition
from app.extensions import db
from app.infra import throttle
from app.infra.sql import starts_with
from app.infra.audit import set_actor
from models import Account, Application, Trainee

MAX_RESULTS = 50


class SupportError(Exception):
    """A support action that cannot be done; the message is for the user."""


def is_number_term(term: str) -> bool:
    """Whether a search term is (the start of) an ID number or a mobile: 6 to 18 digits, an ID
    number's last character may be X. Such a term is never also looked up in free text."""
    term = term.strip().upper()
    return 6 <= len(term) <= 18 and term[:-1].isdigit() and (term[-1].isdigit() or term[-1] == "X")


def trainee_search_condition(term: str, trainee_id_column=None):
    """An ID number (18 characters: exact; 6 to 17: its start), a mobile (11 digits: exact; 6 to 10:
    its start) or else the start of the name. Every branch is answered by an index (on PostgreSQL
    the ``varchar_pattern_ops`` indexes of the trainee table)."""
    term = term.strip().upper()
    if not is_number_term(term):
        condition = starts_with(Trainee.name, term)
    elif len(term) == 18:
        condition = Trainee.id_number == term
    else:
        condition = starts_with(Trainee.id_number, term)
        if term.isdigit() and len(term) == 11:
            condition = or_(condition, Trainee.mobile == term)
        elif term.isdigit() and len(term) < 11:
            condition = or_(condition, starts_with(Trainee.mobile, term))
    if trainee_id_column is None:
        return condition
    return trainee_id_column.in_(select(Trainee.id).where(condition))


def find_trainees(term: str) -> list[Trainee]:
    """At most ``MAX_RESULTS`` trainees by exact ID number, exact mobile (the profile's or the
    account's) or name prefix, with their accounts loaded.

    On the phone a trainee may give only the start of the ID number: 6 to 17 digits also find ID
    numbers that begin with them."""
    term = (term or "").replace("\x00", "").strip()
    if not term:
        return []
    condition = trainee_search_condition(term)
    if len(term) == 11 and term.isdigit():
        condition = or_(condition, Trainee.account_id.in_(select(Account.id).where(Account.phone == term)))
    if 6 <= len(term) <= 17 and term[:-1].isdigit() and (term[-1].isdigit() or term[-1] in "xX"):
        condition = or_(condition, starts_with(Trainee.id_number, term.upper()))
    return list(db.session.scalars(
        select(Trainee).where(condition).options(joinedload(Trainee.account))
        .order_by(Trainee.name, Trainee.id).limit(MAX_RESULTS)))


def applications_of(trainee_ids: list[int]) -> dict[int, list[Application]]:
    """The applications of these trainees, newest first, in one query."""
    found: dict[int, list[Application]] = {i: [] for i in trainee_ids}
    if not trainee_ids:
        return found
    for application in db.session.scalars(
            select(Application).where(Application.trainee_id.in_(trainee_ids))
            .options(joinedload(Application.batch)).order_by(Application.id.desc())):
        found[application.trainee_id].append(application)
    return found


def get_trainee(trainee_id: int | None) -> Trainee | None:
    if trainee_id is None:
        return None
    return db.session.scalar(select(Trainee).where(Trainee.id == trainee_id).options(joinedload(Trainee.account)))


def sms_phone(trainee: Trainee) -> str | None:
    account = trainee.account
    return (account.phone if account is not None and account.phone else None) or trainee.mobile or None


def reset_password(trainee: Trainee, actor, reason: str, link_for: Callable[[str], str]) -> str:
    """Text the trainee a one-time link to set a new password (valid for
    ``PASSWORD_RESET_LINK_MINUTES``); the password itself is unchanged until the trainee uses it.
    Returns the phone it went to. No password is generated, sent or shown."""
    account = trainee.account
    if account is None:
        raise SupportError(_("This trainee has no login account."))
    phone = sms_phone(trainee)
    if not phone:
        raise SupportError(_("No mobile number is on record; the reset link cannot be sent."))
    set_actor(actor, reason)
    try:
        log = issue_reset_link(account, phone, link_for, created_by=actor)
    except ValueError:
        db.session.rollback()
        raise SupportError(_("The mobile number on record is not valid; the reset link cannot be sent."))
    if not log.succeeded:
        db.session.rollback()
        raise SupportError(_("The SMS could not be sent; nothing was changed. Please try again later."))
    return phone


def unlock(trainee: Trainee, actor, reason: str) -> None:
    """Clear the account's lock and failed-login count."""
    account = trainee.account
    if account is None:
        raise SupportError(_("This trainee has no login account."))
    if not account.is_locked() and not account.failed_logins:
        raise SupportError(_("This account is not locked."))
    set_actor(actor, reason)
    account.failed_logins = 0
    account.locked_until = None
    db.session.flush()
    throttle.forget_name(account.username)  # no picture asked of the name any more


def reopen(application: Application, actor, reason: str) -> None:
    """Return a wrongly submitted application to draft (``TransitionError`` if not allowed)."""
    set_actor(actor, reason)
    transition(application, "support_reopen", actor, reason)
