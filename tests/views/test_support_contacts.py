"""技术支持联系方式: seeded from the guide, edited by the province in the back office, shown at the foot
of every trainee page and error page (one query, and nothing when the database is down)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select, update

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.seed.reference import seed_reference_data
from models import AuditLog, SupportContact
from models.enums import AuditAction
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.queries import counting_statements

GUIDE = "技术支持联系方式 0371-65998221 赵佳庆: 15617918900 李乾坤: 18348381076 罗 辉: 15617915477"
SEEDED = [("技术支持电话", "0371-65998221"), ("赵佳庆", "15617918900"), ("李乾坤", "18348381076"),
          ("罗辉", "15617915477")]
NEW = "/admin/support_contact/new/"


def text(response) -> str:
    return response.get_data(as_text=True)


def footer(html: str) -> str:
    match = re.search(r'<footer class="site-footer" id="support-contacts">(.*?)</footer>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def contacts() -> list[tuple[str, str]]:
    return [tuple(row) for row in db.session.execute(
        select(SupportContact.name, SupportContact.phone).order_by(SupportContact.position, SupportContact.id))]


@pytest.fixture
def seeded(app):
    db.session.execute(delete(SupportContact))
    db.session.commit()
    assert seed_reference_data()["support_contacts"] == 4
    return contacts()


# --- seed ------------------------------------------------------------------------------------------

@pytest.mark.seed(GUIDE)
def test_seed_adds_the_guides_contacts_in_order_once(app, seeded):
    assert seeded == SEEDED
    assert seed_reference_data()["support_contacts"] == 0
    edited = db.session.scalar(select(SupportContact).where(SupportContact.name == "李乾坤"))
    edited.phone = "0371-00000000"
    db.session.delete(db.session.scalar(select(SupportContact).where(SupportContact.name == "罗辉")))
    db.session.commit()
    assert seed_reference_data()["support_contacts"] == 0  # never over the province's edits
    assert contacts() == [SEEDED[0], SEEDED[1], ("李乾坤", "0371-00000000")]
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0 and "support_contacts +0" in result.output


# --- shown on every page ------------------------------------------------------------------------

@pytest.mark.seed(GUIDE)
def test_contacts_at_the_foot_of_login_registration_and_every_trainee_page(world, client, auth, seeded):
    expected = "技术支持联系方式： 技术支持电话 0371-65998221 · 赵佳庆 15617918900 · 李乾坤 18348381076 · 罗辉 15617915477"
    for url in ("/login", "/portal/register", "/portal/forgot"):
        assert footer(text(client.get(url))) == expected, url
    auth.login("trainee_zy", PASSWORD)
    pages = ["/portal/", "/portal/apply", "/portal/businesses", f"/portal/applications/{world.applications['zy'].id}"]
    pages += [f"/portal/profile/{tab}" for tab in ("basic", "contact", "education", "employment", "licence")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert footer(text(response)) == expected, url
    assert 'href="tel:0371-65998221"' in text(client.get("/portal/"))


def test_contacts_on_the_404_403_and_500_pages(world, client, auth, seeded, monkeypatch):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "0371-65998221" in footer(text(response))
    auth.login("trainee_zy", PASSWORD)
    response = client.get(f"/portal/applications/{world.applications['js'].id}")  # another trainee's
    assert response.status_code == 404 and "赵佳庆 15617918900" in footer(text(response))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr("app.domain.enrollment.profile_problems", broken)
    response = client.get("/portal/")
    assert response.status_code == 500
    assert "系统出错" in text(response) and "罗辉 15617915477" in footer(text(response))


def test_inactive_contacts_are_not_shown_and_none_means_no_footer(world, client, seeded):
    contact = db.session.scalar(select(SupportContact).where(SupportContact.name == "李乾坤"))
    contact.active = False
    db.session.commit()
    shown = footer(text(client.get("/login")))
    assert "赵佳庆" in shown and "李乾坤" not in shown
    db.session.execute(delete(SupportContact))
    db.session.commit()
    assert 'id="support-contacts"' not in text(client.get("/login"))


def contact_reads(client, urls) -> list[int]:
    """How many statements read the contacts on each page of ``urls``."""
    reads = []
    for url in urls:
        with counting_statements() as counter:
            client.get(url)
        reads.append(len([s for s in counter.statements if "support_contact" in s]))
    return reads


def test_the_process_reads_the_contacts_once_and_again_after_a_change(world, client, auth, seeded, app):
    auth.login("trainee_zy", PASSWORD)
    urls = ("/portal/", "/portal/apply", "/no-such-page")
    assert sum(contact_reads(client, urls)) <= 1  # at most the first page reads them; the others use the copy
    assert contact_reads(client, urls) == [0, 0, 0]
    # a change committed in this process shows on the next page: an edit, a bulk update, a deletion
    contact = db.session.scalar(select(SupportContact).where(SupportContact.name == "李乾坤"))
    contact.phone = "0371-11111111"
    db.session.commit()
    assert "李乾坤 0371-11111111" in footer(text(client.get("/portal/")))
    db.session.execute(update(SupportContact).where(SupportContact.name == "赵佳庆").values(active=False))
    db.session.commit()
    assert "赵佳庆" not in footer(text(client.get("/portal/apply")))
    db.session.execute(delete(SupportContact))
    db.session.commit()
    assert 'id="support-contacts"' not in text(client.get("/portal/"))
    # a change made elsewhere (another process, SQL by hand) shows once the copy is older than the setting
    db.session.rollback()
    seed_reference_data()
    db.session.commit()
    client.get("/portal/")
    with db.engine.begin() as connection:
        connection.execute(update(SupportContact).where(SupportContact.name == "罗辉").values(phone="0371-22222222"))
    assert "罗辉 15617915477" in footer(text(client.get("/portal/")))  # still the copy
    app.config["SUPPORT_CONTACTS_CACHE_SECONDS"] = 0
    try:
        assert "罗辉 0371-22222222" in footer(text(client.get("/portal/")))
        assert contact_reads(client, urls) == [1, 1, 1]
    finally:
        app.config["SUPPORT_CONTACTS_CACHE_SECONDS"] = TestConfig.SUPPORT_CONTACTS_CACHE_SECONDS


def test_error_and_login_pages_render_when_the_database_is_down(tmp_path):
    class Down(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'missing-dir' / 'platform.db'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    down = create_app(Down)
    with down.test_client() as client:
        response = client.get("/no-such-page")
        assert response.status_code == 404 and "页面或记录不存在" in text(response)
        assert 'id="support-contacts"' not in text(response)
        response = client.get("/login")
        assert response.status_code == 200 and 'id="support-contacts"' not in text(response)
        # a logged-in trainee: loading the account fails, and so does reading the contacts
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = "1", True
        for url, code, words in (("/portal/", 500, "系统出错"), ("/no-such-page", 404, "页面或记录不存在")):
            response = client.get(url)
            assert response.status_code == code and words in text(response), url
            assert "错误代码" in text(response) and 'id="support-contacts"' not in text(response)
        with client.session_transaction() as session:
            assert session["_user_id"] == "1"  # not logged out by the outage


# --- back office ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["county_zy", "city_zz", "base_zz", "support"])
def test_only_the_province_and_the_superuser_reach_the_contacts(world, client, auth, seeded, username):
    auth.login(username, PASSWORD)
    assert client.get("/admin/support_contact/").status_code == 403
    assert client.get(NEW).status_code == 403
    contact_id = db.session.scalar(select(SupportContact.id).limit(1))
    assert client.get(f"/admin/support_contact/edit/?id={contact_id}").status_code == 403
    response = client.post(NEW, data={"name": "冒名", "phone": "123", "position": "1", "active": "y",
                                      "csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 403
    assert "/admin/support_contact/" not in text(client.get("/admin/"))
    assert db.session.scalar(select(func.count()).select_from(SupportContact)) == 4


@pytest.mark.parametrize("username", ["province", "super"])
def test_province_and_superuser_list_create_edit_and_delete_audited(world, client, auth, seeded, username):
    auth.login(username, PASSWORD)
    html = text(client.get("/admin/"))
    assert "/admin/support_contact/" in html and "技术支持联系方式" in html
    listing = text(client.get("/admin/support_contact/"))
    assert all(name in listing and phone in listing for name, phone in SEEDED)
    token = csrf_token(client, NEW)
    response = client.post(NEW, data={"name": " 王新 ", "phone": " 0371-12345678 ", "position": "50", "active": "y",
                                      "csrf_token": token})
    assert response.status_code == 302, text(response)
    created = db.session.scalar(select(SupportContact).where(SupportContact.name == "王新"))
    assert created.phone == "0371-12345678" and created.active
    account_id = world.accounts[username].id
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "support_contact")).all()
    assert row.action == AuditAction.CREATE and row.actor_id == account_id and "王新" in row.new_value
    response = client.post(f"/admin/support_contact/edit/?id={created.id}",
                           data={"name": "王新", "phone": "15600000000", "position": "50", "csrf_token": token})
    assert response.status_code == 302, text(response)
    changes = {(r.field_name, r.old_value, r.new_value) for r in db.session.scalars(
        select(AuditLog).where(AuditLog.table_name == "support_contact", AuditLog.action == AuditAction.UPDATE))}
    assert changes == {("phone", "0371-12345678", "15600000000"), ("active", "True", "False")}
    assert "王新" not in footer(text(client.get("/login")))  # no longer shown
    response = client.post("/admin/support_contact/delete/", data={"id": str(created.id), "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SupportContact).where(
        SupportContact.name == "王新")) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.table_name == "support_contact", AuditLog.action == AuditAction.DELETE)) == 1


@pytest.mark.parametrize("name,phone,problem", [
    ("张三", "0371 65998221", "数字和“-”"), ("张三", "abc", "数字和“-”"), ("张三", "-65998221", "数字和“-”"),
    ("张三", "0371--65998221", "数字和“-”"), ("张三", "1" * 31, "不超过30位"), ("张三", "１５６", "数字和“-”"),
    ("张三", "0371\x0065998221", "控制字符"), ("张\x00三", "15617918900", "控制字符"),
    ("=HYPERLINK(\"http://x\")", "15617918900", "公式"), ("@SUM(A1)", "15617918900", "公式"),
    ("+86", "15617918900", "公式"), ("-1", "15617918900", "公式"), ("", "15617918900", "必填"),
    ("张三", "", "必填"), ("张" * 51, "15617918900", "50"),
])
def test_bad_names_and_phones_are_refused_in_chinese(world, client, auth, seeded, name, phone, problem):
    auth.login("province", PASSWORD)
    response = client.post(NEW, data={"name": name, "phone": phone, "position": "5", "active": "y",
                                      "csrf_token": csrf_token(client, NEW)})
    assert response.status_code == 200
    shown = " ".join(re.findall(r'class="[^"]*(?:invalid-feedback|help-block)[^"]*">(.*?)</', text(response), re.S))
    assert problem in shown, shown
    assert db.session.scalar(select(func.count()).select_from(SupportContact)) == 4
