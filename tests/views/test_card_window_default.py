"""The province's default 准考证 download window on the batch (issue 15: "Trainees download it only
inside a window set by the base"): a base without its own window uses the batch's; a base's own window
wins; giving it up brings the default back. The batch form keeps the default's days in order."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from models import Batch, ExamPlan, Quota, Status
from models.clock import CST
from tests.applications import residency_application, residency_batch
from tests.catalogue import zh
from tests.conftest import Auth
from tests.exam_arrangements import CPR, add_room, allocate, page_url, post, window
from tests.factories import PASSWORD, specialty
from tests.forms import field_group
from tests.forms import post as post_form

OPENS, CLOSES = date(2025, 5, 20), date(2025, 5, 24)


@pytest.fixture
def seated(world, app, auth, client):
    """A confirmed applicant of 郑州 with a seat; the province's default window 5-20 to 5-24, no base window."""
    batch = residency_batch()
    batch.card_opens_on, batch.card_closes_on = OPENS, CLOSES
    for code in ("0100", "0200"):
        db.session.add(Quota(batch=batch, base=world.bases["zz"], specialty=specialty(code), capacity=5))
    application = residency_application(world, status=Status.CONFIRMED, photo=True, name="赵敏")
    base = world.bases["zz"]
    auth.login("base_zz")
    add_room(client, batch, base, name="第三考场", address="教学楼 2 层 205", capacity=30)
    post(client, batch, base, "skills/", specialty=application.choices[0].specialty.id, items=f"{CPR}、胸腔穿刺")
    assert allocate(client, batch, base).status_code == 302
    auth.logout()
    return application


def on(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, 0, tzinfo=CST), tick=False)


def downloads(app, application) -> bool:
    client = app.test_client()
    Auth(client).login(application.trainee.account.username)
    response = client.get(f"/portal/applications/{application.id}/admit-card.pdf")
    assert response.status_code in (200, 302)
    return response.status_code == 200


@pytest.mark.parametrize("day, allowed", [
    (date(2025, 5, 19), False),  # the day before the default window opens
    (OPENS, True),               # its first day
    (CLOSES, True),              # its last day
    (date(2025, 5, 25), False),  # the day after
])
def test_without_a_base_window_the_batch_default_applies(app, seated, day, allowed):
    """"Trainees download it only inside a window set by the base" — or, when the base set none, inside
    the province's default for the batch; first and last day included."""
    with on(day):
        assert downloads(app, seated) is allowed


@pytest.mark.parametrize("day, allowed", [
    (date(2025, 5, 21), False),  # inside the default, the day before the base's own window
    (date(2025, 5, 22), True),   # the base's first day
    (date(2025, 5, 23), True),   # the base's last day
    (CLOSES, False),             # the day after the base's window, still inside the default
])
def test_a_bases_own_window_wins_over_the_default(app, client, auth, seated, day, allowed):
    batch, base = seated.batch, seated.base
    auth.login("base_zz")
    assert window(client, batch, base, date(2025, 5, 22), date(2025, 5, 23)).status_code == 302
    with on(day):
        assert downloads(app, seated) is allowed


def test_the_base_sees_the_window_in_force_and_may_return_to_the_default(app, client, auth, seated):
    batch, base = seated.batch, seated.base
    auth.login("base_zz")
    html = client.get(page_url(batch, base)).get_data(as_text=True)
    assert "当前适用：2025年5月20日 – 2025年5月24日（省级批次默认）" in html and "use-default-window" not in html
    window(client, batch, base, date(2025, 5, 22), date(2025, 5, 23))
    html = client.get(page_url(batch, base)).get_data(as_text=True)
    assert "当前适用：2025年5月22日 – 2025年5月23日（本基地设置）" in html
    assert "省级默认：2025年5月20日 – 2025年5月24日" in html
    assert post(client, batch, base, "window/default/").status_code == 302
    assert db.session.scalar(select(ExamPlan)) is None
    with on(CLOSES):
        assert downloads(app, seated)


def test_another_base_cannot_clear_this_bases_window(app, client, auth, seated, world):
    batch, base = seated.batch, seated.base
    auth.login("base_zz")
    window(client, batch, base, date(2025, 5, 22), date(2025, 5, 23))
    auth.logout()
    auth.login("base_ly")
    assert post(client, batch, base, "window/default/").status_code == 403
    assert db.session.scalar(select(ExamPlan)) is not None


def batch_form(batch: Batch, **changes) -> dict:
    form = {"name": batch.name, "year": str(batch.year), "program": batch.program, "round": batch.round,
            "status": batch.status, "opens_at": f"{batch.opens_at:%Y-%m-%d %H:%M:%S}",
            "closes_at": f"{batch.closes_at:%Y-%m-%d %H:%M:%S}", "theory_weight": "0.5", "skills_weight": "0.5",
            "tie_break": "theory,skills,submitted_at", "skill_items-0-name": CPR, "skill_items-0-mandatory": "y",
            "skill_items-1-name": "体格检查"}
    form.update(changes)
    return form


@pytest.mark.parametrize("closes, accepted", [
    ("2025-05-19", False),  # the day before it opens
    ("2025-05-20", True),   # the day it opens: a one-day window
    ("2025-05-21", True),
])
def test_the_default_window_does_not_close_before_it_opens(world, client, auth, closes, accepted):
    batch = residency_batch()
    db.session.commit()
    auth.login("province", PASSWORD)
    url = f"/admin/batch/edit/?id={batch.id}"
    response = post_form(client, url, batch_form(batch, card_opens_on="2025-05-20", card_closes_on=closes))
    db.session.rollback()
    stored = db.session.get(Batch, batch.id)
    if accepted:
        assert response.status_code == 302
        assert (stored.card_opens_on, stored.card_closes_on) == (OPENS, date.fromisoformat(closes))
        return
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert zh("The admission ticket download window cannot close before it opens (%(date)s).",
              date="2025年5月20日") in field_group(html, "card_closes_on")
    assert 'value="2025-05-19"' in field_group(html, "card_closes_on")  # what was typed is kept
    assert stored.card_closes_on is None


def test_one_day_of_the_default_alone_is_refused(world, client, auth):
    batch = residency_batch()
    db.session.commit()
    auth.login("province", PASSWORD)
    response = post_form(client, f"/admin/batch/edit/?id={batch.id}", batch_form(batch, card_opens_on="2025-05-20"))
    assert response.status_code == 200
    assert zh("Please give both days of the default download window, or neither.") in field_group(
        response.get_data(as_text=True), "card_closes_on")
