"""On-site confirmation (现场确认) in the back office: scanning or typing the form's code, scope, the
materials checklist and the confirmation itself, through the client."""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

from flask_babel import gettext
from markupsafe import escape
from sqlalchemy import func, select

from app.domain.privacy import mask_id_number
from app.domain.review.confirmation import DIPLOMAS, ID_COPY, LICENCE, PHOTOS, SIGNED_FORM
from app.domain.review.verification import short_code, verification_token, verification_url
from app.extensions import db
from models import Application, ReviewRecord, Status
from models.clock import today
from models.enums import Identity
from tests.applications import residency_application
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD

PAGE = "/admin/confirm/"
ALL = [SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS, LICENCE]


def codes(app, application):
    with app.test_request_context("/", base_url="http://localhost"):
        application = db.session.get(Application, application.id)
        return verification_token(application), verification_url(application), short_code(application)


def state(application_id):
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    records = db.session.scalar(select(func.count()).select_from(ReviewRecord)
                                .where(ReviewRecord.application_id == application_id))
    return application.status, application.onsite_materials, application.onsite_confirmed_at, records


def post_confirm(client, code, materials, token=None):
    data = {"code": code, "materials": list(materials)}
    if token is not False:
        data["csrf_token"] = token or csrf_token(client, PAGE)
    return client.post(PAGE, data=data)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def says(html: str, msgid: str, **params) -> bool:
    return str(escape(gettext(msgid, **params))) in html


# --- opening a form ----------------------------------------------------------------------------

def test_scanned_url_token_short_code_and_direct_link_open_the_application(app, world, client, auth):
    application = residency_application(world, photo=True)
    token, url, code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    for typed in (url, token, code, code.lower()):
        html = html_of(client.get(PAGE, query_string={"code": typed}))
        assert "张堃" in html and mask_id_number(application.snapshot["id_number"]) in html
        assert "内科" in html and "儿科" in html and Status.label_for(Status.BASE_APPROVED, "residency") in html
        assert f'/files/{application.trainee.photo_id}?thumb=1' in html
        assert 'name="materials"' in html
    # the phone camera opens the QR's URL itself
    html = html_of(client.get(url.replace("http://localhost", "")))
    assert "张堃" in html and 'name="materials"' in html


def test_anonymous_scan_goes_to_login_and_comes_back(app, world, client):
    application = residency_application(world)
    _token, url, _code = codes(app, application)
    response = client.get(url.replace("http://localhost", ""))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert quote("/admin/confirm/", safe="") in response.headers["Location"] or "admin/confirm" in \
        response.headers["Location"]


def test_forged_and_tampered_codes_are_refused_and_keep_what_was_typed(app, world, client, auth):
    application = residency_application(world)
    token, _url, code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    for typed in ("eyJhIjoxfQ.forged.sig", token[:-3] + "abc", code[:-1] + ("X" if code[-1] != "X" else "Y")):
        html = html_of(client.get(PAGE, query_string={"code": typed}))
        assert says(html, "This code is not valid: it was not issued by the platform, or it was altered or "
                          "mistyped.")
        assert f'value="{escape(typed)}"' in html and "张堃" not in html and 'name="materials"' not in html


def test_expired_code_is_refused(app, world, client, auth):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    application.batch.confirmation_deadline = today() - timedelta(days=30)
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    html = html_of(client.get(PAGE, query_string={"code": token}))
    assert "张堃" not in html
    assert says(html, "This code has expired: on-site confirmation for this batch ended on %(date)s.",
                date=f"{application.batch.confirmation_deadline.year}年{application.batch.confirmation_deadline.month}月"
                     f"{application.batch.confirmation_deadline.day}日")
    response = post_confirm(client, token, ALL)
    assert response.status_code == 400 and state(application.id)[0] == Status.BASE_APPROVED


def test_other_bases_form_is_refused_on_open_and_on_post(app, world, client, auth):
    application = residency_application(world, base="ly")
    token, _url, code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    for typed in (token, code):
        html = html_of(client.get(PAGE, query_string={"code": typed}))
        assert says(html, "This registration form belongs to an application of another training base; it cannot "
                          "be confirmed here.")
        assert "张堃" not in html and mask_id_number(application.snapshot["id_number"]) not in html
    before = state(application.id)
    response = post_confirm(client, token, ALL)
    assert response.status_code == 400
    assert state(application.id) == before and before[0] == Status.BASE_APPROVED


def test_gp_application_is_refused(app, world, client, auth):
    gp = world.applications["zy"]  # a GP application assigned to 郑州's base
    token, _url, _code = codes(app, gp)
    auth.login("base_zz", PASSWORD)
    html = html_of(client.get(PAGE, query_string={"code": token}))
    assert says(html, "This is not a resident standardized training application; only those are confirmed on site.")
    assert post_confirm(client, token, ALL).status_code == 400
    assert state(gp.id)[0] == Status.ASSIGNED


def test_other_roles_are_refused(app, world):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    for username in ("province", "city_zz", "county_zy", "support", "trainee_zy"):
        client = app.test_client()
        Auth(client).login(username, PASSWORD)
        form_token = csrf_token(client, "/portal/" if username.startswith("trainee") else "/admin/")  # new at login
        assert client.get(PAGE, query_string={"code": token}).status_code == 403, username
        response = client.post(PAGE, data={"code": token, "materials": ALL, "csrf_token": form_token})
        assert response.status_code == 403, username
    assert state(application.id)[:3] == (Status.BASE_APPROVED, None, None)


def test_superuser_sees_the_form_but_cannot_confirm(app, world, client, auth):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    auth.login("super", PASSWORD)
    html = html_of(client.get(PAGE, query_string={"code": token}))
    assert "张堃" in html and says(html, "Only the staff of the training base can confirm on site.")
    html = html_of(post_confirm(client, token, ALL))
    assert state(application.id)[0] == Status.BASE_APPROVED and state(application.id)[1] is None
    assert "张堃" in html


# --- confirming ----------------------------------------------------------------------------------

def test_happy_path_confirms_and_stores_the_materials(app, world, client, auth):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    response = post_confirm(client, token, ALL)
    assert response.status_code == 302
    status, materials, confirmed_at, records = state(application.id)
    assert status == Status.CONFIRMED and materials == ALL and confirmed_at is not None and records == 1
    record = db.session.scalar(select(ReviewRecord).where(ReviewRecord.application_id == application.id))
    assert record.action == "confirm_onsite" and record.actor_id == world.accounts["base_zz"].id
    html = html_of(client.get(response.headers["Location"]))
    # ready for the scanner's next read: the success named, an empty code field focused, no form open
    assert "张堃 已完成现场确认。请扫描下一份报名表。" in html and 'name="materials"' not in html
    field = re.search(r'<input type="text" id="code"[^>]*>', html, re.S).group(0)
    assert 'value=""' in field and "autofocus" in field and "data-select-on-load" in field
    again = html_of(client.get(PAGE, query_string={"code": token}))
    assert says(again, "Already confirmed on site at %(time)s.", time=f"{confirmed_at.year}年{confirmed_at.month}月"
                f"{confirmed_at.day}日 {confirmed_at:%H:%M}")


def test_a_refused_scan_says_so_plainly_and_selects_the_code_for_the_next_read(app, world, client, auth):
    auth.login("base_zz", PASSWORD)
    html = html_of(client.get(PAGE, query_string={"code": "000123-XXXX-YYYY"}))
    assert "未确认。" in html and "读取到的编码：000123-XXXX-YYYY" in html
    field = re.search(r'<input type="text" id="code"[^>]*>', html, re.S).group(0)
    assert 'value="000123-XXXX-YYYY"' in field and "data-select-on-load" in field and "autofocus" in field


def test_typed_short_code_confirms_too(app, world, client, auth):
    application = residency_application(world, identity=Identity.OPEN_ENTRY)
    _token, _url, code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    assert post_confirm(client, code.replace("-", " "), ALL).status_code == 302
    assert state(application.id)[0] == Status.CONFIRMED


def test_missing_materials_are_refused_with_ticks_kept(app, world, client, auth):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    html = html_of(post_confirm(client, token, [SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS]))  # no licence
    assert state(application.id)[:3] == (Status.BASE_APPROVED, None, None)
    assert says(html, "Tick every required material before confirming; missing: %(items)s.",
                items=gettext("Physician qualification certificate (original checked, copy kept)"))
    for key in (SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS):
        assert re.search(rf'value="{key}" id="material-{key}" checked', html), key
    assert not re.search(rf'value="{LICENCE}" id="material-{LICENCE}" checked', html)


def test_licence_is_asked_only_where_required(app, world, client, auth):
    recent = residency_application(world, graduated=date(2024, 6, 30), identity=Identity.OPEN_ENTRY)
    token, _url, _code = codes(app, recent)
    auth.login("base_zz", PASSWORD)
    html = html_of(client.get(PAGE, query_string={"code": token}))
    assert f'value="{LICENCE}"' not in html
    assert post_confirm(client, token, [SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS]).status_code == 302
    assert state(recent.id)[:2] == (Status.CONFIRMED, [SIGNED_FORM, PHOTOS, ID_COPY, DIPLOMAS])


def test_fresh_graduate_may_bring_diplomas_later(app, world, client, auth):
    graduate = residency_application(world, graduated=date(2025, 6, 30), identity=Identity.GRADUATE)
    token, _url, _code = codes(app, graduate)
    auth.login("base_zz", PASSWORD)
    assert post_confirm(client, token, [SIGNED_FORM, PHOTOS, ID_COPY]).status_code == 302
    assert state(graduate.id)[:2] == (Status.CONFIRMED, [SIGNED_FORM, PHOTOS, ID_COPY])


def test_double_confirmation_is_refused(app, world, client, auth):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    assert post_confirm(client, token, ALL).status_code == 302
    first = state(application.id)
    html = html_of(post_confirm(client, token, [SIGNED_FORM]))
    assert state(application.id) == first
    confirmed_at = first[2]
    assert says(html, "Already confirmed on site at %(time)s.", time=f"{confirmed_at.year}年{confirmed_at.month}月"
                f"{confirmed_at.day}日 {confirmed_at:%H:%M}")
    assert 'name="materials"' not in html


def test_missing_csrf_token_is_refused(app, world, client, auth):
    application = residency_application(world)
    token, _url, _code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    response = post_confirm(client, token, ALL, token=False)
    assert response.status_code == 400
    assert says(html_of(response), "The page has expired or the form was not sent from this site. "
                                   "Nothing was saved; please try again.")
    assert state(application.id)[:3] == (Status.BASE_APPROVED, None, None)


def test_not_yet_approved_application_cannot_be_confirmed(app, world, client, auth):
    application = residency_application(world, status=Status.SUBMITTED)
    token, _url, _code = codes(app, application)
    auth.login("base_zz", PASSWORD)
    html = html_of(client.get(PAGE, query_string={"code": token}))
    assert 'name="materials"' not in html
    html = html_of(post_confirm(client, token, ALL))
    assert state(application.id)[:3] == (Status.SUBMITTED, None, None)
    assert "张堃" in html


def test_empty_code_asks_for_a_scan(app, world, client, auth):
    auth.login("base_zz", PASSWORD)
    html = html_of(client.get(PAGE))
    assert 'id="code"' in html and "autofocus" in html
    assert post_confirm(client, "", ALL).status_code == 400
