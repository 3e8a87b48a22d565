"""Bad input in the back office, as an attacker or a careless user sends it: numbers past a column's
range (PostgreSQL's INTEGER has 32 bits), past 64 bits and past int()'s 4,300 digits, NUL bytes,
10,000 characters and direction marks in every list filter of every registered view, in the search
box, the ajax look-ups, the on-site confirmation code and the forms. Each answers with a page and a
Chinese message (or a 404), never a 500. Run on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import re

import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import func, select

from app.extensions import db
from models import Batch, Institution, Trainee
from tests.conftest import csrf_token
from tests.factories import PASSWORD

HUGE = ["2147483648", "-2147483649", "99999999999999999999", "-99999999999999999999", "9" * 400, "1e400",
        "1" * 10000]
TEXT = ["abc\x00def", "\x00", "x" * 10000, "\u202eabc", "2024-13-45", "1,2,99999999999999999999"]
NOT_APPLIED = "未生效"
SERVER_ERROR = "系统错误"


def model_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]


@pytest.fixture
def superuser(world, auth):
    auth.login("super", PASSWORD)
    return world


def test_every_filter_of_every_view_refuses_huge_numbers_and_bad_text_with_a_chinese_message(app, superuser,
                                                                                              client):
    tried = 0
    for view in model_views(app):
        for index, flt in enumerate(view._filters or ()):
            arg = view.get_filter_arg(index, flt)
            for value in HUGE + TEXT:
                for page in ("", "export/xlsx/"):
                    response = client.get(f"/admin/{view.endpoint}/{page}", query_string={f"flt0_{arg}": value})
                    assert response.status_code == 200, (view.endpoint, arg, value[:30], page)
                    tried += 1
            html = client.get(f"/admin/{view.endpoint}/", query_string={f"flt0_{arg}": "99999999999999999999"},
                              follow_redirects=True).get_data(as_text=True)
            assert SERVER_ERROR not in html
    assert tried > 400  # every registered view with its filters was tried


def test_a_huge_county_id_is_not_applied_and_says_so(app, superuser, client):
    for value in ("99999999999999999999", "2147483648"):
        html = client.get("/admin/application/", query_string={"flt0_county_equals": value}).get_data(as_text=True)
        assert f"筛选条件“区县”未生效：“{value}”不是有效的值。" in html
    # a number in range that names no county filters to nothing, as before
    html = client.get("/admin/application/", query_string={"flt0_county_equals": "2147483647"}).get_data(as_text=True)
    assert NOT_APPLIED not in html


def test_a_long_refused_filter_value_is_shortened_in_the_message(app, superuser, client):
    html = client.get("/admin/application/", query_string={"flt0_county_equals": "9" * 10000}).get_data(as_text=True)
    assert "筛选条件“区县”未生效：“" + "9" * 30 + "…”不是有效的值。" in html


def test_search_and_paging_arguments_never_fail(app, superuser, client):
    for view in model_views(app):
        for query in ({"search": "\x00"}, {"search": "a\x00b"}, {"search": "x" * 10000}, {"search": "\u202e😀"},
                      {"page_size": "99999999999999999999"}, {"page": "99999999999999999999"},
                      {"sort": "99999999999999999999"}, {"desc": "99999999999999999999"}):
            response = client.get(f"/admin/{view.endpoint}/", query_string=query)
            assert response.status_code == 200, (view.endpoint, query)


def test_ajax_lookups_with_nul_and_huge_numbers_never_fail(app, superuser, client):
    for view in model_views(app):
        for name in (view._form_ajax_refs or {}):
            for query in ("\x00", "a\x00", "99999999999999999999", "x" * 10000):
                response = client.get(f"/admin/{view.endpoint}/ajax/lookup/",
                                      query_string={"name": name, "query": query, "offset": "99999999999999999999",
                                                    "limit": "99999999999999999999"})
                assert response.status_code in (200, 400), (view.endpoint, name, query[:20])


@pytest.mark.parametrize("code", ["99999999999999999999", "-99999999999999999999", "2147483648-ABCD-EFGH",
                                  "999999999999-AAAA-AAAA", "\x00", "a\x00b", "1" * 10000])
def test_a_huge_or_nul_confirmation_code_is_refused_in_chinese(world, auth, client, code):
    auth.login("base_zz", PASSWORD)
    response = client.get("/admin/confirm/", query_string={"code": code})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "编码无效：不是本平台签发的" in html or "请扫描报名表上的二维码" in html
    response = client.post("/admin/confirm/", data={"code": code, "csrf_token": csrf_token(client, "/admin/confirm/")})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/admin/trainee/edit/?id=2147483648", "/admin/trainee/details/?id=2147483648",
                                  "/portal/applications/2147483648", "/portal/profile/education/2147483648/edit"])
def test_ids_past_the_integer_column_are_not_found(world, auth, client, path):
    auth.login("super" if path.startswith("/admin") else "trainee_zy", PASSWORD)
    response = client.get(path, follow_redirects=True)
    assert response.status_code in (200, 404)
    assert SERVER_ERROR not in response.get_data(as_text=True)


def text_fields_of_create_form(client, endpoint) -> list[str]:
    """The names of the text inputs and text areas of the view's create form, as the page shows them."""
    html = client.get(f"/admin/{endpoint}/new/").get_data(as_text=True)
    names = []
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        name = re.search(r'\bname="([^"]+)"', tag)
        kind = re.search(r'\btype="([^"]+)"', tag)
        if name and (tag.startswith("<textarea") or (kind and kind.group(1) == "text")) and "-" not in name.group(1) \
                and "data-role=" not in tag:  # not the date pickers
            names.append(name.group(1))
    assert names, endpoint
    return names


def test_nul_and_direction_marks_in_admin_forms_are_refused_at_the_field(app, superuser, client):
    """Each text field of the trainee, institution and batch forms, one at a time."""
    before = {model: db.session.scalar(select(func.count()).select_from(model)) for model in (Trainee, Institution,
                                                                                               Batch)}
    for endpoint in ("trainee", "institution", "batch"):
        for name in text_fields_of_create_form(client, endpoint):
            for value in ("a\x00b", "\u202e测试"):
                url = f"/admin/{endpoint}/new/"
                response = client.post(url, data={name: value, "csrf_token": csrf_token(client, url)})
                assert response.status_code == 200, (endpoint, name)
                assert "含有无法保存的不可见控制字符" in response.get_data(as_text=True), (endpoint, name)
    assert before == {model: db.session.scalar(select(func.count()).select_from(model)) for model in before}


def test_a_huge_number_in_an_admin_form_is_a_field_error(app, superuser, client):
    url = "/admin/batch/new/"
    response = client.post(url, data={"name": "测试", "year": "99999999999", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 200
    assert "数值过大。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Batch)) == 1


def test_nul_in_login_and_review_reason_never_fails(world, auth, client):
    """Paths without a form of their own: the database's refusal becomes a Chinese 400 (PostgreSQL)."""
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": "super\x00", "password": "x\x00", "csrf_token": token})
    assert response.status_code in (200, 400)
    assert SERVER_ERROR not in response.get_data(as_text=True)
    auth.login("county_zy", PASSWORD)
    application = world.applications["js"]
    url = "/admin/application/review/"
    response = client.post(url, data={"action": "county_return", "rowid": str(application.id),
                                      "reason": "原因\x00", "csrf_token": csrf_token(client, "/admin/application/")})
    assert response.status_code in (200, 400, 403)
    assert SERVER_ERROR not in response.get_data(as_text=True)
