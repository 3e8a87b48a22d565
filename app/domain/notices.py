"""Notices (通知公告): who publishes to which scope, who a notice reaches, its safe rendering, read
receipts.

A notice reaches the trainees and staff inside its publisher's scope:

* the province's: everyone (and the login page shows the current ones);
* a city's: trainees located in the city, the city's and its counties' staff, the bases in the city;
* a county's: trainees located in the county and the county's staff;
* a base's: the base's staff and the trainees with a (submitted) application to the base.

A trainee is located by the county of their applications (the commission that reviews them) and,
before any application, by the region of their current employment: both count, so a county's notice
about the coming registration reaches the trainees working there who have not applied yet.

The body is Markdown. Raw HTML is never passed through: ``<`` is escaped before rendering, and the
HTML that Markdown makes is then sanitised by nh3 (Ammonia) to a short allowlist of tags, with only
http, https and mailto links — no script, no ``on…`` attribute, no ``javascript:`` URL.
"""
from __future__ import annotations

from datetime import datetime

import markdown
import nh3
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.exc import SQLAlchemyError

from app.domain.access import notice_owner_condition
from app.extensions import db
from app.infra import storage
from models import Account, Application, Notice, NoticeRead, Region, Role, Status, Trainee, TrainingBase
from models.clock import now
from models.enums import AttachmentKind, NoticeLevel

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "blockquote",
                "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_BODY = 20000
LOGIN_PAGE_COUNT = 5
MAX_FILES = 10


class NoticeError(ValueError):
    """A refused notice step; ``str`` is the Chinese message."""


def render_body(text: str | None) -> Markup:
    """The notice's Markdown as safe HTML (see the module's docstring)."""
    source = (text or "").replace("\x00", "").replace("<", "&lt;")
    html = markdown.markdown(source, extensions=["sane_lists", "tables"], output_format="html")
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow"))


def publisher_scope(user: Account) -> tuple[str, int | None, int | None] | None:
    """(level, region_id, base_id) a user publishes to, or None for those who do not publish."""
    role = user.role
    if role in (Role.PROVINCE_ADMIN, Role.SUPERUSER):
        return NoticeLevel.PROVINCE, None, None
    if role == Role.CITY_REVIEWER and user.region_id:
        return NoticeLevel.CITY, user.region_id, None
    if role == Role.COUNTY_REVIEWER and user.region_id:
        return NoticeLevel.COUNTY, user.region_id, None
    if role == Role.BASE_STAFF and user.base_id:
        return NoticeLevel.BASE, None, user.base_id
    return None


def scope_label(notice: Notice) -> str:
    if notice.level == NoticeLevel.BASE:
        return notice.base.name if notice.base else NoticeLevel.label(notice.level)
    if notice.level in (NoticeLevel.CITY, NoticeLevel.COUNTY):
        return _("%(region)s health commission", region=notice.region.name) if notice.region else ""
    return _("Provincial health commission")


def current_condition(at: datetime) -> ColumnElement[bool]:
    """Published and not expired at ``at``."""
    return and_(Notice.publish_at <= at, or_(Notice.expires_at.is_(None), Notice.expires_at > at))


def _trainee_places(trainee: Trainee) -> tuple[set[int], set[int]]:
    """(region ids: counties and cities where the trainee is located, base ids of their applications)."""
    rows = db.session.execute(select(Application.county_id, Application.city_id, Application.base_id, Application.status)
                              .where(Application.trainee_id == trainee.id)).all()
    regions = {r for county, city, _b, _s in rows for r in (county, city) if r}
    bases = {base for _c, _ci, base, status in rows if base and status != Status.DRAFT}
    employment = trainee.current_employment
    if employment is not None and employment.region_id:
        regions.add(employment.region_id)
        parent = db.session.scalar(select(Region.parent_id).where(Region.id == employment.region_id))
        if parent:
            regions.add(parent)
    return regions, bases


def audience_condition(user: Account) -> ColumnElement[bool]:
    """Notices that reach ``user`` (whatever their dates)."""
    province = Notice.level == NoticeLevel.PROVINCE
    if user is None or not getattr(user, "is_authenticated", False):
        return province
    role = user.role
    if role == Role.TRAINEE:
        trainee = db.session.scalar(select(Trainee).where(Trainee.account_id == user.id))
        if trainee is None:
            return province
        regions, bases = _trainee_places(trainee)
        return or_(province, and_(Notice.level.in_((NoticeLevel.CITY, NoticeLevel.COUNTY)), Notice.region_id.in_(regions)),
                   and_(Notice.level == NoticeLevel.BASE, Notice.base_id.in_(bases)))
    if role in Role.PROVINCE_WIDE:
        return true() if role == Role.SUPERUSER else province
    if role == Role.CITY_REVIEWER:
        return or_(province, and_(Notice.level == NoticeLevel.CITY, Notice.region_id == user.region_id))
    if role == Role.COUNTY_REVIEWER:
        city = select(Region.parent_id).where(Region.id == user.region_id).scalar_subquery()
        return or_(province, and_(Notice.level == NoticeLevel.COUNTY, Notice.region_id == user.region_id),
                   and_(Notice.level == NoticeLevel.CITY, Notice.region_id == city))
    if role == Role.BASE_STAFF:
        city = select(TrainingBase.city_id).where(TrainingBase.id == user.base_id).scalar_subquery()
        return or_(province, and_(Notice.level == NoticeLevel.BASE, Notice.base_id == user.base_id),
                   and_(Notice.level == NoticeLevel.CITY, Notice.region_id == city))
    return false()


def _ordered(query):
    return query.order_by(Notice.pinned.desc(), Notice.publish_at.desc(), Notice.id.desc())


def notices_for(user: Account, limit: int | None = None) -> list[Notice]:
    """The current notices that reach ``user``, pinned first, newest first."""
    query = _ordered(select(Notice).where(audience_condition(user), current_condition(now())))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def login_page_notices() -> list[Notice]:
    """The province's current notices; none when the database does not answer (the login page still shows)."""
    try:
        return list(db.session.scalars(_ordered(select(Notice).where(
            Notice.level == NoticeLevel.PROVINCE, current_condition(now()))).limit(LOGIN_PAGE_COUNT)))
    except SQLAlchemyError:
        current_app.logger.warning("notices not shown: the database did not answer", exc_info=True)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        return []


def readable(notice_id: int, user: Account) -> Notice | None:
    """The notice if it is current and reaches ``user`` (anyone for the province's), or one the user manages."""
    from_audience = and_(audience_condition(user), current_condition(now()))
    owner = notice_owner_condition(user) if getattr(user, "is_authenticated", False) else false()
    return db.session.scalar(select(Notice).where(Notice.id == notice_id, or_(from_audience, owner)))


def mark_read(notice: Notice, user: Account) -> None:
    """Record the first reading of ``notice`` by a logged-in ``user`` (flushed)."""
    if not getattr(user, "is_authenticated", False):
        return
    exists = db.session.scalar(select(NoticeRead.id).where(NoticeRead.notice_id == notice.id,
                                                          NoticeRead.account_id == user.id))
    if exists is None:
        db.session.add(NoticeRead(notice_id=notice.id, account_id=user.id))
        db.session.flush()


def read_ids(user: Account, notice_ids: list[int]) -> set[int]:
    if not notice_ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(select(NoticeRead.notice_id).where(NoticeRead.account_id == user.id,
                                                                     NoticeRead.notice_id.in_(notice_ids))))


def own_staff_condition(notice: Notice) -> ColumnElement[bool]:
    """The staff accounts of the level and place that published ``notice`` (whose reading it follows)."""
    if notice.level == NoticeLevel.PROVINCE:
        return Account.role == Role.PROVINCE_ADMIN
    if notice.level == NoticeLevel.CITY:
        return and_(Account.role == Role.CITY_REVIEWER, Account.region_id == notice.region_id)
    if notice.level == NoticeLevel.COUNTY:
        return and_(Account.role == Role.COUNTY_REVIEWER, Account.region_id == notice.region_id)
    return and_(Account.role == Role.BASE_STAFF, Account.base_id == notice.base_id)


def receipts(notice: Notice) -> list[tuple[Account, datetime | None]]:
    """For a 须阅读 notice: each of the publisher's own staff, with the time they read it (or None)."""
    if not notice.must_read:
        return []
    rows = db.session.execute(
        select(Account, NoticeRead.read_at)
        .outerjoin(NoticeRead, and_(NoticeRead.account_id == Account.id, NoticeRead.notice_id == notice.id))
        .where(own_staff_condition(notice), Account.is_active_account.is_(True)).order_by(Account.username)).all()
    return [(account, read_at) for account, read_at in rows]


def add_files(notice: Notice, files, actor: Account) -> int:
    """Attach PDFs or images (checked as every upload is) to ``notice``; all or nothing.

    Raises ``NoticeError`` with the file's name and the reason."""
    files = [f for f in files or [] if f is not None and (f.filename or "")]
    if not files:
        raise NoticeError(_("Please choose a file to upload."))
    if len(notice.files) + len(files) > MAX_FILES:
        raise NoticeError(_("A notice may have at most %(count)s attachments.", count=MAX_FILES))
    for file in files:
        try:
            storage.save(file, AttachmentKind.OTHER, None, uploaded_by=actor, notice=notice)
        except storage.UploadError as error:
            raise NoticeError(f"{storage.clean_original_name(file.filename)}：{error}") from None
    return len(files)


def check(title: str | None, body: str | None, publish_at: datetime | None, expires_at: datetime | None) -> list[str]:
    """What is wrong with a notice's fields (Chinese messages)."""
    problems = []
    if not (title or "").strip():
        problems.append(_("Enter a title."))
    if len(body or "") > MAX_BODY:
        problems.append(_("The text may be at most %(count)s characters.", count=MAX_BODY))
    if publish_at and expires_at and expires_at <= publish_at:
        problems.append(_("The expiry time must be after the publishing time."))
    return problems
