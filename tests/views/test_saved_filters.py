"""我的筛选 (issue 14, item 4): a reviewer saves the list's filter under a name, shares it with the
users of the same role; a saved filter of another role is refused."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from models import Account, SavedFilter
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from models import Role
from tests.review_queue import LIST, QUEUE

SAVE = "/admin/application/filters/save/"


def save(client, name, list_url=QUEUE + "&page=2&search=%E5%8D%AB%E7%94%9F%E9%99%A2", shared=False):
    data = {"csrf_token": csrf_token(client, LIST), "name": name, "url": list_url}
    if shared:
        data["shared"] = "1"
    return client.post(SAVE, data=data, follow_redirects=True)


def test_a_saved_filter_is_applied_and_shared_within_the_role(world, client, auth):
    auth.login("county_zy", PASSWORD)
    html = save(client, "待审卫生院", shared=True).get_data(as_text=True)
    assert "已保存筛选：待审卫生院。" in html and "我的筛选" in html
    saved = db.session.scalar(select(SavedFilter))
    assert "flt2_status_equals=submitted" in saved.query and "page" not in saved.query and saved.role == Role.COUNTY_REVIEWER
    save(client, "只给我", shared=False)
    auth.logout()
    auth.login("county_xg", PASSWORD)  # the same role (in its own county)
    html = client.get(LIST).get_data(as_text=True)
    assert "待审卫生院" in html and "只给我" not in html
    owner = db.session.scalar(select(Account).where(Account.username == "county_zy"))
    assert f"（{owner.display_name or owner.username}）" in html  # whose shared filter it is
    response = client.get(f"/admin/application/filters/{saved.id}/")
    assert response.status_code == 302 and "flt2_status_equals=submitted" in response.headers["Location"]


def test_a_saved_filter_of_another_role_is_refused(world, client, auth):
    auth.login("city_zz", PASSWORD)
    save(client, "市级队列", shared=True)
    saved = db.session.scalar(select(SavedFilter))
    auth.logout()
    auth.login("county_zy", PASSWORD)
    html = client.get(LIST).get_data(as_text=True)
    assert "市级队列" not in html
    html = client.get(f"/admin/application/filters/{saved.id}/", follow_redirects=True).get_data(as_text=True)
    assert "该筛选属于其他角色，未应用。" in html
    for forged in ("99999999999999999999", "2147483648", "abc"):
        response = client.get(f"/admin/application/filters/{forged}/", follow_redirects=True)
        assert response.status_code == 200 and "该筛选不存在。" in response.get_data(as_text=True)
    # nor may it be deleted by another user
    response = client.post("/admin/application/filters/delete/", data={
        "csrf_token": csrf_token(client, LIST), "filter_id": str(saved.id), "url": LIST}, follow_redirects=True)
    assert "只有保存者可以删除该筛选。" in response.get_data(as_text=True)
    assert db.session.scalar(select(SavedFilter.id)) == saved.id


def test_bad_names_are_refused_in_chinese(world, client, auth):
    auth.login("county_zy", PASSWORD)
    assert "请为筛选起一个名称。" in save(client, "  \x00 ").get_data(as_text=True)
    assert "最多 40 个字" in save(client, "名" * 41).get_data(as_text=True)
    assert db.session.scalar(select(SavedFilter)) is None
    save(client, "我的")
    save(client, "我的", list_url=LIST + "?flt1_status_equals=returned")  # the same name replaces it
    saved = db.session.scalars(select(SavedFilter)).all()
    assert len(saved) == 1 and "returned" in saved[0].query
    response = client.post("/admin/application/filters/delete/", data={
        "csrf_token": csrf_token(client, LIST), "filter_id": str(saved[0].id), "url": LIST}, follow_redirects=True)
    assert "已删除该筛选。" in response.get_data(as_text=True) and db.session.scalar(select(SavedFilter)) is None
