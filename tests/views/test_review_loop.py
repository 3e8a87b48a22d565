"""The review loop (issue 14, item 1): the queue longest-waiting first, 上一条 / 下一条 within the
reviewer's filtered list, 通过并下一条 and 退回/不通过并下一条 back to the same list, page and position."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

from sqlalchemy import select

from app.extensions import db
from models import Application, ReviewRecord, Status
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.queries import statements_for
from tests.review_queue import LIST, LOOP, QUEUE, queue_of


def details_url(application_id, list_url=QUEUE):
    return f"/admin/application/details/?id={application_id}&url={quote(list_url, safe='')}"


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def loop_post(client, application, kind, list_url=QUEUE, **data):
    token = csrf_token(client, details_url(application.id, list_url))
    return client.post(LOOP, data={"csrf_token": token, "id": str(application.id), "seen": str(application.version),
                                   "url": list_url, "kind": kind, **data})


def opened(response) -> tuple[int | None, str]:
    """(the application the redirect opens, the list it carries) — or (None, the list)."""
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    if "/details/" in location:
        return int(query["id"][0]), query["url"][0]
    return None, location


def status_of(application_id):
    return db.session.scalar(select(Application.status).where(Application.id == application_id))


def test_queue_lists_the_longest_waiting_first(world, client, auth):
    queue = queue_of(world, 4)
    auth.login("county_zy", PASSWORD)
    html = page(client, QUEUE)
    positions = [html.index(f"排队{i:02d}") for i in range(1, 5)]
    assert positions == sorted(positions)
    assert "已等 10 天" in html  # the waiting days shown on the row
    assert queue[0].trainee.name in html


def test_details_shows_neighbours_within_the_filtered_list(world, client, auth):
    queue = queue_of(world, 5)
    auth.login("county_zy", PASSWORD)
    html = page(client, details_url(queue[1].id))
    assert "第 2 / 共" in html
    prev_link = re.search(r'id="loop-prev"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="loop-prev"', html)
    next_link = re.search(r'id="loop-next" class="[^"]*" href="([^"]+)"', html)
    assert next_link and f"id={queue[2].id}&amp;" in next_link.group(1)
    assert "flt2_status_equals%3Dsubmitted" in next_link.group(1)  # the list travels on
    assert prev_link and f"id={queue[0].id}&amp;" in (prev_link.group(1) or prev_link.group(2))
    assert "J 下一条" in html and "通过并下一条" in html
    # a search narrows the list the loop walks
    searched = QUEUE + "&search=" + quote("zy卫生院3")
    html = page(client, details_url(queue[2].id, searched))
    assert "第 1 / 共 1 条" in html and 'id="loop-next"' not in html


def test_neighbours_cost_the_same_whatever_the_queue_length(world, client, auth):
    small = queue_of(world, 3, names="甲")
    auth.login("county_zy", PASSWORD)
    few, _html = statements_for(client, details_url(small[1].id))
    queue_of(world, 30, names="乙")
    many, html = statements_for(client, details_url(small[1].id))
    assert few == many and "第 2 / 共 3" not in html


def test_approve_and_next_opens_the_next_of_the_same_list(world, client, auth):
    queue = queue_of(world, 3)
    auth.login("county_zy", PASSWORD)
    response = loop_post(client, queue[0], "approve")
    assert opened(response) == (queue[1].id, QUEUE)
    assert status_of(queue[0].id) == Status.COUNTY_APPROVED
    html = page(client, response.headers["Location"])
    assert "排队01：区县审核通过，已完成。" in html
    assert "第 1 / 共" in html  # the approved one left the queue: the next is first now


def test_return_and_next_needs_a_reason_and_records_it(world, client, auth):
    queue = queue_of(world, 3)
    auth.login("county_zy", PASSWORD)
    response = loop_post(client, queue[1], "return")
    assert opened(response)[0] == queue[1].id  # back on the same application
    assert "请填写" in page(client, response.headers["Location"])
    assert status_of(queue[1].id) == Status.SUBMITTED
    response = loop_post(client, queue[1], "return", reason="外出参培证明缺少单位公章", fields_to_fix=["工作信息"])
    assert opened(response) == (queue[2].id, QUEUE)
    record = db.session.scalar(select(ReviewRecord).where(ReviewRecord.application_id == queue[1].id))
    assert record.action == "county_return" and record.reason == "外出参培证明缺少单位公章"
    assert record.fields_to_fix == ["工作信息"]
    response = loop_post(client, queue[2], "reject", reason="工作年限不符")
    next_id, back = opened(response)
    assert next_id is None and "flt2_status_equals=submitted" in back  # the last one: back to the queue
    assert status_of(queue[2].id) == Status.REJECTED


def test_a_stale_page_is_refused_and_the_typed_reason_comes_back(world, client, auth):
    queue = queue_of(world, 2)
    auth.login("county_zy", PASSWORD)
    token = csrf_token(client, details_url(queue[0].id))
    response = client.post(LOOP, data={"csrf_token": token, "id": str(queue[0].id), "seen": "999",
                                       "url": QUEUE, "kind": "return", "reason": "照片不清晰"})
    assert opened(response)[0] == queue[0].id
    html = page(client, response.headers["Location"])
    assert "其他人刚刚修改了" in html or "刷新" in html
    assert ">照片不清晰</textarea>" in html and status_of(queue[0].id) == Status.SUBMITTED


def test_the_list_page_and_position_are_kept(world, client, auth):
    queue = queue_of(world, 23)
    auth.login("county_zy", PASSWORD)
    on_page_two = QUEUE + "&page=1"
    html = page(client, details_url(queue[21].id, on_page_two))
    assert "第 22 / 共" in html
    response = loop_post(client, queue[21], "approve", list_url=on_page_two)
    next_id, back = opened(response)
    assert next_id == queue[22].id and "page=1" in back  # 23rd before, 22nd now: still on page 2
    last = db.session.get(Application, queue[22].id)
    response = loop_post(client, last, "approve", list_url=back)
    next_id, back = opened(response)
    assert next_id is None and "page=1" in back and "flt2_status_equals=submitted" in back


def test_an_application_outside_the_scope_or_a_forged_id_is_refused(world, client, auth):
    theirs = queue_of(world, 1, county="xg", names="西工")[0]
    auth.login("county_zy", PASSWORD)
    for forged in (str(theirs.id), "99999999999999999999", "abc", "1\x00"):
        token = csrf_token(client, LIST)
        response = client.post(LOOP, data={"csrf_token": token, "id": forged, "seen": "1", "url": QUEUE,
                                           "kind": "approve"}, follow_redirects=True)
        assert response.status_code == 200 and "不存在或不在您的管辖范围内" in response.get_data(as_text=True)
    assert status_of(theirs.id) == Status.SUBMITTED
    # a list URL of another site is not followed
    mine = queue_of(world, 1)[0]
    response = loop_post(client, mine, "approve", list_url="https://evil.example/admin/application/")
    assert "evil.example" not in response.headers["Location"]


def test_a_list_row_approve_asks_first_and_returns_to_the_same_list_page(world, client, auth):
    queue = queue_of(world, 2)
    auth.login("county_zy", PASSWORD)
    html = page(client, QUEUE)
    assert f'data-confirm="确认对 {queue[0].trainee.name} 执行' in html
    token = csrf_token(client, QUEUE)
    response = client.post("/admin/application/review/", data={
        "csrf_token": token, "action": "county_approve", "ids": str(queue[0].id),
        f"seen_{queue[0].id}": str(queue[0].version), "url": QUEUE + "&page=0"})
    assert response.status_code == 302 and response.headers["Location"].endswith(QUEUE + "&page=0")
    assert status_of(queue[0].id) == Status.COUNTY_APPROVED


def test_a_forged_list_in_the_url_never_fails_the_page(world, client, auth):
    queue = queue_of(world, 2)
    auth.login("county_zy", PASSWORD)
    for forged in (LIST + "?sort=99999999999999999999&desc=1&page=-5&page_size=abc",
                   LIST + "?flt1_status_equals=%00&flt2_county_equals=99999999999999999999",
                   LIST + "?sort=-1&search=" + "长" * 3000, "javascript:alert(1)", "//evil.example/admin/application/"):
        html = page(client, details_url(queue[0].id, forged))
        assert "排队01" in html and "evil.example" not in html and "alert(1)" not in html
    response = loop_post(client, queue[0], "approve", list_url=LIST + "?page=99999999999999999999")
    next_id, back = opened(response)
    assert next_id == queue[1].id and status_of(queue[0].id) == Status.COUNTY_APPROVED
