"""Personal information is masked in lists, searches, exports and the dashboard; a full value appears
only after an audited reveal or an export with a stated reason; reads are written to the access log."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.infra.access_log import RetentionError, record_access
from models import AccessLog, AuditLog
from models.clock import now
from tests.factories import PASSWORD

ADDRESS = "10.20.30.40"
REVEAL_RE = re.compile(r'class="[^"]*pii-reveal[^"]*" data-url="([^"]+)" data-id="(\d+)" data-field="(\w+)" '
                       r'data-csrf="([^"]+)"')


def id_mask(value: str) -> str:
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def phone_mask(value: str) -> str:
    return value[:3] + "****" + value[-4:]


def access_rows(**where) -> list[AccessLog]:
    db.session.expire_all()
    query = select(AccessLog).order_by(AccessLog.id)
    for key, value in where.items():
        query = query.where(getattr(AccessLog, key) == value)
    return list(db.session.scalars(query))


def page(client, url: str) -> str:
    response = client.get(url, environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    return [tuple("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)]


def flat(rows) -> str:
    return "\n".join("|".join(row) for row in rows)


# --- masked by default: lists, search, exports, the dashboard --------------------------------------------

def test_trainee_list_masks_id_number_and_mobile(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("province", PASSWORD)
    html = page(client, "/admin/trainee/")
    assert id_mask(trainee.id_number) in html and trainee.id_number not in html
    assert phone_mask(trainee.mobile) in html and trainee.mobile not in html


def test_application_list_masks_the_id_number(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("county_zy", PASSWORD)
    html = page(client, "/admin/application/")
    assert id_mask(trainee.id_number) in html and trainee.id_number not in html


def test_a_list_search_by_id_number_shows_it_masked_and_is_logged(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("province", PASSWORD)
    html = page(client, f"/admin/trainee/?search={trainee.id_number}")
    assert id_mask(trainee.id_number) in html
    # the full number appears only where the user typed it: the search box and the list's own links
    typed = html.replace(f'value="{trainee.id_number}"', "").replace(f"search={trainee.id_number}", "").replace(
        f"search%3D{trainee.id_number}", "")
    assert trainee.id_number not in typed
    [row] = access_rows(action="search")
    assert (row.actor_name, row.record_type, row.query, row.row_count, row.address) == (
        "province", "trainee", trainee.id_number, 1, ADDRESS)


@pytest.mark.parametrize("endpoint, columns", [("trainee", ("id_number", "mobile")), ("application", ("id_number",))])
def test_the_default_export_is_masked_and_logged_with_its_row_count(world, client, auth, endpoint, columns):
    auth.login("province", PASSWORD)
    rows = sheet_rows(client.get(f"/admin/{endpoint}/export/xlsx/", environ_base={"REMOTE_ADDR": ADDRESS}))
    text = flat(rows)
    for trainee in world.trainees.values():
        assert id_mask(trainee.id_number) in text and trainee.id_number not in text
        if "mobile" in columns:
            assert phone_mask(trainee.mobile) in text and trainee.mobile not in text
    [row] = access_rows(action="export")
    assert (row.actor_name, row.record_type, row.row_count, row.address) == ("province", endpoint, 3, ADDRESS)


def test_support_search_masks_id_number_and_mobile_and_is_logged(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("support", PASSWORD)
    html = page(client, f"/admin/support/?q={trainee.mobile}")
    assert trainee.name in html
    assert id_mask(trainee.id_number) in html and trainee.id_number not in html
    results = html.split('class="table table-sm table-bordered table-hover text-nowrap support-results"')[1]
    results = results.replace(f"q={trainee.mobile}", "")  # the links keep the search the user typed
    assert phone_mask(trainee.mobile) in results and trainee.mobile not in results
    [row] = access_rows(action="search")
    assert (row.actor_name, row.record_type, row.query, row.row_count, row.address) == (
        "support", "trainee", trainee.mobile, 1, ADDRESS)


def test_support_handling_a_trainee_masks_the_header_and_offers_a_reveal(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("support", PASSWORD)
    html = page(client, f"/admin/support/?q={trainee.name}&trainee={trainee.id}")
    assert trainee.id_number not in html and trainee.mobile not in html
    fields = {m.group(3) for m in REVEAL_RE.finditer(html)}
    assert fields == {"id_number", "mobile"}
    [row] = access_rows(action="view")
    assert (row.record_type, row.record_id, row.query, row.row_count) == ("trainee", str(trainee.id), trainee.name, 1)


def test_the_dashboard_shows_no_full_id_number_or_mobile(world, client, auth):
    auth.login("province", PASSWORD)
    html = page(client, "/admin/")
    for trainee in world.trainees.values():
        assert trainee.id_number not in html and trainee.mobile not in html


def test_review_pages_mask_the_id_number_and_are_logged(world, client, auth):
    application = world.applications["js"]
    auth.login("county_zy", PASSWORD)
    html = page(client, f"/admin/application/review/?action=county_approve&ids={application.id}")
    trainee = world.trainees["js"]
    # the county reviewer of 中原区 does not see 金水区: the page refuses the row, and shows nothing of it
    assert trainee.id_number not in html
    auth.logout()
    auth.login("city_zz", PASSWORD)
    html = page(client, f"/admin/application/review/?action=city_approve&ids={application.id}")
    assert id_mask(trainee.id_number) in html and trainee.id_number not in html
    assert any(r.action == "review" and r.record_id == str(application.id) and r.actor_name == "city_zz"
               for r in access_rows())


# --- detail pages: masked, one audited click reveals ---------------------------------------------------

def reveal_buttons(html: str) -> dict[str, tuple[str, str, str]]:
    return {m.group(3): (m.group(1), m.group(2), m.group(4)) for m in REVEAL_RE.finditer(html)}


def test_trainee_details_are_masked_until_an_audited_reveal(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("county_zy", PASSWORD)
    html = page(client, f"/admin/trainee/details/?id={trainee.id}")
    assert trainee.id_number not in html and trainee.mobile not in html
    assert id_mask(trainee.id_number) in html and "显示完整" in html
    assert "admin/reveal.js" in html and "fetch(" not in html  # the script is a static file
    [view] = access_rows(action="view")
    assert (view.actor_name, view.record_type, view.record_id, view.address) == (
        "county_zy", "trainee", str(trainee.id), ADDRESS)
    buttons = reveal_buttons(html)
    assert set(buttons) >= {"id_number", "mobile"}
    url, record_id, token = buttons["id_number"]
    assert access_rows(action="reveal") == []
    response = client.post(url, data={"id": record_id, "field": "id_number", "csrf_token": token},
                           environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code == 200 and response.get_json() == {"value": trainee.id_number}
    assert "no-store" in response.headers["Cache-Control"]
    [reveal] = access_rows(action="reveal")
    assert (reveal.actor_name, reveal.actor_role, reveal.record_type, reveal.record_id, reveal.field_name,
            reveal.address) == ("county_zy", "county_reviewer", "trainee", str(trainee.id), "id_number", ADDRESS)
    assert reveal.at is not None


def test_application_details_mask_the_id_number_and_reveal_it(world, client, auth):
    application, trainee = world.applications["zy"], world.trainees["zy"]
    auth.login("city_zz", PASSWORD)
    html = page(client, f"/admin/application/details/?id={application.id}")
    assert trainee.id_number not in html and id_mask(trainee.id_number) in html
    url, record_id, token = reveal_buttons(html)["id_number"]
    response = client.post(url, data={"id": record_id, "field": "id_number", "csrf_token": token})
    assert response.get_json() == {"value": trainee.id_number}
    [row] = access_rows(action="reveal")
    assert (row.actor_name, row.record_type, row.record_id) == ("city_zz", "application", str(application.id))


def test_a_reveal_needs_the_csrf_token(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("province", PASSWORD)
    response = client.post("/admin/trainee/reveal/", data={"id": trainee.id, "field": "id_number"})
    assert response.status_code == 400 and trainee.id_number not in response.get_data(as_text=True)
    assert access_rows(action="reveal") == []


@pytest.mark.parametrize("forged", ["xg", "99999999999999999999", "abc", "\x00"])
def test_a_reviewer_cannot_reveal_outside_their_region_and_nothing_is_logged(world, client, auth, forged):
    auth.login("county_zy", PASSWORD)
    own = world.trainees["zy"]
    url, _id, token = reveal_buttons(page(client, f"/admin/trainee/details/?id={own.id}"))["id_number"]
    target = str(world.trainees["xg"].id) if forged == "xg" else forged
    response = client.post(url, data={"id": target, "field": "id_number", "csrf_token": token})
    assert response.status_code == 404
    assert world.trainees["xg"].id_number not in response.get_data(as_text=True)
    assert access_rows(action="reveal") == []


def test_only_personal_fields_can_be_revealed(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("province", PASSWORD)
    url, record_id, token = reveal_buttons(page(client, f"/admin/trainee/details/?id={trainee.id}"))["id_number"]
    for field in ("password_hash", "name", "", "x" * 10_000):
        assert client.post(url, data={"id": record_id, "field": field, "csrf_token": token}).status_code == 404
    assert access_rows(action="reveal") == []


def test_a_trainee_cannot_reveal(world, client, auth):
    auth.login("trainee_zy", PASSWORD)
    response = client.post("/admin/trainee/reveal/", data={"id": world.trainees["zy"].id, "field": "id_number",
                                                           "csrf_token": "x"})
    assert response.status_code in (400, 403)
    assert access_rows(action="reveal") == []


# --- full-value export: a stated reason, audited with the row count -------------------------------------

def export_form_token(client, url: str) -> str:
    html = page(client, url)
    assert "导出完整数据" in html
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_full_export_is_refused_without_a_reason(world, client, auth):
    auth.login("province", PASSWORD)
    assert "/admin/trainee/export-full/" in page(client, "/admin/trainee/")
    url = "/admin/trainee/export-full/"
    token = export_form_token(client, url)
    for reason in ("", "   ", "看看", "\x00\x00\x00\x00\x00"):
        response = client.post(url, data={"reason": reason, "csrf_token": token})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "请说明需要完整信息的理由" in html
        for trainee in world.trainees.values():
            assert trainee.id_number not in html
    assert access_rows(action="export_full") == []


def test_a_full_export_with_a_reason_holds_full_values_and_is_logged(world, client, auth):
    auth.login("province", PASSWORD)
    url = "/admin/trainee/export-full/?search=学员"
    token = export_form_token(client, url)
    reason = "核对现场确认名单"
    response = client.post(url, data={"reason": reason, "csrf_token": token}, environ_base={"REMOTE_ADDR": ADDRESS})
    text = flat(sheet_rows(response))
    for trainee in world.trainees.values():
        assert trainee.id_number in text and trainee.mobile in text
    [row] = access_rows(action="export_full")
    assert (row.actor_name, row.record_type, row.row_count, row.reason, row.address) == (
        "province", "trainee", 3, reason, ADDRESS)
    assert "search=" in row.query


def test_a_full_export_keeps_the_scope(world, client, auth):
    auth.login("county_zy", PASSWORD)
    url = "/admin/application/export-full/"
    token = export_form_token(client, url)
    text = flat(sheet_rows(client.post(url, data={"reason": "区县审核名单核对", "csrf_token": token})))
    assert world.trainees["zy"].id_number in text
    assert world.trainees["xg"].id_number not in text and world.trainees["js"].id_number not in text
    [row] = access_rows(action="export_full")
    assert row.row_count == 1


def test_support_may_reveal_but_not_export_full_values(world, client, auth):
    auth.login("support", PASSWORD)
    assert "export-full" not in page(client, "/admin/trainee/")
    assert client.get("/admin/trainee/export-full/").status_code == 403


def test_a_long_reason_is_refused_and_kept_in_the_form(world, client, auth):
    auth.login("province", PASSWORD)
    url = "/admin/trainee/export-full/"
    token = export_form_token(client, url)
    response = client.post(url, data={"reason": "理" * 10_000, "csrf_token": token})
    assert response.status_code == 400 and "理由过长" in response.get_data(as_text=True)
    assert access_rows(action="export_full") == []


# --- other reads: files, the registration form, detail pages ---------------------------------------------

def test_file_downloads_are_logged_and_forged_ids_are_not(world, client, auth):
    attachment = world.attachments["zy"]
    auth.login("county_zy", PASSWORD)
    client.get(f"/files/{attachment.id}", environ_base={"REMOTE_ADDR": ADDRESS})
    client.get(f"/files/{attachment.id}?thumb=1")
    assert client.get(f"/files/{world.attachments['xg'].id}").status_code == 404
    rows = access_rows(record_type="attachment")
    assert [(r.action, r.record_id) for r in rows] == [("download", str(attachment.id)),
                                                       ("thumbnail", str(attachment.id))]
    assert rows[0].address == ADDRESS and rows[0].actor_name == "county_zy"


# --- the superuser's access-log view --------------------------------------------------------------------

def test_the_access_log_is_the_superusers_alone(world, client, auth):
    record_access("reveal", "trainee", world.trainees["zy"].id, field="id_number", actor=world.accounts["county_zy"])
    for username in ("province", "support", "county_zy", "base_zz"):
        auth.login(username, PASSWORD)
        assert client.get("/admin/access_log/").status_code == 403
        assert client.get("/admin/access_log/export/xlsx/").status_code == 403
        auth.logout()
    assert client.get("/admin/access_log/").status_code == 302  # anonymous: to the login page
    auth.login("super", PASSWORD)
    html = page(client, "/admin/access_log/")
    for label in ("时间", "操作人", "访问类型", "记录类型", "记录编号", "访问地址", "显示完整信息", "学员"):
        assert label in html, label
    assert "county_zy" in html and "区县卫健委审核员" in html


def test_the_access_log_filters_by_actor_action_date_and_record(world, client, auth):
    trainee = world.trainees["zy"]
    record_access("reveal", "trainee", trainee.id, field="id_number", actor=world.accounts["county_zy"])
    record_access("export", "application", rows=3, actor=world.accounts["province"])
    auth.login("super", PASSWORD)
    today = now().date().isoformat()
    html = page(client, "/admin/access_log/?flt0_operator_equals=province")
    assert "province" in html and "county_zy" not in html
    html = page(client, "/admin/access_log/?flt0_access_equals=reveal")
    assert "county_zy" in html and "导出（已脱敏）" not in html
    html = page(client, f"/admin/access_log/?flt0_time_between={today}+to+{today}")
    assert "county_zy" in html and "province" in html
    yesterday = (now().date() - timedelta(days=1)).isoformat()
    html = page(client, f"/admin/access_log/?flt0_time_between={yesterday}+to+{yesterday}")
    assert "county_zy" not in html
    html = page(client, f"/admin/access_log/?flt0_record_no_equals={trainee.id}&flt1_record_kind_equals=trainee")
    assert "county_zy" in html and "导出（已脱敏）" not in html
    # a detail page of the log writes nothing more
    before = db.session.scalar(select(func.count(AccessLog.id)))
    page(client, "/admin/access_log/")
    assert db.session.scalar(select(func.count(AccessLog.id))) == before


# --- retention --------------------------------------------------------------------------------------------

def test_purge_deletes_rows_older_than_the_retention(world, app, runner):
    actor = world.accounts["province"]
    record_access("search", "trainee", query="old", actor=actor)
    record_access("search", "trainee", query="recent", actor=actor)
    old, recent = access_rows()
    old.at = now() - timedelta(days=400)
    recent.at = now() - timedelta(days=200)
    db.session.commit()
    result = runner.invoke(args=["purge-access-log"])
    assert result.exit_code == 0, result.output
    assert "deleted 1" in result.output
    assert [r.query for r in access_rows()] == ["recent"]
    result = runner.invoke(args=["purge-access-log", "--days", "30"])
    assert result.exit_code != 0 and "180" in result.output
    assert [r.query for r in access_rows()] == ["recent"]


def test_purge_refuses_a_setting_below_180_days(world, app, runner, monkeypatch):
    record_access("search", "trainee", query="kept", actor=world.accounts["province"])
    monkeypatch.setitem(app.config, "ACCESS_LOG_RETENTION_DAYS", 90)
    result = runner.invoke(args=["purge-access-log"])
    assert result.exit_code != 0 and "180" in result.output
    assert [r.query for r in access_rows()] == ["kept"]


def test_the_app_refuses_to_start_with_a_short_retention(app):
    class Short(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_FOLDER = app.config["UPLOAD_FOLDER"]
        ACCESS_LOG_RETENTION_DAYS = 30

    with pytest.raises(RetentionError, match="180"):
        create_app(Short)


def test_the_audit_log_masks_changed_id_numbers_and_mobiles(world, client, auth):
    db.session.add_all([
        AuditLog(actor_name="support", table_name="trainee", record_id="1", action="update", field_name="mobile",
                 old_value="13900000001", new_value="13900000002"),
        AuditLog(actor_name="support", table_name="trainee", record_id="1", action="create",
                 new_value='{"id_number": "410102198803141230", "name": "张三"}'),
    ])
    db.session.commit()
    auth.login("province", PASSWORD)
    html = page(client, "/admin/audit_log/")
    assert "139****0001" in html and "139****0002" in html and "13900000001" not in html
    assert "410102********1230" in html and "410102198803141230" not in html and "张三" in html
    text = flat(sheet_rows(client.get("/admin/audit_log/export/xlsx/")))
    assert "410102********1230" in text and "410102198803141230" not in text and "13900000002" not in text


def test_opening_the_edit_form_of_a_trainee_is_logged(world, client, auth):
    trainee = world.trainees["zy"]
    auth.login("support", PASSWORD)
    page(client, f"/admin/trainee/edit/?id={trainee.id}")
    [row] = access_rows(action="view")
    assert (row.actor_name, row.record_type, row.record_id, row.address) == (
        "support", "trainee", str(trainee.id), ADDRESS)
