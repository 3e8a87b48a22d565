"""技术支持联系方式: the platform's technical-support contacts, seeded from the guide, edited in the
back office, and shown in the footer of every trainee page and error page."""
from __future__ import annotations

import csv

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.seed import DATA
from models import SupportContact

SEED_FILE = DATA / "support-contacts.csv"


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
    """``(name, phone)`` of the active contacts in display order: one query per request at most.

    An error page must render even when the database is down: then the footer shows nothing."""
    if "support_contacts" not in g:
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
    return g.support_contacts


def init_app(app) -> None:
    """Templates call ``support_contacts()`` (the layout's footer does)."""
    app.context_processor(lambda: {"support_contacts": shown_contacts})
