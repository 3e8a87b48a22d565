"""Security headers (issue 11, item 9) on every page and every file response: a Content-Security-Policy
without outside hosts or inline scripts (only the request's nonce), frame-ancestors 'none',
nosniff, Referrer-Policy, Permissions-Policy, X-Frame-Options, and HSTS over HTTPS only. File
responses carry the stricter sandbox policy of app/infra/storage.py instead of the page policy."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import storage
from tests.applications import residency_application
from tests.factories import PASSWORD
from tests.files import JS_PDF, assert_file_headers, pdf_pages, save_pdf

HANDLERS_CSP_JS_KNOWS = ("return false;", "faHelpers.safeConfirm(", "faForm.addInlineField(this, ",
                         "modelActions.execute(")


def policy_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_page_headers(response, secure: bool = False) -> None:
    policy = policy_of(response)
    scripts = policy["script-src"]
    assert scripts[0] == "'self'" and all(s == "'self'" or s.startswith("'nonce-") for s in scripts), scripts
    for name, values in policy.items():
        assert not any(v.startswith(("http:", "https:", "*")) or "." in v.strip("'") for v in values), (name, values)
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    if secure:
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    else:
        assert "Strict-Transport-Security" not in headers  # never over plain HTTP
    if response.mimetype == "text/html":
        assert_scripts_allowed(response.get_data(as_text=True), scripts)


def assert_scripts_allowed(html: str, scripts: list[str]) -> None:
    """Every script the page has runs under the policy: from this site, or inline with the nonce;
    the only inline handlers are the few of Flask-Admin that admin/csp.js turns into listeners."""
    nonces = {s[len("'nonce-"):-1] for s in scripts if s.startswith("'nonce-")}
    for tag in re.findall(r"<script\b[^>]*>", html):
        src = re.search(r'\ssrc="([^"]*)"', tag)
        if src:
            assert src.group(1).startswith("/") and not src.group(1).startswith("//"), tag
        elif 'type="application/json"' not in tag:  # a data block, never run
            nonce = re.search(r'\snonce="([^"]*)"', tag)
            assert nonce and nonce.group(1) in nonces, tag
    assert re.findall(r'\son[a-z]+=', html) == []  # no inline handler: Chromium reports each one
    renamed = re.findall(r'\sdata-onclick="([^"]*)"', html)  # Flask-Admin's, for admin/csp.js
    for code in renamed:
        assert any(known in code for known in HANDLERS_CSP_JS_KNOWS), code
    if renamed or "javascript:" in html:
        assert "/static/admin/csp.js" in html
    assert "data-confirm" in html or "confirm(" not in re.sub(r"<script\b[^>]*src=[^>]*>", "", html)


def login(auth, username: str) -> None:
    response = auth.login(username, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location, username


@pytest.fixture
def trainee_files(world):
    pdf = save_pdf(world, JS_PDF, "带脚本.pdf")
    multi = save_pdf(world, pdf_pages(2), "两页.pdf")
    image = io.BytesIO()
    Image.new("RGB", (200, 150), (10, 120, 200)).save(image, "PNG")
    photo = storage.save(FileStorage(io.BytesIO(image.getvalue()), filename="照片.png"), "photo",
                         world.trainees["zy"], uploaded_by=world.accounts["trainee_zy"])
    db.session.commit()
    return {"pdf": pdf.id, "multi": multi.id, "photo": photo.id}


ANONYMOUS_PAGES = ["/login", "/portal/login", "/portal/register", "/portal/forgot", "/no-such-page",
                   "/static/site.css", "/static/site.js", "/admin/static/vendor/jquery.min.js"]
TRAINEE_PAGES = ["/portal/", "/portal/profile/basic", "/portal/profile/education", "/portal/apply",
                 "/portal/businesses", "/admin/application/"]  # the last: 403 for a trainee
STAFF_PAGES = ["/admin/", "/admin/application/", "/admin/application/?flt0_status_equals=submitted",
               "/admin/application/details/?id={application}", "/admin/application/review/?id={application}",
               "/admin/trainee/", "/admin/trainee/edit/?id={trainee}", "/admin/trainee/details/?id={trainee}",
               "/admin/batch/edit/?id={batch}", "/admin/account/edit/?id={account}", "/admin/account/new/",
               "/admin/attachment/", "/admin/audit_log/", "/admin/support/", "/admin/confirm/",
               "/admin/application/details/?id=99999999999999999999", "/files/99999999999999999999"]


@pytest.mark.parametrize("secure", [False, True])
def test_pages_of_visitors_carry_the_headers(client, world, secure):
    base = "https://localhost" if secure else "http://localhost"
    for url in ANONYMOUS_PAGES:
        response = client.get(url, base_url=base)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert_page_headers(response, secure)


def test_pages_of_trainees_carry_the_headers(auth, client, world):
    login(auth, "trainee_zy")
    statuses = {}
    for url in TRAINEE_PAGES:
        response = client.get(url)
        statuses[url] = response.status_code
        assert_page_headers(response)
    assert statuses["/admin/application/"] == 403 and statuses["/portal/"] == 200


def test_pages_of_staff_carry_the_headers(auth, client, world, trainee_files):
    login(auth, "super")
    ids = {"application": world.applications["zy"].id, "trainee": world.trainees["zy"].id,
           "batch": world.batches["gp"].id, "account": world.accounts["county_zy"].id}
    statuses = {}
    for url in STAFF_PAGES:
        response = client.get(url.format(**ids))
        statuses[url] = response.status_code
        assert_page_headers(response)
    assert [url for url, status in statuses.items() if status != 200] == [
        "/admin/application/review/?id={application}",  # 403: the superuser does not review
        "/admin/application/details/?id=99999999999999999999", "/files/99999999999999999999"], statuses
    # Flask-Admin's own inline scripts carry the nonce of the page's policy
    html = client.get(f"/admin/trainee/edit/?id={ids['trainee']}").get_data(as_text=True)
    assert re.search(r'<script nonce="[^"]+" src="/admin/static/', html)


def test_error_pages_carry_the_headers(app, auth, client, world, monkeypatch):
    login(auth, "trainee_zy")
    response = client.post("/portal/profile/basic", data={"name": "x"})  # no CSRF token: 400
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert_page_headers(response)
    assert_page_headers(client.get("/admin/account/"))  # 403
    response = client.delete("/portal/")  # 405
    assert response.status_code == 405
    assert_page_headers(response)

    def broken_view(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setitem(app.view_functions, "portal.index", broken_view)
    response = client.get("/portal/")
    assert response.status_code == 500 and "系统出错" in response.get_data(as_text=True)
    assert_page_headers(response)


@pytest.mark.parametrize("secure", [False, True])
def test_every_file_response_is_sandboxed(auth, client, world, trainee_files, secure):
    base = "https://localhost" if secure else "http://localhost"
    login(auth, "county_zy")
    urls = [f"/files/{trainee_files['pdf']}", f"/files/{trainee_files['photo']}",
            f"/files/{trainee_files['photo']}?thumb=1", f"/files/{trainee_files['multi']}/page/1.png"]
    for url in urls:
        response = client.get(url, base_url=base)
        assert response.status_code == 200, url
        assert_file_headers(response)
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert ("Strict-Transport-Security" in response.headers) == secure


def test_the_registration_form_pdf_is_a_sandboxed_attachment(app, auth, client, world):
    application = residency_application(world)
    username = application.trainee.account.username
    login(auth, "super")
    response = client.get(f"/admin/application/registration-form/?id={application.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert_file_headers(response)
    auth.logout()
    login(auth, username)
    response = client.get(f"/portal/applications/{application.id}/registration-form.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert_file_headers(response)
