"""Admission notices (录取通知), the trainee's answer (接受 / 放弃), and seats offered again.

* The base sets where and when its admitted trainees report (报到), for the whole base or per
  specialty (``set_arrangement``), then issues the notices (``issue_notices``): one per admitted
  application of its own, each with an SMS written into the outbox in the same transaction.
* The trainee accepts or declines inside the acceptance window the province sets on the batch
  (``acceptance_opens_on`` … ``acceptance_closes_on``, whole days; a seat offered later carries its
  own reply-by day). Accepting is a field of the notice: the application stays 已录取 and awaits
  报到, which requires it (``app.domain.workflow``). Declining is the transition
  ``decline_admission`` (已录取 → 未录取): the seat goes back to its (base, specialty).
* After the window an unanswered notice expires (``expire_admission``), which frees the seat too:
  the worker's periodic sweep (``expire_overdue``) does it without anyone opening a page, and the
  base may record it at once (``expire_notice``); both ask ``window_closed``.
* A free seat may be offered to the next applicant in the admission order (``next_candidates``:
  combined score and the batch's tie-break, among those not admitted who named that specialty at
  that base and were never offered a seat) with ``offer_seat`` (未录取 → 已录取), or left to 调剂补录.

The answer is written with a conditional UPDATE (``acceptance = 'pending'``): of an accept and a
decline at once, one wins and the other is told. An offer locks the quota row (PostgreSQL) and counts
the seats in the same transaction, so the last seat is never given twice. Every step writes an audit
row with who, when and why.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from huey import crontab
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, select, update

from app.domain.admission.engine import Applicant, parse_tie_break, rank_key
from app.domain.admission.training import create_record
from app.domain.workflow import TransitionError, states, transition, transition_many
from app.extensions import db
from app.i18n import cn_date, cn_datetime
from app.infra import queue
from app.infra.notify import queue_sms
from models import (
    Acceptance,
    AdmissionNotice,
    Application,
    ApplicationChoice,
    AuditLog,
    Batch,
    Quota,
    ReportArrangement,
    Role,
    Specialty,
    Status,
    Trainee,
    TrainingBase,
    TrainingRecord,
)
from models.clock import now
from models.base import MAX_INT
from models.enums import AdmissionResult, AuditAction, Program

PLACE_MAX = 200
REASON_MAX = 200
EXPIRY_SWEEP = "admission.expire_notices"
log = logging.getLogger("app.worker")


class NoticeError(Exception):
    """A refused step; ``str(error)`` is the Chinese message for the user."""


def _audit(actor, table: str, record_id: int, field: str, old, new, reason: str | None, moment) -> None:
    db.session.add(AuditLog(actor_id=actor.id, actor_name=actor.username, created_at=moment, table_name=table,
                            record_id=str(record_id), action=AuditAction.UPDATE, field_name=field,
                            old_value=None if old is None else str(old),
                            new_value=None if new is None else str(new), reason=reason))


def _base_staff_of(actor, base_id: int | None) -> None:
    if actor is None or actor.role != Role.BASE_STAFF or actor.base_id is None or actor.base_id != base_id:
        raise NoticeError(_("Only the staff of this training base may do this."))


def residency_batch(batch_id) -> Batch:
    batch = db.session.get(Batch, batch_id) if isinstance(batch_id, int) else None
    if batch is None or batch.program != Program.RESIDENCY:
        raise NoticeError(_("Please choose a resident standardized training batch."))
    return batch


# --- 报到 arrangements ---------------------------------------------------------------------------

def set_arrangement(actor, batch: Batch, base_id: int, specialty_id: int | None, report_at: datetime | None,
                    place: str | None) -> ReportArrangement:
    """Set where and when ``base_id``'s trainees of ``batch`` report (for ``specialty_id``, or the whole
    base when None); only that base's staff. The caller commits."""
    _base_staff_of(actor, base_id)
    place = " ".join((place or "").replace("\x00", "").split())
    if report_at is None:
        raise NoticeError(_("Please give the date and time of reporting."))
    if not place:
        raise NoticeError(_("Please give the place of reporting."))
    if len(place) > PLACE_MAX:
        raise NoticeError(_("The place may have at most %(n)s characters.", n=PLACE_MAX))
    if specialty_id is not None and not db.session.scalar(select(Quota.id).where(
            Quota.batch_id == batch.id, Quota.base_id == base_id, Quota.specialty_id == specialty_id)):
        raise NoticeError(_("This specialty has no places at your base in this batch."))
    key = specialty_id or 0
    row = db.session.scalar(select(ReportArrangement).where(
        ReportArrangement.batch_id == batch.id, ReportArrangement.base_id == base_id,
        ReportArrangement.specialty_key == key))
    if row is None:
        row = ReportArrangement(batch_id=batch.id, base_id=base_id, specialty_id=specialty_id, specialty_key=key)
        db.session.add(row)
    row.report_at, row.place, row.updated_by_id = report_at, place, actor.id
    return row


def arrangements(batch_id: int, base_id: int) -> dict[int, ReportArrangement]:
    """The base's arrangements by specialty id (0: the whole base)."""
    return {row.specialty_key: row for row in db.session.scalars(select(ReportArrangement).where(
        ReportArrangement.batch_id == batch_id, ReportArrangement.base_id == base_id))}


def _arrangement_of(found: dict[int, ReportArrangement], specialty_id: int | None) -> ReportArrangement | None:
    return found.get(specialty_id or 0) or found.get(0)


# --- issuing --------------------------------------------------------------------------------------

def notice_sms(notice: AdmissionNotice, batch: Batch, base_name: str, specialty_name: str) -> str:
    text = _("[Henan Health Training Enrollment Platform] You have been admitted to %(base)s, %(specialty)s "
             "(%(batch)s). Please report at %(place)s on %(time)s.", base=base_name, specialty=specialty_name,
             batch=batch.name, place=notice.report_place, time=cn_datetime(notice.report_at))
    closes = notice.reply_by or batch.acceptance_closes_on
    if closes is not None:
        text += _(" Please accept or decline on the platform by %(date)s.", date=cn_date(closes))
    return str(text)


def _new_notice(actor, application, batch, arrangement, moment, reply_by=None) -> AdmissionNotice:
    notice = AdmissionNotice(application_id=application.id, base_id=application.base_id,
                             specialty_id=application.admitted_specialty_id, report_at=arrangement.report_at,
                             report_place=arrangement.place, issued_at=moment, issued_by_id=actor.id,
                             reply_by=reply_by, acceptance=Acceptance.PENDING, current=True)
    db.session.add(notice)
    db.session.flush()
    _audit(actor, "admission_notice", notice.id, "acceptance", None, Acceptance.PENDING, None, moment)
    return notice


@dataclass
class Issued:
    issued: int
    missing: list[str]  # specialties without a 报到 arrangement (their notices wait)


def issue_notices(actor, batch: Batch) -> Issued:
    """Issue the notices of the actor's base's admitted applications of ``batch`` that have none, each
    with an SMS in the same transaction; commits. Specialties without an arrangement are skipped."""
    _base_staff_of(actor, actor.base_id if actor is not None else None)
    base_id = actor.base_id
    found = arrangements(batch.id, base_id)
    has_notice = select(AdmissionNotice.id).where(AdmissionNotice.application_id == Application.id,
                                                  AdmissionNotice.current.is_(True)).exists()
    rows = db.session.execute(
        select(Application, Trainee.mobile, Specialty.name)
        .join(Trainee, Trainee.id == Application.trainee_id)
        .join(Specialty, Specialty.id == Application.admitted_specialty_id)
        .where(Application.batch_id == batch.id, Application.base_id == base_id,
               Application.status == Status.ADMITTED, ~has_notice)
        .order_by(Application.id)).all()
    base_name = db.session.get(TrainingBase, base_id).name
    moment, issued, missing = now(), 0, []
    for application, mobile, specialty_name in rows:
        arrangement = _arrangement_of(found, application.admitted_specialty_id)
        if arrangement is None:
            missing.append(specialty_name)
            continue
        notice = _new_notice(actor, application, batch, arrangement, moment)
        if mobile:
            queue_sms(db.session(), mobile, notice_sms(notice, batch, base_name, specialty_name))
        issued += 1
    db.session.commit()
    return Issued(issued, sorted(set(missing)))


# --- the trainee's answer -------------------------------------------------------------------------

def window(notice: AdmissionNotice, batch: Batch) -> tuple[date | None, date | None]:
    """The days (inclusive) on which ``notice`` may be answered: from the batch's window opening (or the
    day it was issued, for a seat offered later) to its reply-by day or the window's close."""
    if notice.reply_by is not None:
        return notice.issued_at.date(), notice.reply_by
    return batch.acceptance_opens_on, batch.acceptance_closes_on


def window_refusal(notice: AdmissionNotice, batch: Batch, today: date) -> str | None:
    """Why the trainee may not answer ``notice`` on ``today``, in Chinese, or None.

    录取确认 (the province's acceptance window on the batch): the first and last days count."""
    opens, closes = window(notice, batch)
    if opens is None or closes is None:
        return _("The province has not yet set the period for accepting admission.")
    if today < opens:
        return _("Admission can be accepted or declined from %(date)s.", date=cn_date(opens))
    if today > closes:
        return _("The period for accepting or declining admission ended on %(date)s.", date=cn_date(closes))
    return None


def window_closed(notice: AdmissionNotice, batch: Batch, today: date) -> date | None:
    """The last day of ``notice``'s window if it has passed on ``today`` (the notice may expire), else
    None: "The trainee 接受 or 放弃 within a window set by the province" — the last day still counts."""
    _opens, closes = window(notice, batch)
    return closes if closes is not None and today > closes else None


def current_notice(application_id: int) -> AdmissionNotice | None:
    return db.session.scalar(select(AdmissionNotice).where(
        AdmissionNotice.application_id == application_id, AdmissionNotice.current.is_(True)))


def _own_notice(actor, notice_id) -> AdmissionNotice:
    """The trainee's own current notice ``notice_id``; a forged or foreign id gets the same answer."""
    notice = db.session.get(AdmissionNotice, notice_id) if isinstance(notice_id, int) else None
    owner = db.session.scalar(select(Trainee.account_id).join(Application, Application.trainee_id == Trainee.id)
                              .where(Application.id == notice.application_id)) if notice else None
    if notice is None or actor is None or actor.role != Role.TRAINEE or owner != actor.id or not notice.current:
        raise NoticeError(_("This admission notice was not found."))
    return notice


def _answer(notice: AdmissionNotice, actor, acceptance: str, reason: str | None, moment) -> None:
    """Write the answer if the notice still awaits one (conditional UPDATE), else raise."""
    changed = db.session.execute(
        update(AdmissionNotice)
        .where(AdmissionNotice.id == notice.id, AdmissionNotice.acceptance == Acceptance.PENDING,
               AdmissionNotice.current.is_(True))
        .values(acceptance=acceptance, answered_at=moment, answered_by_id=actor.id, answer_reason=reason)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        db.session.rollback()
        raise NoticeError(_("This admission has already been answered. Please reload the page."))
    _audit(actor, "admission_notice", notice.id, "acceptance", Acceptance.PENDING, acceptance, reason, moment)


def _clean_reason(reason: str | None) -> str | None:
    reason = " ".join((reason or "").replace("\x00", "").split())
    if len(reason) > REASON_MAX:
        raise NoticeError(_("The reason may have at most %(n)s characters.", n=REASON_MAX))
    return reason or None


def accept(actor, notice_id) -> AdmissionNotice:
    """The trainee accepts the admission (接受录取) inside the window; commits."""
    notice = _own_notice(actor, notice_id)
    application = notice.application
    refusal = window_refusal(notice, application.batch, now().date())
    if refusal:
        raise NoticeError(refusal)
    if application.status != Status.ADMITTED:
        raise NoticeError(_("This admission is no longer in force."))
    _answer(notice, actor, Acceptance.ACCEPTED, None, now())
    if db.session.scalar(select(TrainingRecord.id).where(TrainingRecord.application_id == application.id)) is None:
        create_record(application, notice)
    db.session.commit()
    db.session.refresh(notice)
    return notice


def _release(application: Application, actor, action: str, reason: str) -> None:
    """The seat goes back: ``action`` (已录取 → 未录取) and the admission result cleared."""
    transition(application, action, actor, reason)
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(admission_result=AdmissionResult.NOT_ADMITTED, admitted_specialty_id=None,
                               admitted_choice_rank=None)
                       .execution_options(synchronize_session=False))
    _audit(actor, "application", application.id, "admitted_specialty_id", application.admitted_specialty_id, None,
           reason, now())


def decline(actor, notice_id, reason: str | None = None) -> AdmissionNotice:
    """The trainee declines the admission (放弃录取) inside the window; the seat goes back; commits."""
    notice = _own_notice(actor, notice_id)
    reason = _clean_reason(reason) or _("Declined by the trainee")
    application = notice.application
    refusal = window_refusal(notice, application.batch, now().date())
    if refusal:
        raise NoticeError(refusal)
    return _give_back(notice, actor, Acceptance.DECLINED, "decline_admission", reason)


def expire_notice(actor, notice_id) -> AdmissionNotice:
    """The base records that its trainee did not answer in time; the seat goes back; commits."""
    notice = db.session.get(AdmissionNotice, notice_id) if isinstance(notice_id, int) else None
    if notice is None or actor is None or actor.base_id is None or notice.base_id != actor.base_id \
            or not notice.current:
        raise NoticeError(_("This admission notice was not found."))
    _base_staff_of(actor, notice.base_id)
    application = notice.application
    closed = window_closed(notice, application.batch, now().date())
    if closed is None:
        _opens, closes = window(notice, application.batch)
        raise NoticeError(_("The trainee may still answer until %(date)s.", date=cn_date(closes))
                          if closes else _("The province has not yet set the period for accepting admission."))
    return _give_back(notice, actor, Acceptance.EXPIRED, "expire_admission", expiry_reason(closed))


def expiry_reason(closes: date) -> str:
    return _("Not answered by %(date)s", date=cn_date(closes))


@dataclass(frozen=True)
class ForTheBase:
    """Who the periodic expiry acts as: the transition table's role for ``expire_admission`` within the
    notice's own base (so the same role and scope checks apply), with no account; the history and the
    audit rows name it."""

    base_id: int
    id: None = None
    role: str = Role.BASE_STAFF
    region_id: None = None
    is_authenticated: bool = True

    @property
    def username(self) -> str:
        return _("System (automatic expiry)")


def overdue_notices(today: date) -> list[tuple[int, int]]:
    """(notice id, base id) of current notices still unanswered whose window may have closed by ``today``
    (their own reply-by day, else the batch's last day): one query; ``window_closed`` decides each."""
    closes = func.coalesce(AdmissionNotice.reply_by, Batch.acceptance_closes_on)
    return [tuple(row) for row in db.session.execute(
        select(AdmissionNotice.id, AdmissionNotice.base_id)
        .join(Application, Application.id == AdmissionNotice.application_id)
        .join(Batch, Batch.id == Application.batch_id)
        .where(AdmissionNotice.acceptance == Acceptance.PENDING, AdmissionNotice.current.is_(True),
               Application.status == Status.ADMITTED, closes.is_not(None), closes < today)
        .order_by(AdmissionNotice.id))]


def expire_overdue(today: date | None = None) -> tuple[int, int]:
    """Expire every unanswered notice whose window has closed and give its seat back (each in its own
    transaction, as the base would): the worker's periodic sweep. (expired, refused) counts; a notice
    answered meanwhile is refused and left as the trainee answered it."""
    today = today or now().date()
    expired = refused = 0
    for notice_id, base_id in overdue_notices(today):
        notice = db.session.get(AdmissionNotice, notice_id)
        closed = window_closed(notice, notice.application.batch, today) if notice is not None else None
        if closed is None:
            continue
        try:
            _give_back(notice, ForTheBase(base_id), Acceptance.EXPIRED, "expire_admission", expiry_reason(closed))
        except NoticeError:
            refused += 1
        else:
            expired += 1
    return expired, refused


def _give_back(notice: AdmissionNotice, actor, answer: str, action: str, reason: str) -> AdmissionNotice:
    """Record the answer (declined, or expired) and give the seat back through ``action``; commits,
    or rolls back both with a ``NoticeError``."""
    _answer(notice, actor, answer, reason, now())
    try:
        _release(notice.application, actor, action, reason)
    except TransitionError as error:
        db.session.rollback()
        raise NoticeError(str(error)) from error
    db.session.commit()
    db.session.refresh(notice)
    return notice


@queue.periodic(EXPIRY_SWEEP, cron=crontab(minute="*/10"))
def expiry_task() -> tuple[int, int]:
    """The worker's sweep: a seat whose acceptance window passed goes back without anyone opening a page."""
    expired, refused = expire_overdue()
    if expired or refused:
        log.info("admission notices: %s expired unanswered, %s answered meanwhile", expired, refused)
    return expired, refused


# --- seats offered again --------------------------------------------------------------------------

def free_seats(batch_id: int, base_id: int, specialty_id: int) -> int:
    """Places of (base, specialty) in the batch not taken by an admitted or reported application."""
    capacity = db.session.scalar(select(Quota.capacity).where(
        Quota.batch_id == batch_id, Quota.base_id == base_id, Quota.specialty_id == specialty_id)) or 0
    taken = db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == batch_id, Application.base_id == base_id,
        Application.admitted_specialty_id == specialty_id, Application.status.in_(states.ADMITTED))) or 0
    return max(capacity - taken, 0)


def _candidates(batch: Batch, base_id: int, specialty_ids: list[int]) -> dict[int, list[Application]]:
    """Per specialty, the applicants a free seat may be offered to, next first (one query): not admitted,
    at this base, who named the specialty, never offered a seat before (a decliner is not asked again),
    in the admission order (combined score, then the batch's tie-break)."""
    if not specialty_ids:
        return {}
    offered_before = select(AdmissionNotice.id).where(AdmissionNotice.application_id == Application.id).exists()
    rows = db.session.execute(
        select(Application, ApplicationChoice.specialty_id)
        .join(ApplicationChoice, ApplicationChoice.application_id == Application.id)
        .where(Application.batch_id == batch.id, Application.base_id == base_id,
               Application.status == Status.NOT_ADMITTED, ApplicationChoice.specialty_id.in_(specialty_ids),
               ~offered_before)
        .options(db.joinedload(Application.trainee), db.selectinload(Application.choices))).unique().all()
    keys = parse_tie_break(batch.tie_break)
    found: dict[int, list[Application]] = {specialty_id: [] for specialty_id in specialty_ids}
    for application, specialty_id in rows:
        found[specialty_id].append(application)
    for applications in found.values():
        applications.sort(key=lambda a: rank_key(Applicant(
            a.id, a.base_id, (), a.combined_score, a.theory_score, a.skills_score, a.submitted_at), keys))
    return found


def next_candidates(batch: Batch, base_id: int, specialty_id: int, limit: int = 5) -> list[Application]:
    """The applicants a free seat of (base, specialty) may be offered to, next first (see ``_candidates``)."""
    return _candidates(batch, base_id, [specialty_id]).get(specialty_id, [])[:limit]


@dataclass
class SeatState:
    specialty_id: int
    name: str
    capacity: int
    free: int
    next: list[Application]


def seat_states(batch: Batch, base_id: int, limit: int = 5) -> list[SeatState]:
    """The base's specialties with places, free places and who comes next (a fixed number of queries)."""
    quotas = db.session.execute(select(Quota.specialty_id, Specialty.name, Quota.capacity)
                                .join(Specialty, Specialty.id == Quota.specialty_id)
                                .where(Quota.batch_id == batch.id, Quota.base_id == base_id)
                                .order_by(Specialty.name)).all()
    taken = dict(db.session.execute(
        select(Application.admitted_specialty_id, func.count(Application.id))
        .where(Application.batch_id == batch.id, Application.base_id == base_id,
               Application.status.in_(states.ADMITTED), Application.admitted_specialty_id.is_not(None))
        .group_by(Application.admitted_specialty_id)).all())
    free = {specialty_id: max(capacity - taken.get(specialty_id, 0), 0) for specialty_id, _name, capacity in quotas}
    waiting = _candidates(batch, base_id, [specialty_id for specialty_id, count in free.items() if count])
    return [SeatState(specialty_id, name, capacity, free[specialty_id], waiting.get(specialty_id, [])[:limit])
            for specialty_id, name, capacity in quotas]


def _lock_quota(batch_id: int, base_id: int, specialty_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Quota.id).where(Quota.batch_id == batch_id, Quota.base_id == base_id,
                                                  Quota.specialty_id == specialty_id).with_for_update())


def _check_offer(actor, batch: Batch, specialty_id, application_id, reply_by: date | None) -> Application:
    _base_staff_of(actor, actor.base_id if actor is not None else None)
    if reply_by is None or reply_by < now().date():
        raise NoticeError(_("Please give a reply-by day, today or later."))
    if not isinstance(specialty_id, int) or free_seats(batch.id, actor.base_id, specialty_id) < 1:
        raise NoticeError(_("This specialty has no free place at your base."))
    following = next_candidates(batch, actor.base_id, specialty_id, limit=1)
    if not following or following[0].id != application_id:
        raise NoticeError(_("A free place goes to the next applicant in the admission order who named this "
                            "specialty. Please reload the page."))
    return following[0]


def offer_seat(actor, batch: Batch, specialty_id, application_id, reply_by: date | None,
               reason: str | None = None) -> AdmissionNotice:
    """Offer a free seat of the actor's base to the next applicant in order (未录取 → 已录取, through the
    transition table) and issue the notice with ``reply_by``; commits. Of two offers of the last seat
    at once, one is refused."""
    reason = _clean_reason(reason) or _("A place became free")
    arrangement = _arrangement_of(arrangements(batch.id, actor.base_id), specialty_id) \
        if actor is not None and actor.base_id else None
    _lock_quota(batch.id, getattr(actor, "base_id", None), specialty_id)
    application = _check_offer(actor, batch, specialty_id, application_id, reply_by)
    if arrangement is None:
        raise NoticeError(_("Please set the time and place of reporting for this specialty first."))
    rank = next((c.rank for c in application.choices if c.specialty_id == specialty_id), None)
    try:
        transition_many({"offer_seat": [application]}, actor, reasons={application.id: reason}, values={
            application.id: {"admission_result": AdmissionResult.ADMITTED, "admitted_specialty_id": specialty_id,
                             "admitted_choice_rank": rank, "admission_note": reason}}, notify=False)
    except TransitionError as error:
        db.session.rollback()
        raise NoticeError(str(error)) from error
    db.session.refresh(application)
    notice = _new_notice(actor, application, batch, arrangement, now(), reply_by=reply_by)
    trainee = application.trainee
    if trainee.mobile:
        queue_sms(db.session(), trainee.mobile, notice_sms(notice, batch, application.base.name,
                                                           application.admitted_specialty.name))
    db.session.commit()
    return notice


# --- the QR code of the printed notice ------------------------------------------------------------

TOKEN_SALT = "hn-residency-admission-notice"
SHORT_SALT = b"hn-residency-admission-notice-short"
SHORT_RE = re.compile(r"^N(\d{1,10})([0-9A-Z]{8})$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _mac(notice_id: int, application_id: int) -> str:
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), SHORT_SALT, hashlib.sha256).digest()
    number = int.from_bytes(hmac.new(key, f"{notice_id}:{application_id}".encode(), hashlib.sha256).digest()[:5],
                            "big")
    return "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))


def notice_short_code(notice: AdmissionNotice) -> str:
    """The code printed under the notice's QR code, e.g. ``N000042-K7QF-2M9X``."""
    mac = _mac(notice.id, notice.application_id)
    return f"N{notice.id:06d}-{mac[:4]}-{mac[4:]}"


def notice_verification_url(notice: AdmissionNotice) -> str:
    """The absolute back-office URL in the QR code: the base's page that opens this notice at 报到."""
    token = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT).dumps(
        {"n": notice.id, "a": notice.application_id})
    return url_for("admission_notices.check", code=token, _external=True)


def _forged() -> NoticeError:
    return NoticeError(_("This code is not valid: it was not issued by the platform, or it was altered or "
                         "mistyped."))


def _from_short(text: str) -> tuple[int, str]:
    compact = re.sub(r"[\s\-_.]", "", text).upper().translate(str.maketrans("OIL", "011"))
    compact = "N" + compact[1:] if compact.startswith("N") else compact
    match = SHORT_RE.match(compact)
    if match is None:
        raise _forged()
    return int(match.group(1)), match.group(2)


def verify_notice(code: str | None) -> int:
    """The id of the notice ``code`` (the QR's token or the printed short code) was issued for; raises
    ``NoticeError`` in Chinese for an empty, forged or altered code. Scope is the caller's."""
    text = "".join(ch for ch in (code or "")[:2000] if ch.isprintable()).strip()
    if not text:
        raise NoticeError(_("Please scan the QR code on the admission notice, or type the code printed under it."))
    if text[:1] in "Nn" and len(text) < 40:
        number, mac = _from_short(text)
        notice = db.session.get(AdmissionNotice, number) if 0 < number <= MAX_INT else None
        if notice is None or not hmac.compare_digest(_mac(notice.id, notice.application_id), mac):
            raise _forged()
        return notice.id
    try:
        payload = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT).loads(text)
    except BadData:
        raise _forged() from None
    number = payload.get("n") if isinstance(payload, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number <= MAX_INT:
        raise _forged()
    notice = db.session.get(AdmissionNotice, number)
    if notice is None or notice.application_id != payload.get("a"):
        raise _forged()
    return notice.id
