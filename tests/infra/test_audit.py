"""The audit trail: every change made through the back office is written down with who made it,
what changed from what to what, secrets masked; the trail itself cannot be changed."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from app.extensions import db
from models import Account, AuditLog, Institution, Trainee
from models.clock import now
from models.enums import AuditAction, InstitutionKind, InstitutionLevel
from tests.conftest import csrf_token
from tests.factories import PASSWORD, InstitutionFactory, TraineeFactory

MASK = "******"


def post(client, url: str, data: dict, token_from: str | None = None, **kwargs):
    """POST ``data`` with a valid CSRF token (from the form at ``url``, or the page ``token_from``)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_from or url)}, **kwargs)


def audit_rows(table: str | None = None, record_id=None, action: str | None = None) -> list[AuditLog]:
    db.session.rollback()  # read what is stored; the test shares the requests' session
    query = select(AuditLog).order_by(AuditLog.id)
    if table:
        query = query.where(AuditLog.table_name == table)
    if record_id is not None:
        query = query.where(AuditLog.record_id == str(record_id))
    if action:
        query = query.where(AuditLog.action == action)
    return list(db.session.scalars(query))


def audit_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditLog))


def institution_form(world, **changes) -> dict:
    form = {"name": "新郑测试卫生院", "region": str(world.regions["zy"].id), "level": InstitutionLevel.PRIMARY,
            "kind": InstitutionKind.TOWNSHIP}
    form.update(changes)
    return form


def valid_id(serial: int) -> str:
    body = f"41030319750102{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


# --- create, update, delete -------------------------------------------------------------------

def test_creating_an_institution_is_recorded(world, client, auth):
    auth.login("province", PASSWORD)
    assert audit_count() == 0
    started = now()
    response = post(client, "/admin/institution/new/", institution_form(world))
    assert response.status_code == 302
    institution = db.session.scalar(select(Institution).where(Institution.name == "新郑测试卫生院"))
    [row] = audit_rows("institution", institution.id)
    province = world.accounts["province"]
    assert (row.actor_id, row.actor_name) == (province.id, "province")
    assert row.action == AuditAction.CREATE and row.field_name is None and row.old_value is None
    snapshot = json.loads(row.new_value)
    assert snapshot["name"] == "新郑测试卫生院"
    assert snapshot["region_id"] == str(world.regions["zy"].id)
    assert snapshot["id"] == str(institution.id)
    assert started - timedelta(seconds=1) <= row.created_at <= now() + timedelta(seconds=1)
    assert audit_count() == 1  # nothing else was touched


def test_creating_a_trainee_is_recorded(world, client, auth):
    auth.login("support", PASSWORD)
    number = valid_id(1)
    response = post(client, "/admin/trainee/new/", {"name": "审计学员", "gender": "female", "id_type": "resident",
                                                    "id_number": number, "mobile": "13511112222"})
    assert response.status_code == 302
    trainee_id = db.session.scalar(select(Trainee.id).where(Trainee.id_number == number))
    [row] = audit_rows("trainee", trainee_id, AuditAction.CREATE)
    assert (row.actor_id, row.actor_name) == (world.accounts["support"].id, "support")
    snapshot = json.loads(row.new_value)
    assert (snapshot["name"], snapshot["id_number"], snapshot["mobile"]) == ("审计学员", number, "13511112222")
    assert snapshot["birth_date"] == "1975-01-02"  # what was stored, including derived values


def test_updating_writes_one_row_per_changed_field(world, client, auth):
    institution = InstitutionFactory(name="旧名卫生院", region=world.regions["zy"], level=InstitutionLevel.PRIMARY,
                                     kind=InstitutionKind.TOWNSHIP)
    db.session.commit()
    auth.login("province", PASSWORD)
    response = post(client, f"/admin/institution/edit/?id={institution.id}",
                    institution_form(world, name="新名卫生院", level=InstitutionLevel.SECONDARY))
    assert response.status_code == 302
    rows = audit_rows("institution", institution.id)
    assert {(r.action, r.field_name, r.old_value, r.new_value) for r in rows} == {
        (AuditAction.UPDATE, "name", "旧名卫生院", "新名卫生院"),
        (AuditAction.UPDATE, "level", InstitutionLevel.PRIMARY, InstitutionLevel.SECONDARY),
    }
    assert {(r.actor_id, r.actor_name) for r in rows} == {(world.accounts["province"].id, "province")}


def test_updating_a_relation_records_old_and_new_ids(world, client, auth):
    institution = InstitutionFactory(name="搬迁卫生院", region=world.regions["zy"])
    db.session.commit()
    auth.login("province", PASSWORD)
    response = post(client, f"/admin/institution/edit/?id={institution.id}",
                    institution_form(world, name="搬迁卫生院", region=str(world.regions["xg"].id),
                                     level=institution.level, kind=institution.kind))
    assert response.status_code == 302
    [row] = audit_rows("institution", institution.id)
    assert (row.field_name, row.old_value, row.new_value) == (
        "region_id", str(world.regions["zy"].id), str(world.regions["xg"].id))


def test_saving_without_changes_writes_nothing(world, client, auth):
    institution = InstitutionFactory(name="不变卫生院", region=world.regions["zy"], level=InstitutionLevel.PRIMARY,
                                     kind=InstitutionKind.TOWNSHIP)
    db.session.commit()
    auth.login("province", PASSWORD)
    response = post(client, f"/admin/institution/edit/?id={institution.id}", institution_form(world, name="不变卫生院"))
    assert response.status_code == 302
    assert audit_rows("institution", institution.id) == []


def test_trainee_edit_records_the_changed_fields(world, client, auth):
    trainee = TraineeFactory(name="改号学员", id_number=valid_id(2), mobile="13600000000", gender="female",
                             birth_date=date(1975, 1, 2), has_licence=True)
    db.session.commit()
    auth.login("support", PASSWORD)
    response = post(client, f"/admin/trainee/edit/?id={trainee.id}",
                    {"name": "改号学员", "gender": "female", "id_type": "resident", "id_number": trainee.id_number,
                     "mobile": "13600000009", "has_licence": "1"})
    assert response.status_code == 302
    rows = audit_rows("trainee", trainee.id)
    assert [(r.action, r.field_name, r.old_value, r.new_value) for r in rows] == [
        (AuditAction.UPDATE, "mobile", "13600000000", "13600000009")]


def test_prior_residency_pass_stays_unrecorded_until_chosen(world, client, auth):
    trainee = TraineeFactory(name="未记录学员", id_number=valid_id(4), mobile="13600000001", gender="female",
                             birth_date=date(1975, 1, 2), has_licence=True)
    db.session.commit()
    auth.login("support", PASSWORD)
    form = {"name": "未记录学员", "gender": "female", "id_type": "resident", "id_number": trainee.id_number,
            "mobile": "13600000001", "has_licence": "1"}
    page = client.get(f"/admin/trainee/edit/?id={trainee.id}").get_data(as_text=True)
    assert "未记录" in page
    assert post(client, f"/admin/trainee/edit/?id={trainee.id}", {**form, "prior_residency_passed": ""}).status_code == 302
    assert db.session.get(Trainee, trainee.id).prior_residency_passed is None
    assert post(client, f"/admin/trainee/edit/?id={trainee.id}", {**form, "prior_residency_passed": "1"}).status_code == 302
    assert db.session.get(Trainee, trainee.id).prior_residency_passed is True
    rows = audit_rows("trainee", trainee.id)
    assert [(r.field_name, r.old_value, r.new_value) for r in rows] == [("prior_residency_passed", None, "True")]
    trainee.has_licence = None  # 执业信息 not answered yet: a save by support keeps it unanswered
    db.session.commit()
    assert post(client, f"/admin/trainee/edit/?id={trainee.id}", {**form, "has_licence": ""}).status_code == 302
    assert db.session.get(Trainee, trainee.id).has_licence is None


def test_deleting_is_recorded_with_what_was_deleted(world, client, auth):
    institution = InstitutionFactory(name="待删卫生院", region=world.regions["xg"])
    db.session.commit()
    institution_id = institution.id
    auth.login("super", PASSWORD)
    response = post(client, "/admin/institution/delete/", {"id": str(institution_id)})
    assert response.status_code == 302
    assert db.session.get(Institution, institution_id) is None
    [row] = audit_rows("institution", institution_id)
    assert row.action == AuditAction.DELETE
    assert (row.actor_id, row.actor_name) == (world.accounts["super"].id, "super")
    assert row.new_value is None and row.field_name is None
    snapshot = json.loads(row.old_value)
    assert snapshot["name"] == "待删卫生院" and snapshot["region_id"] == str(world.regions["xg"].id)


def test_refused_changes_leave_no_trace(world, client, auth):
    auth.login("super", PASSWORD)
    form = {"name": "坏号码", "id_type": "resident", "id_number": "410102198803140000", "mobile": "13500000000"}
    # refused by the form (wrong check digit)
    assert post(client, "/admin/trainee/new/", form).status_code == 200
    # refused by the database: the account already belongs to another trainee
    form.update(id_number=valid_id(3), account=str(world.accounts["trainee_zy"].id))
    response = post(client, "/admin/trainee/new/", form, follow_redirects=True)
    assert "未保存" in response.get_data(as_text=True)
    assert db.session.scalar(select(Trainee.id).where(Trainee.id_number == valid_id(3))) is None
    assert audit_count() == 0


# --- secrets ----------------------------------------------------------------------------------

def all_audit_text() -> str:
    return " ".join(f"{r.field_name} {r.old_value} {r.new_value} {r.reason}" for r in audit_rows())


def test_password_change_is_recorded_masked(world, client, auth):
    account = world.accounts["support"]
    old_hash = account.password_hash
    auth.login("super", PASSWORD)
    response = post(client, f"/admin/account/edit/?id={account.id}",
                    {"username": "support", "display_name": "support", "password": "Changed.456", "role": "support",
                     "base": "__None", "is_active_account": "y"})
    assert response.status_code == 302
    db.session.rollback()
    new_hash = db.session.get(Account, account.id).password_hash
    assert new_hash != old_hash and db.session.get(Account, account.id).check_password("Changed.456")
    rows = {row.field_name: row for row in audit_rows("account", account.id)}
    assert set(rows) == {"password_hash", "must_change_password"}  # the holder chooses their own next time
    row = rows["password_hash"]
    assert (row.action, row.field_name, row.old_value, row.new_value) == (
        AuditAction.UPDATE, "password_hash", MASK, MASK)
    assert row.actor_name == "super"
    text = all_audit_text()
    assert old_hash not in text and new_hash not in text and "Changed.456" not in text
    assert "scrypt" not in text and "pbkdf2" not in text


def test_new_account_snapshot_masks_the_password(world, client, auth):
    auth.login("super", PASSWORD)
    response = post(client, "/admin/account/new/",
                    {"username": "auditee", "display_name": "被审计", "password": "Fresh.789", "role": "support",
                     "base": "__None", "is_active_account": "y"})
    assert response.status_code == 302
    account = db.session.scalar(select(Account).where(Account.username == "auditee"))
    [row] = audit_rows("account", account.id, AuditAction.CREATE)
    snapshot = json.loads(row.new_value)
    assert snapshot["password_hash"] == MASK and snapshot["username"] == "auditee"
    text = all_audit_text()
    assert account.password_hash not in text and "Fresh.789" not in text


# --- the log itself ---------------------------------------------------------------------------

@pytest.fixture
def logged(world, client, auth):
    """One audit row (an institution renamed by the province admin); then logged in as super."""
    institution = InstitutionFactory(name="留痕卫生院", region=world.regions["zy"], level=InstitutionLevel.PRIMARY,
                                     kind=InstitutionKind.TOWNSHIP)
    db.session.commit()
    auth.login("province", PASSWORD)
    post(client, f"/admin/institution/edit/?id={institution.id}", institution_form(world, name="留痕卫生院二"))
    auth.logout()
    auth.login("super", PASSWORD)
    [row] = audit_rows("institution", institution.id)
    return row


def snapshot_of_log() -> list[tuple]:
    return [(r.id, r.actor_id, r.actor_name, r.table_name, r.record_id, r.action, r.field_name, r.old_value,
             r.new_value, r.reason, r.created_at) for r in audit_rows()]


def test_audit_log_lists_the_changes(logged, client):
    html = client.get("/admin/audit_log/").get_data(as_text=True)
    assert "留痕卫生院二" in html and "province" in html
    details = client.get(f"/admin/audit_log/details/?id={logged.id}")
    assert details.status_code == 200 and "留痕卫生院二" in details.get_data(as_text=True)


def test_audit_log_offers_no_create_edit_or_delete(logged, client):
    html = client.get("/admin/audit_log/").get_data(as_text=True)
    for link in ("/admin/audit_log/new/", "/admin/audit_log/edit/", "/admin/audit_log/delete/"):
        assert link not in html
    assert 'value="delete"' not in html  # no bulk delete action
    assert client.get("/admin/audit_log/new/").status_code == 302
    assert client.get(f"/admin/audit_log/edit/?id={logged.id}").status_code == 302


def test_audit_log_cannot_be_changed_by_posting(logged, client):
    before = snapshot_of_log()
    forged = {"actor_name": "nobody", "table_name": "account", "record_id": "1", "action": "delete",
              "field_name": "x", "old_value": "a", "new_value": "b", "reason": "掩盖"}
    page = "/admin/audit_log/"  # the log has no forms of its own: take the session's token from the list
    responses = [
        post(client, "/admin/audit_log/new/", forged, page),
        post(client, f"/admin/audit_log/edit/?id={logged.id}", forged, page),
        post(client, "/admin/audit_log/delete/", {"id": str(logged.id)}, page),
        post(client, "/admin/audit_log/action/", {"action": "delete", "rowid": str(logged.id)}, page),
        post(client, "/admin/audit_log/ajax/update/", {"list_form_pk": str(logged.id), "reason": "掩盖"}, page),
    ]
    for response in responses:
        # reached the view (a valid token, not a CSRF 400) and was turned away there
        assert response.status_code in (302, 403, 404), response.request.path
    assert snapshot_of_log() == before


def test_audit_log_is_for_province_wide_staff(logged, client, auth):
    auth.logout()
    for username, allowed in [("province", True), ("support", True), ("county_zy", False), ("city_zz", False),
                              ("base_zz", False)]:
        auth.login(username, PASSWORD)
        response = client.get("/admin/audit_log/")
        assert (response.status_code == 200) is allowed, username
        if not allowed:
            assert response.status_code == 403
        auth.logout()
