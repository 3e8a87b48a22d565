"""Everything a person sees is Chinese, and nothing loads from outside hosts."""
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import gettext

from app.config import PROJECT_ROOT
from tests.factories import PASSWORD

CATALOGUE = PROJECT_ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
# Flask-Admin's own English, which must come out translated
FLASK_ADMIN_ENGLISH = ["List", "Create", "Edit", "Details", "Export", "Add Filter", "Search", "Save", "Cancel",
                       "Delete", "Home", "With selected", "Apply", "Reset Filters", "Filter", "Previous", "Next",
                       "Record does not exist.", "Are you sure", "Save and Continue Editing", "Save and Add Another",
                       "equals", "not equal", "contains", "greater than", "smaller than", "empty", "between",
                       "__None"]


def load_catalogue():
    with open(CATALOGUE, "rb") as handle:
        return read_po(handle)


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


class VisibleText(HTMLParser):
    """Text a person sees, plus placeholders, titles and outside addresses of assets."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.text: list[str] = []
        self.outside: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        for key in ("placeholder", "title", "data-placeholder"):
            if attrs.get(key):
                self.text.append(attrs[key])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if re.match(r"^(https?:)?//", value) and tag in ("script", "link", "img", "iframe"):
                self.outside.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.text.append(data.strip())


def english_on_page(html: str, own_messages: set[str]) -> tuple[list[str], list[str]]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.text:
        if text in own_messages or text in FLASK_ADMIN_ENGLISH:
            found.append(text)
    return found, parser.outside


ADMIN_PAGES = ["/admin/"] + [f"/admin/{e}/" for e in (
    "application", "exemption_request", "application_choice", "attachment", "review_record", "trainee",
    "education", "employment", "licence", "batch", "quota", "region", "institution", "training_base",
    "specialty", "practice_scope", "account", "audit_log", "sms_log", "support", "support_contact")] + [
    "/admin/support_contact/new/", "/admin/trainee/new/", "/admin/account/new/", "/admin/batch/new/", "/admin/institution/new/",
    "/admin/quota/new/", "/admin/training_base/new/", "/admin/region/new/", "/admin/employment/new/"]


@pytest.fixture
def own_messages():
    return {m.id for m in load_catalogue() if m.id and isinstance(m.id, str)}


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
    from app.extensions import db
    from models import Application, Status
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
