"""Admission notices (录取通知): issuing with an SMS, the trainee's 接受 / 放弃 inside the province's
window, seats going back and offered to the next applicant in order, expiry, 报到 only after
acceptance, and scope (forged ids)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.domain.admission.notices import (
    NoticeError,
    accept,
    decline,
    expire_notice,
    free_seats,
    issue_notices,
    next_candidates,
    offer_seat,
    set_arrangement,
)
from app.domain.workflow import TransitionError, transition
from app.extensions import db
from models import Acceptance, Account, AdmissionNotice, Application, AuditLog, Batch, ReviewRecord, SmsLog, Status
from models.clock import today
from models.enums import AdmissionResult
from tests.catalogue import zh
from tests.notices import INTERNAL, PLACE, REPORT_AT, SURGERY, admitted_season, notices_of, specialty_id

def test_notices_are_issued_with_an_sms_naming_base_specialty_and_reporting(world):
    season = admitted_season(world)
    notice = season.notice("top")
    assert (notice.acceptance, notice.report_at, notice.report_place) == (Acceptance.PENDING, REPORT_AT, PLACE)
    assert notice.specialty.name == "内科" and notice.base.name == "测试基地郑州"
    texts = list(db.session.scalars(select(SmsLog.content).where(SmsLog.phone == season.people["top"].trainee.mobile)))
    sent = [t for t in texts if "测试基地郑州" in t]
    assert len(sent) == 1 and "内科" in sent[0] and PLACE in sent[0] and "2024年7月20日 08:30" in sent[0]
    assert season.notice("out") is None  # not admitted: no notice
    assert issue_notices(world.accounts["base_zz"], season.batch).issued == 0  # issuing again adds nothing


def test_a_base_without_an_arrangement_issues_nothing_and_is_told_which_specialties(world):
    season = admitted_season(world, issue=False)
    result = issue_notices(world.accounts["base_zz"], season.batch)
    assert result.issued == 0 and result.missing == ["内科", "外科"]
    set_arrangement(world.accounts["base_zz"], season.batch, world.bases["zz"].id, specialty_id(SURGERY),
                    REPORT_AT, "外科楼")
    db.session.commit()
    result = issue_notices(world.accounts["base_zz"], season.batch)
    assert result.issued == 1 and result.missing == ["内科"]
    assert season.notice("tie_loser").report_place == "外科楼"


def test_a_base_cannot_set_reporting_for_another_base(world):
    season = admitted_season(world, issue=False)
    with pytest.raises(NoticeError, match=zh("Only the staff of this training base may do this.")):
        set_arrangement(world.accounts["base_ly"], season.batch, world.bases["zz"].id, None, REPORT_AT, "别处")
    with pytest.raises(NoticeError):
        set_arrangement(world.accounts["province"], season.batch, world.bases["zz"].id, None, REPORT_AT, "别处")


@pytest.mark.parametrize("opens, closes, allowed", [
    (1, 5, False),    # the day before the window opens
    (0, 5, True),     # the day it opens
    (-5, 0, True),    # the day it closes
    (-5, -1, False),  # the day after it closed
])
def test_acceptance_window_boundaries(world, opens, closes, allowed):
    """The seed has no sentence on acceptance; the window serves its calendar: "各住培基地…5月31日前完成第一
    阶段招收工作" and "6月1日—10日，对未被录取的招收对象进行调剂补录". Issue 15: "The trainee 接受 or 放弃
    within a window set by the province" — both the first and the last day count."""
    season = admitted_season(world, opens_in_days=opens, closes_in_days=closes)
    notice = season.notice("top")
    if allowed:
        assert accept(season.account("top"), notice.id).acceptance == Acceptance.ACCEPTED
        return
    with pytest.raises(NoticeError) as refused:
        accept(season.account("top"), notice.id)
    day = today() + timedelta(days=opens if opens > 0 else closes)
    expected = ("Admission can be accepted or declined from %(date)s." if opens > 0
                else "The period for accepting or declining admission ended on %(date)s.")
    assert str(refused.value) == zh(expected, date=f"{day.year}年{day.month}月{day.day}日")
    db.session.refresh(notice)
    assert notice.acceptance == Acceptance.PENDING


def test_acceptance_after_the_window_is_refused_in_chinese_and_nothing_changes(world):
    season = admitted_season(world, opens_in_days=-10, closes_in_days=-1)
    with pytest.raises(NoticeError, match="录取确认时间已于"):
        decline(season.account("top"), season.notice("top").id)
    assert db.session.get(Application, season.people["top"].id).status == Status.ADMITTED


def test_a_trainee_cannot_answer_another_trainees_notice(world):
    season = admitted_season(world)
    for forged in (season.notice("second").id, 2**31 - 1, -1, "1"):
        with pytest.raises(NoticeError, match=zh("This admission notice was not found.")):
            accept(season.account("top"), forged)
        with pytest.raises(NoticeError):
            decline(season.account("top"), forged)
    with pytest.raises(NoticeError):
        accept(world.accounts["base_zz"], season.notice("top").id)
    assert season.notice("second").acceptance == Acceptance.PENDING


def test_a_declined_seat_goes_to_the_next_applicant_in_score_order_who_named_that_specialty(world):
    season = admitted_season(world)
    internal = specialty_id(INTERNAL)
    assert free_seats(season.batch.id, world.bases["zz"].id, internal) == 0
    decline(season.account("top"), season.notice("top").id, "已被其他单位录用")
    top = db.session.get(Application, season.people["top"].id)
    assert (top.status, top.admission_result, top.admitted_specialty_id) == (
        Status.NOT_ADMITTED, AdmissionResult.NOT_ADMITTED, None)
    assert free_seats(season.batch.id, world.bases["zz"].id, internal) == 1
    # 辛八 (80) named only 外科; 甲一 declined and is not asked again: 丁四 (70) comes before 壬九 (65)
    order = [a.trainee.name for a in next_candidates(season.batch, world.bases["zz"].id, internal)]
    assert order == ["丁四", "壬九"]
    with pytest.raises(NoticeError):  # skipping the next in order is refused
        offer_seat(world.accounts["base_zz"], season.batch, internal, season.people["low"].id,
                   today() + timedelta(days=3), "递补")
    notice = offer_seat(world.accounts["base_zz"], season.batch, internal, season.people["out"].id,
                        today() + timedelta(days=3), "甲一放弃录取，递补")
    out = db.session.get(Application, season.people["out"].id)
    assert (out.status, out.admitted_specialty_id, out.admitted_choice_rank) == (Status.ADMITTED, internal, 1)
    assert notice.reply_by == today() + timedelta(days=3) and notice.acceptance == Acceptance.PENDING
    assert free_seats(season.batch.id, world.bases["zz"].id, internal) == 0
    assert db.session.scalar(select(func.count(SmsLog.id)).where(
        SmsLog.phone == out.trainee.mobile, SmsLog.content.contains("测试基地郑州"))) == 1
    steps = [(r.action, r.reason) for r in db.session.scalars(
        select(ReviewRecord).where(ReviewRecord.application_id.in_([top.id, out.id])).order_by(ReviewRecord.id))]
    assert ("decline_admission", "已被其他单位录用") in steps and ("offer_seat", "甲一放弃录取，递补") in steps
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "admission_notice",
                                                      AuditLog.new_value == Acceptance.DECLINED)).one()
    assert (audit.actor_name, audit.reason) == ("res_top", "已被其他单位录用")
    with pytest.raises(NoticeError):  # no free place left
        offer_seat(world.accounts["base_zz"], season.batch, internal, season.people["low"].id,
                   today() + timedelta(days=3))


def test_another_base_cannot_offer_a_seat_of_this_base(world):
    season = admitted_season(world)
    decline(season.account("top"), season.notice("top").id)
    with pytest.raises(NoticeError):
        offer_seat(world.accounts["base_ly"], season.batch, specialty_id(INTERNAL), season.people["out"].id,
                   today() + timedelta(days=3))
    assert db.session.get(Application, season.people["out"].id).status == Status.NOT_ADMITTED


def test_an_unanswered_notice_expires_only_after_the_window_and_frees_the_seat(world):
    season = admitted_season(world, opens_in_days=-5, closes_in_days=0)
    with pytest.raises(NoticeError, match="学员可在"):
        expire_notice(world.accounts["base_zz"], season.notice("top").id)
    season.batch.acceptance_closes_on = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(NoticeError):
        expire_notice(world.accounts["base_ly"], season.notice("top").id)
    expired = expire_notice(world.accounts["base_zz"], season.notice("top").id)
    assert expired.acceptance == Acceptance.EXPIRED and expired.answered_by_id == world.accounts["base_zz"].id
    assert db.session.get(Application, season.people["top"].id).status == Status.NOT_ADMITTED
    assert free_seats(season.batch.id, world.bases["zz"].id, specialty_id(INTERNAL)) == 1


def test_reporting_requires_an_accepted_admission(world):
    season = admitted_season(world)
    top = season.people["top"]
    with pytest.raises(TransitionError, match="报到须在学员接受录取之后"):
        transition(top, "report", world.accounts["base_zz"])
    accept(season.account("top"), season.notice("top").id)
    db.session.refresh(top)
    transition(top, "report", world.accounts["base_zz"])
    db.session.commit()
    assert db.session.get(Application, top.id).status == Status.REPORTED
    assert len(notices_of(top.id)) == 1


def test_concurrent_accept_and_decline_of_the_last_seat_never_overbook(app, world):
    """Two sessions at once on the last 外科 seat: the trainee accepts in one, declines in the other.
    Exactly one answer wins; if the decline wins the seat is free again and goes to the next applicant,
    and the seat is never counted twice."""
    season = admitted_season(world)
    notice_id, account_id = season.notice("tie_loser").id, season.account("tie_loser").id
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def worker(step):
        with app.app_context():
            try:
                actor = db.session.get(Account, account_id)
                barrier.wait(timeout=10)
                step(actor, notice_id)
                outcomes[step.__name__] = "done"
            except NoticeError as error:
                outcomes[step.__name__] = f"refused: {error}"
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes[step.__name__] = f"error: {error!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(step,)) for step in (accept, decline)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert sorted(o.split(":")[0] for o in outcomes.values()) == ["done", "refused"], outcomes
    notice = db.session.get(AdmissionNotice, notice_id)
    application = db.session.get(Application, season.people["tie_loser"].id)
    surgery = specialty_id(SURGERY)
    if outcomes["accept"] == "done":
        assert (notice.acceptance, application.status) == (Acceptance.ACCEPTED, Status.ADMITTED)
        assert free_seats(season.batch.id, world.bases["zz"].id, surgery) == 0
    else:
        assert (notice.acceptance, application.status) == (Acceptance.DECLINED, Status.NOT_ADMITTED)
        offer_seat(world.accounts["base_zz"], season.batch, surgery, season.people["surgeon"].id,
                   today() + timedelta(days=2))
    taken = db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == season.batch.id, Application.admitted_specialty_id == surgery,
        Application.status.in_((Status.ADMITTED, Status.REPORTED))))
    assert taken == 1


def test_concurrent_offers_of_the_last_seat_give_it_once(app, world):
    """Two base sessions offer the one free 内科 seat at once: one offer wins, the other is refused."""
    season = admitted_season(world)
    decline(season.account("top"), season.notice("top").id)
    batch_id, base_account_id, out_id = season.batch.id, world.accounts["base_zz"].id, season.people["out"].id
    internal = specialty_id(INTERNAL)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        with app.app_context():
            try:
                actor, batch = db.session.get(Account, base_account_id), db.session.get(Batch, batch_id)
                barrier.wait(timeout=10)
                offer_seat(actor, batch, internal, out_id, today() + timedelta(days=2))
                outcomes.append("done")
            except (NoticeError, TransitionError):
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert sorted(outcomes) == ["done", "refused"], outcomes
    assert free_seats(batch_id, world.bases["zz"].id, internal) == 0
    assert len(notices_of(out_id)) == 1
