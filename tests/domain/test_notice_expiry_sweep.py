"""The worker's periodic expiry of unanswered admission notices (issue 15: "The trainee 接受 or 放弃
within a window set by the province"): a seat whose acceptance window passed goes back without anyone
opening a page, by the same rule (``window_closed``) as the base's own button."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain.admission.notices import (
    EXPIRY_SWEEP,
    accept,
    expire_overdue,
    expiry_task,
    free_seats,
    offer_seat,
    decline,
)
from app.extensions import db
from app.infra import queue
from models import Acceptance, Application, AuditLog, ReviewRecord, Status
from models.clock import today
from tests.catalogue import zh
from tests.notices import INTERNAL, admitted_season, specialty_id


@pytest.mark.parametrize("closes_in_days, expired", [
    (1, False),   # the day before the window's last day
    (0, False),   # the last day itself: the trainee may still answer
    (-1, True),   # the day after: the sweep gives the seat back
])
def test_the_sweep_expires_a_notice_only_after_the_last_day(world, closes_in_days, expired):
    """"The trainee 接受 or 放弃 within a window set by the province": the last day counts; from the day
    after, an unanswered notice expires and its seat goes back to the base."""
    season = admitted_season(world, opens_in_days=-5, closes_in_days=closes_in_days)
    done, refused = expire_overdue()
    notice = season.notice("top")
    top = db.session.get(Application, season.people["top"].id)
    internal = specialty_id(INTERNAL)
    if not expired:
        assert (done, refused) == (0, 0)
        assert notice.acceptance == Acceptance.PENDING and top.status == Status.ADMITTED
        assert free_seats(season.batch.id, world.bases["zz"].id, internal) == 0
        return
    assert done == 4 and refused == 0  # 甲一, 乙二, 丙三 at 郑州 and 己六 at 洛阳
    assert notice.acceptance == Acceptance.EXPIRED and notice.answered_by_id is None
    assert top.status == Status.NOT_ADMITTED and top.admitted_specialty_id is None
    assert free_seats(season.batch.id, world.bases["zz"].id, internal) == 2
    record = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == top.id,
                                                           ReviewRecord.action == "expire_admission")).one()
    closes = today() - timedelta(days=1)
    assert record.actor_id is None
    assert record.reason == zh("Not answered by %(date)s", date=f"{closes.year}年{closes.month}月{closes.day}日")
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "admission_notice",
                                                      AuditLog.new_value == Acceptance.EXPIRED,
                                                      AuditLog.record_id == str(notice.id))).one()
    assert audit.actor_id is None and audit.actor_name == zh("System (automatic expiry)")
    assert expire_overdue() == (0, 0)  # a second sweep finds nothing


def test_answered_notices_are_left_as_the_trainee_answered_them(world):
    season = admitted_season(world, opens_in_days=-5, closes_in_days=0)
    accept(season.account("top"), season.notice("top").id)
    decline(season.account("second"), season.notice("second").id)
    season.batch.acceptance_closes_on = today() - timedelta(days=1)
    db.session.commit()
    expire_overdue()
    assert season.notice("top").acceptance == Acceptance.ACCEPTED
    assert season.notice("second").acceptance == Acceptance.DECLINED
    assert db.session.get(Application, season.people["top"].id).status == Status.ADMITTED
    assert season.notice("tie_loser").acceptance == Acceptance.EXPIRED


@pytest.mark.parametrize("reply_in_days, expired", [(1, False), (0, False), (-1, True)])
def test_a_seat_offered_later_expires_after_its_own_reply_by_day(world, reply_in_days, expired):
    """A free seat offered after a decline carries its own reply-by day; the batch's window is still open."""
    season = admitted_season(world, opens_in_days=-5, closes_in_days=10)
    decline(season.account("top"), season.notice("top").id)
    offer_seat(world.accounts["base_zz"], season.batch, specialty_id(INTERNAL), season.people["out"].id,
               today(), "递补")
    notice = season.notice("out")
    notice.reply_by = today() + timedelta(days=reply_in_days)
    db.session.commit()
    assert expire_overdue() == ((1, 0) if expired else (0, 0))
    assert season.notice("out").acceptance == (Acceptance.EXPIRED if expired else Acceptance.PENDING)
    assert season.notice("second").acceptance == Acceptance.PENDING  # the batch's window is open


def test_the_sweep_is_a_periodic_task_of_the_worker(app, world):
    """Declared with the worker's periodic tasks and bound to the app's queue; running it expires."""
    assert EXPIRY_SWEEP in queue.DECLARED and queue.DECLARED[EXPIRY_SWEEP].validate is not None
    assert EXPIRY_SWEEP in app.extensions["huey_tasks"]
    season = admitted_season(world, opens_in_days=-5, closes_in_days=-1)
    assert expiry_task() == (4, 0)
    assert season.notice("ly").acceptance == Acceptance.EXPIRED
