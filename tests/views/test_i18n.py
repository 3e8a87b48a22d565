"""Everything a person sees is Chinese, and nothing loads from outside hosts."""
import contextvars
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import gettext

from app.config import PROJECT_ROOT
from app.extensions import db
from models import Application, Status
from tests.catalogue import english_on_page, load_catalogue, own_msgids
from tests.factories import PASSWORD


def test_every_message_is_translated():
    untranslated = [m.id for m in load_catalogue() if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_catalogue_holds_every_message_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], cwd=PROJECT_ROOT, check=True, capture_output=True)
    with open(pot, "rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in load_catalogue() if m.id}
    assert sorted(extracted - known) == [], "run `flask translate extract` and translate the new messages"


def test_the_app_catalogue_is_loaded(app):
    with app.test_request_context("/"):
        assert gettext("Log in") == "登录"
        assert gettext("Henan Health Training Enrollment Platform") == "河南省卫生健康培训招收平台"


def test_flask_babels_request_namespace_is_read_from_the_app_context(app):
    """``app.extensions.babel_context`` stands in for flask-babel's ``_get_current_context``: the same
    namespace on ``g``, none outside an app context (plain English), and ``force_locale`` still switches
    the language inside a request and back."""
    import flask_babel
    from flask import g

    from app.extensions import babel_context
    assert flask_babel._get_current_context is babel_context
    outside = contextvars.Context()  # the fixture's app context is pushed in this one
    assert outside.run(babel_context) is None and outside.run(gettext, "Log in") == "Log in"
    with app.test_request_context("/"):
        assert gettext("Log in") == "登录"
        assert babel_context() is g._flask_babel and g._flask_babel.babel_locale.language == "zh"
        with flask_babel.force_locale("en"):
            assert gettext("Log in") == "Log in"
        assert gettext("Log in") == "登录"
    with app.app_context():  # another app context: a namespace of its own, made on first use
        assert "_flask_babel" not in g.__dict__
        assert babel_context() is g._flask_babel


ADMIN_PAGES = ["/admin/"] + [f"/admin/{e}/" for e in (
    "application", "exemption_request", "application_choice", "attachment", "review_record", "trainee",
    "education", "employment", "licence", "batch", "quota", "region", "institution", "training_base",
    "specialty", "practice_scope", "account", "audit_log", "sms_log", "support", "support_contact")] + [
    "/admin/support_contact/new/", "/admin/trainee/new/", "/admin/account/new/", "/admin/batch/new/", "/admin/institution/new/",
    "/admin/quota/new/", "/admin/training_base/new/", "/admin/region/new/", "/admin/employment/new/"]


@pytest.fixture
def own_messages():
    return own_msgids()


def test_back_office_pages_show_no_english_and_load_nothing_from_outside(world, client, auth, own_messages):
    auth.login("super", PASSWORD)
    pages = ADMIN_PAGES + [f"/admin/application/details/?id={world.applications['zy'].id}",
                           f"/admin/trainee/edit/?id={world.trainees['zy'].id}",
                           f"/admin/trainee/details/?id={world.trainees['zy'].id}",
                           f"/admin/batch/edit/?id={world.batches['gp'].id}",
                           f"/admin/support/?q=学员&trainee={world.trainees['zy'].id}"]
    problems = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        english, outside = english_on_page(response.get_data(as_text=True), own_messages)
        if english or outside:
            problems[url] = english + outside
    assert problems == {}


def test_public_and_portal_pages_show_no_english(world, client, auth, own_messages):
    pages = {"/login": None, "/nope": 404}
    for url, code in pages.items():
        response = client.get(url)
        assert response.status_code == (code or 200)
        assert english_on_page(response.get_data(as_text=True), own_messages) == ([], [])
    for url in ("/portal/register", "/portal/forgot"):
        assert english_on_page(client.get(url).get_data(as_text=True), own_messages) == ([], []), url
    auth.login("trainee_zy", PASSWORD)
    response = client.get("/portal/")
    assert "学员中心" in response.get_data(as_text=True)
    application = world.applications["zy"]
    pages = ["/portal/", "/portal/apply", "/portal/businesses", f"/portal/applications/{application.id}"] + [
        f"/portal/profile/{tab}" for tab in ("basic", "contact", "education", "employment", "licence")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert english_on_page(response.get_data(as_text=True), own_messages) == ([], []), url


def test_review_and_assignment_forms_show_no_english(world, client, auth, own_messages):
    county_app = world.applications["js"]  # 待区县审核 in 金水区 (郑州)
    auth.login("city_zz", PASSWORD)
    db.session.get(Application, county_app.id).status = Status.CITY_APPROVED
    db.session.commit()
    pages = {f"/admin/application/review/?ids={county_app.id}&action=city_return": "理由",
             f"/admin/application/assign/?ids={county_app.id}": "剩余"}
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert expected in html, url
        assert english_on_page(html, own_messages) == ([], []), url
