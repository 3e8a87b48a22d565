"""The review loop's neighbours and the claim decisions' text, at the domain level."""
from __future__ import annotations

from sqlalchemy import select

from app.domain.review.claims import ClaimError, decide_claim, decisions_text
from app.domain.review.navigation import NOT_LISTED, QUEUE_ORDER, neighbours
from app.extensions import db
from models import Account, Application, Status
from tests.review_queue import claims_of, queue_of


def ids_query(world):
    return db.session.query(Application).filter(Application.county_id == world.regions["zy"].id,
                                                Application.status == Status.SUBMITTED)


def test_neighbours_follow_the_order_with_ties_broken_by_id(world, app):
    queue = queue_of(world, 4)
    queue[2].status_changed_at = queue[1].status_changed_at  # a tie: the lower id first
    db.session.commit()
    found = neighbours(ids_query(world), QUEUE_ORDER, queue[1].id)
    assert (found.previous, found.next, found.position) == (queue[0].id, queue[2].id, 2)
    assert found.total == len(ids_query(world).all())
    newest_first = (Application.status_changed_at.desc(),)
    found = neighbours(ids_query(world), newest_first, queue[2].id)
    # newest first: 4th, then the tie (2nd, 3rd by id), then the 1st
    assert (found.previous, found.next) == (queue[1].id, queue[0].id)
    assert neighbours(ids_query(world), QUEUE_ORDER, 2**31 - 1) is NOT_LISTED
    assert NOT_LISTED.page(20) == 0 and found.page(2) == (found.position - 1) // 2


def test_decisions_text_reads_the_standing_decision_of_each_claim(world, app):
    """Seed (gp-transfer-enrollment-guide-2025), types 7 and 8: "以上情况可免培训，直接考核，考核合格后注册。"
    and "免培训、免考核，直接注册。" — an accepted type 7 reads 直接考核, type 8 直接注册."""
    application = queue_of(world, 1, claims={0: (4, 7, 8)})[0]
    four, seven, eight = claims_of(application.id)
    county = db.session.get(Account, world.accounts["county_zy"].id)
    decide_claim(application, four.id, False, "职称不符", county)
    decide_claim(application, seven.id, True, "", county)
    db.session.commit()
    text = decisions_text([application.id])[application.id]
    assert text.startswith("（4）") and "不同意（职称不符）" in text
    assert "（7）" in text and "免培训，直接考核" in text and "（8）" in text and "尚未决定" in text
    other = queue_of(world, 1, claims={0: (1,)}, names="别人")[0]
    try:
        decide_claim(application, claims_of(other.id)[0].id, True, "", county)
    except ClaimError as error:
        assert "不属于这条报名" in str(error)
    else:
        raise AssertionError("a claim of another application was decided")
    assert decisions_text([]) == {} and decisions_text([other.id]) == {other.id: "（1）基层全科工作满2年且具有中级及以上职称：尚未决定"}
    assert db.session.scalar(select(Application.status).where(Application.id == application.id)) == Status.SUBMITTED
