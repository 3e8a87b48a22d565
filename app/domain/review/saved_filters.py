"""Saved list filters (我的筛选): a user names the application list's current filter; shared, it is
offered to every user of the same role. A filter of another role is never applied."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from sqlalchemy import Integer, String, bindparam, func, or_, select

from app.extensions import db
from app.infra.sql import read
from models import Account, SavedFilter

MAX_NAME = 40
MAX_QUERY = 2000
LIST_KEYS = ("search", "sort", "desc", "page_size")  # with every flt… filter; the page is not kept


class SavedFilterError(Exception):
    """A refused saved filter; ``str(error)`` is the Chinese message."""


def list_query(query_string: str) -> str:
    """The part of a list's query string that a saved filter keeps: filters, search and sort."""
    pairs = [(k, v) for k, v in parse_qsl(query_string or "", keep_blank_values=False)
             if (k.startswith("flt") or k in LIST_KEYS) and "\x00" not in k + v]
    return urlencode(pairs)


def save_filter(user, name: str, query_string: str, shared: bool) -> SavedFilter:
    """Save (or replace) ``user``'s filter ``name``; the caller commits."""
    name = (name or "").replace("\x00", "").strip()
    if not name:
        raise SavedFilterError(_("Please name the filter."))
    if len(name) > MAX_NAME:
        raise SavedFilterError(_("The name of a filter has at most %(count)s characters.", count=MAX_NAME))
    query = list_query(query_string)
    if len(query) > MAX_QUERY:
        raise SavedFilterError(_("This filter is too long to be saved."))
    saved = db.session.scalar(select(SavedFilter).where(SavedFilter.owner_id == user.id, SavedFilter.name == name))
    if saved is None:
        saved = SavedFilter(owner_id=user.id, name=name)
        db.session.add(saved)
    saved.role, saved.query, saved.shared = user.role, query, bool(shared)
    db.session.flush()
    return saved


def filters_for(user) -> list:
    """``user``'s own filters, then those shared by users of the same role (one query): rows of
    ``id, name, query, shared, owner_id, owner_name`` (the name shown for another user's filter)."""
    return read(FILTERS_FOR, {"user_id": user.id, "role": user.role}).all()


_user = bindparam("user_id", type_=Integer)


def owner_name():
    """The name shown for a saved filter's owner (joined as ``Account``)."""
    return func.coalesce(func.nullif(Account.display_name, ""), Account.username).label("owner_name")


def filters_for_condition():
    """The saved filters offered to the user ``user_id`` of role ``role`` (both parameters)."""
    return or_(SavedFilter.owner_id == _user,
               (SavedFilter.shared.is_(True)) & (SavedFilter.role == bindparam("role", type_=String)))


def filters_for_order() -> tuple:
    """The user's own filters first, then by name."""
    return (SavedFilter.owner_id != _user), SavedFilter.name


FILTERS_FOR = (  # made once: SQLAlchemy finds its compiled form without walking it on every page
    select(SavedFilter.id, SavedFilter.name, SavedFilter.query, SavedFilter.shared, SavedFilter.owner_id, owner_name())
    .outerjoin(Account, Account.id == SavedFilter.owner_id)
    .where(filters_for_condition())
    .order_by(*filters_for_order()))


def usable_filter(user, filter_id: int | None) -> SavedFilter:
    """The saved filter ``filter_id`` if ``user`` may apply it: their own, or shared within their role."""
    saved = db.session.get(SavedFilter, filter_id) if filter_id else None
    if saved is None:
        raise SavedFilterError(_("This saved filter does not exist."))
    if saved.owner_id != user.id and not (saved.shared and saved.role == user.role):
        raise SavedFilterError(_("This saved filter belongs to another role; it was not applied."))
    return saved


def delete_filter(user, filter_id: int | None) -> None:
    saved = db.session.get(SavedFilter, filter_id) if filter_id else None
    if saved is None or saved.owner_id != user.id:
        raise SavedFilterError(_("Only the owner may delete a saved filter."))
    db.session.delete(saved)
