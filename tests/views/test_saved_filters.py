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


def test_the_lists_choices_read_in_one_statement_are_those_each_read_alone(world, client, auth):
    """The list's batches, bases and saved filters come from one statement (``list_choices``): each part
    equals what its own query reads, in the same order (the newest batch first, bases by name, the user's
    own filters first and then those shared by the role, by name)."""
    from flask_login import login_user
    from sqlalchemy import func, or_

    from app.domain.access import scope_condition
    from app.domain.review.list_choices import BASES, BATCHES, SAVED_FILTERS, list_choices
    from app.domain.review.saved_filters import filters_for
    from models import Application, Batch, TrainingBase
    auth.login("county_zy", PASSWORD)
    for name in ("乙筛选", "甲筛选"):
        save(client, name, shared=True)
    auth.logout()
    auth.login("county_xg", PASSWORD)
    save(client, "丙筛选")
    auth.logout()
    user = db.session.scalar(select(Account).where(Account.username == "county_xg"))
    with client.application.test_request_context("/admin/application/"):
        login_user(user)
        found = list_choices(user)
        assert [(r.id, r.name) for r in found[BATCHES]] == [
            tuple(r) for r in db.session.execute(select(Batch.id, Batch.name).order_by(Batch.id.desc()))]
        assigned = select(Application.base_id).where(scope_condition(Application, user), Application.base_id.is_not(None))
        bases = db.session.execute(select(TrainingBase.id, TrainingBase.name).where(
            or_(scope_condition(TrainingBase, user), TrainingBase.id.in_(assigned))).order_by(TrainingBase.name)).all()
        assert [(r.id, r.name) for r in found[BASES]] == [tuple(r) for r in bases]
        saved = [(r.id, r.name, r.query, r.shared, r.owner_id, r.owner_name) for r in found[SAVED_FILTERS]]
        assert saved == [tuple(r) for r in filters_for(user)]
        assert len(saved) == 3 and saved[0][1] == "丙筛选"  # the user's own first
        assert found[BASES] and db.session.scalar(select(func.count()).select_from(Batch)) == len(found[BATCHES])
