"""技术支持联系方式: the platform's technical-support contacts, seeded from the guide, edited in the
back office, and shown in the footer of every trainee page and error page.

The footer's list is kept in each process for ``SUPPORT_CONTACTS_CACHE_SECONDS`` (60 s): every page shows
it, and it changes a few times a year. A change committed through the ORM (the back office, the seed, a
command) empties the copy of the process that made it at once; the other processes show it within that time.
"""
from __future__ import annotations

import csv
import time

from flask import current_app, g, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.seed import DATA
from models import SupportContact

SEED_FILE = DATA / "support-contacts.csv"
CACHE = "support_contacts"  # app.extensions: {"rows": [(name, phone), …] or None, "at": when read (monotonic)}
CHANGED = "support_contacts_changed"  # Session.info: the transaction wrote support contacts


def seed_support_contacts() -> int:
    """Add the guide's contacts when there are none yet (never over the back office's edits);
    returns how many were added. The caller commits."""
    if db.session.scalar(select(func.count()).select_from(SupportContact)):
        return 0
    with open(SEED_FILE, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    db.session.add_all(SupportContact(name=row["name"], phone=row["phone"], position=index * 10, active=True)
                       for index, row in enumerate(rows, start=1))
    return len(rows)


def shown_contacts() -> list[tuple[str, str]]:
    """``(name, phone)`` of the active contacts in display order: the process's copy while it is fresh,
    else one query (at most one per request).

    An error page must render even when the database is down: then the footer shows nothing."""
    if "support_contacts" not in g:
        cache = current_app.extensions.setdefault(CACHE, {"rows": None, "at": 0.0})
        moment = time.monotonic()
        if (cache["rows"] is not None
                and moment - cache["at"] < current_app.config.get("SUPPORT_CONTACTS_CACHE_SECONDS", 60)):
            g.support_contacts = cache["rows"]
            return g.support_contacts
        try:
            g.support_contacts = [tuple(row) for row in db.session.execute(
                select(SupportContact.name, SupportContact.phone).where(SupportContact.active.is_(True))
                .order_by(SupportContact.position, SupportContact.id))]
        except SQLAlchemyError:
            current_app.logger.warning("support contacts not shown: the database did not answer", exc_info=True)
            try:
                db.session.rollback()
            except SQLAlchemyError:
                pass
            g.support_contacts = []
        else:
            cache.update(rows=g.support_contacts, at=moment)
    return g.support_contacts


def forget_contacts(app=None) -> None:
    """Drop the process's copy of the list (the next page reads it again)."""
    if app is None and not has_app_context():
        return
    (app or current_app).extensions.pop(CACHE, None)


def _note_flush(session, _flush_context) -> None:
    if any(isinstance(obj, SupportContact) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[CHANGED] = True


def _note_statement(state) -> None:
    """A bulk INSERT, UPDATE or DELETE of support contacts (``delete(SupportContact)``)."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) == SupportContact.__tablename__:
            state.session.info[CHANGED] = True


def _after_commit(session) -> None:
    if session.info.pop(CHANGED, False):
        forget_contacts()


def _after_rollback(session) -> None:
    session.info.pop(CHANGED, None)


def init_app(app) -> None:
    """Templates call ``support_contacts()`` (the layout's footer does)."""
    app.context_processor(lambda: {"support_contacts": shown_contacts})
    for name, listener in (("after_flush", _note_flush), ("do_orm_execute", _note_statement),
                           ("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
