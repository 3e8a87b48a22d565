"""Editing an exam room's capacity (考场容量): allowed, never below the candidates already seated in the
room; zero, negative, huge, garbage and NUL refused in Chinese with the typed value kept; another base's
room is not found."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from models import ExamRoom
from tests.exam_arrangements import add_room, allocate, page_url, post, season  # noqa: F401  (season: a fixture)


def text(response) -> str:
    return response.get_data(as_text=True)


def capacity(room_id: int) -> int:
    db.session.expire_all()
    return db.session.get(ExamRoom, room_id).capacity


@pytest.fixture
def seated_room(world, auth, client, season):
    """郑州's room of 5 seats with its three confirmed applicants seated (seats 1–3)."""
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    add_room(client, batch, base, capacity=5)
    assert allocate(client, batch, base).status_code == 302
    return batch, base, db.session.scalar(select(ExamRoom))


def test_the_capacity_may_go_up_or_down_to_the_seated(client, seated_room):
    batch, base, room = seated_room
    response = post(client, batch, base, "rooms/capacity/", room=room.id, capacity="8")
    assert response.status_code == 302 and capacity(room.id) == 8
    assert "第一考场的容量已保存" in text(client.get(response.headers["Location"]))
    assert post(client, batch, base, "rooms/capacity/", room=room.id, capacity="3").status_code == 302
    assert capacity(room.id) == 3  # exactly the candidates seated


def test_the_capacity_never_goes_below_the_seated(client, seated_room):
    batch, base, room = seated_room
    response = post(client, batch, base, "rooms/capacity/", room=room.id, capacity="2")
    assert response.status_code == 400
    html = text(response)
    assert "“第一考场”已安排3名考生，容量不能少于3。" in html
    assert f'id="capacity-{room.id}"' in html and 'value="2"' in html  # what was typed is kept
    assert capacity(room.id) == 5


@pytest.mark.parametrize("value, message", [
    ("0", "容量必须大于 0"), ("-3", "容量必须大于 0"), ("9" * 40, "必须是整数"), ("99999999", "最多容纳 500"),
    ("十", "必须是整数"), ("", "请填写考场容量"), ("=1+1", "必须是整数"), ("4\x005", "必须是整数"),
])
def test_bad_capacities_are_refused_in_chinese_and_nothing_changes(client, seated_room, value, message):
    batch, base, room = seated_room
    response = post(client, batch, base, "rooms/capacity/", room=room.id, capacity=value)
    assert response.status_code == 400, value
    html = text(response)
    assert message in html, value
    assert capacity(room.id) == 5


def test_another_bases_room_or_a_forged_id_is_not_found(world, auth, client, season, seated_room):
    batch, base, room = seated_room
    for forged in (2**31 - 1, 2**70, -1, "x", "\x00"):
        assert post(client, batch, base, "rooms/capacity/", room=forged, capacity="9").status_code == 404
    auth.logout()
    auth.login("base_ly")
    assert post(client, batch, world.bases["ly"], "rooms/capacity/", room=room.id, capacity="9").status_code == 404
    assert post(client, batch, base, "rooms/capacity/", room=room.id, capacity="9").status_code == 403
    assert capacity(room.id) == 5


def test_the_province_edits_any_bases_room(world, auth, client, seated_room):
    batch, base, room = seated_room
    auth.logout()
    auth.login("province")
    assert post(client, batch, base, "rooms/capacity/", room=room.id, capacity="40").status_code == 302
    assert capacity(room.id) == 40
    assert 'value="40"' in text(client.get(page_url(batch, base)))
