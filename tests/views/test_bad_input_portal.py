"""The bad-input matrix of the trainee portal: every typed field of every portal form (registration,
forgotten password, profile tabs and rows, exemption, residency identity) gets, one at a time, a NUL
byte, 10,000 characters, a right-to-left override (U+202E) and an emoji; every field that takes a
number, a choice or a date gets numbers past 64 bits. Each post answers with a form error in Chinese
(never a 500), the form keeps what was typed, and nothing stored changes. Run it on SQLite and on
PostgreSQL (TEST_DATABASE_URL).

Emoji: refused in names, ID number, phone numbers, unit names and every other one-line field; accepted
in the exemption's free-text content and reason (the trainee's own words), and stored as typed."""
from __future__ import annotations

import html as htmllib
import re
from datetime import date

import pytest
from sqlalchemy import select, text

from app.extensions import db
from models import ExemptionRequest, PracticeScope
from tests.conftest import csrf_token
from tests.factories import PASSWORD, id_number
from tests.flows import applicant  # noqa: F401  (fixture)
from tests.flows import start_gp as start
from tests.flows import ready_trainee, residency_batch
from tests.flows import start_application as start_residency

NUL, LONG, RTL, EMOJI = "张\x00三", "长" * 10000, "abc\u202efdp.exe", "张三😀"
HUGE = ["99999999999999999999", "-99999999999999999999", "1" * 5000]
TEXT_VALUES = {"nul": NUL, "long": LONG, "rtl": RTL, "emoji": EMOJI}
MESSAGES = {"nul": "含有不可见的控制字符（如 NUL 或换行），无法保存，请删除后重试。",
            "rtl": "含有不可见的文字方向控制符（如 U+202E），不允许填写，请重新输入。",
            "emoji": "此处不能填写表情符号或图形符号。"}
FEEDBACK_RE = re.compile(r'<div class="invalid-feedback d-block">(.*?)</div>', re.S)
TABLES = ("account", "trainee", "education", "employment", "licence", "application", "exemption_request",
          "sms_code", "sms_log", "attachment")


def stored() -> dict[str, list]:
    """Every row of the tables a portal form can write."""
    db.session.rollback()
    return {table: sorted(map(tuple, db.session.execute(text(f"SELECT * FROM {table}")).all()), key=repr)
            for table in TABLES}


def errors_of(html: str) -> list[str]:
    return [htmllib.unescape(e).strip() for e in FEEDBACK_RE.findall(html)]


TOKEN_PAGES = {"/portal/register": "/portal/register", "/portal/forgot": "/portal/forgot"}


def check_refused(client, url: str, data: dict, field: str, kind: str, value: str, keep: bool = True):
    """Post ``data`` with ``field`` set to ``value``: a Chinese form error, the value kept, nothing stored."""
    before = stored()
    token = csrf_token(client, TOKEN_PAGES.get(url, "/portal/profile/basic" if "/profile/" in url else url))
    response = client.post(url, data={**data, field: value, "csrf_token": token})
    where = (url, field, kind)
    assert response.status_code in (200, 400), where
    html = response.get_data(as_text=True)
    errors = errors_of(html)
    assert errors, where
    assert all(re.search(r"[\u4e00-\u9fff]", error) for error in errors), (where, errors)
    if kind in MESSAGES:
        assert MESSAGES[kind] in errors, (where, errors)
    if keep and kind in TEXT_VALUES:  # what was typed is still in the form (NUL as the browser shows it)
        shown = htmllib.unescape(html)
        assert value.replace("\x00", "") in shown.replace("\x00", "").replace("\ufffd", ""), where
    assert stored() == before, where


def form_cases(data: dict, text_fields, other_fields, passwords=()):
    for field in text_fields:
        for kind, value in TEXT_VALUES.items():
            yield field, kind, value, field not in passwords
    for field in other_fields:
        for value in HUGE + [NUL, LONG]:
            yield field, "huge", value, False


# --- registration and password recovery (anonymous) ----------------------------------------------------

IDENTITY = {"name": "张三", "id_number": id_number("410102", date(1990, 1, 1)), "mobile": "13912345678", "code": "",
            "action": "send_code"}


def test_registration_identity_step(world, client):
    for field, kind, value, keep in form_cases(IDENTITY, ("name", "id_number", "mobile", "code"), ()):
        check_refused(client, "/portal/register", IDENTITY, field, kind, value, keep)
    for field in ("id_number", "mobile", "code"):
        for value in HUGE:
            check_refused(client, "/portal/register", IDENTITY, field, "huge", value, keep=False)


def test_registration_account_step(world, client):
    client.get("/portal/register")
    with client.session_transaction() as session:
        session["registration"] = {"step": "account", "name": "张三", "id_number": IDENTITY["id_number"],
                                   "mobile": IDENTITY["mobile"]}
    data = {"username": "zhangsan", "password": "Secret.123", "confirm": "Secret.123"}
    for field, kind, value, keep in form_cases(data, ("username", "password", "confirm"), (),
                                               passwords=("password", "confirm")):
        check_refused(client, "/portal/register", data, field, kind, value, keep)


def test_forgotten_password(world, client):
    data = {"mobile": "13912345678", "code": "123456", "password": "Secret.123", "confirm": "Secret.123",
            "action": "reset"}
    for field, kind, value, keep in form_cases(data, ("mobile", "code", "password", "confirm"), (),
                                               passwords=("password", "confirm")):
        check_refused(client, "/portal/forgot", data, field, kind, value, keep)


# --- the profile ------------------------------------------------------------------------------------

def test_profile_basic_and_contact(world, client, applicant):  # noqa: F811
    basic = {"name": "申请人", "gender": "male", "ethnicity": "汉族", "political_status": "masses"}
    for field, kind, value, keep in form_cases(basic, ("name", "ethnicity"), ("gender", "political_status")):
        check_refused(client, "/portal/profile/basic", basic, field, kind, value, keep)
    contact = {"email": "a@example.cn", "address": "郑州市测试路1号", "postal_code": "450000",
               "emergency_contact": "联系人", "emergency_phone": "13700000000"}
    for field, kind, value, keep in form_cases(contact, tuple(contact), ()):
        check_refused(client, "/portal/profile/contact", contact, field, kind, value, keep)
    for field in ("postal_code", "emergency_phone"):
        # (20 digits are a well-formed telephone text for the emergency phone, which allows 7 to 20)
        for value in HUGE if field == "postal_code" else HUGE[1:]:
            check_refused(client, "/portal/profile/contact", contact, field, "huge", value, keep=False)


def test_profile_rows(world, client, applicant):  # noqa: F811
    education = {"school": "医学院", "major": "临床医学", "level": "bachelor", "degree": "bachelor",
                 "start_date": "2010-09-01", "end_date": "2015-07-01", "graduation_date": "2015-07-01",
                 "diploma_number": "123", "degree_number": "456", "full_time": "y"}
    for field, kind, value, keep in form_cases(education, ("school", "major", "diploma_number", "degree_number"),
                                               ("level", "degree", "start_date", "end_date", "graduation_date")):
        check_refused(client, "/portal/profile/education/new", education, field, kind, value, keep)
    employment = {"unit_name": "某某医院", "department": "内科", "region_id": str(world.regions["zy"].id),
                  "unit_level": "secondary", "unit_kind": "hospital", "title": "attending",
                  "title_grade": "intermediate", "start_date": "2016-01-01", "is_current": "y", "institution_id": ""}
    for field, kind, value, keep in form_cases(employment, ("unit_name", "department"),
                                               ("region_id", "unit_level", "unit_kind", "title", "title_grade",
                                                "start_date", "end_date")):
        check_refused(client, "/portal/profile/employment/new", employment, field, kind, value, keep)
    for value in HUGE:  # a forged directory pick is forgotten, and the typed unit needs its level: not stored
        check_refused(client, "/portal/profile/employment/new", {**employment, "unit_level": ""}, "institution_id",
                      "huge", value, keep=False)
    scope = db.session.scalar(select(PracticeScope).order_by(PracticeScope.id))
    licence = {"qualification_number": "Q9", "practice_number": "P9", "category": "clinical",
               "scope_id": str(scope.id), "registered_on": "2015-01-01"}
    for field, kind, value, keep in form_cases(licence, ("qualification_number", "practice_number"),
                                               ("category", "scope_id", "registered_on")):
        check_refused(client, "/portal/profile/licence/new", licence, field, kind, value, keep)


def test_profile_row_ids_past_any_column_are_not_found(world, client, applicant):  # noqa: F811
    for value in HUGE + ["2147483648"]:
        response = client.post(f"/portal/profile/education/{value}/edit",
                                data={"csrf_token": csrf_token(client, "/portal/profile/education")})
        assert response.status_code == 404


# --- applying ---------------------------------------------------------------------------------------

def test_exemption_request(world, client, applicant):  # noqa: F811
    application = start(client, world)
    base = f"/portal/applications/{application.id}"
    client.post(f"{base}/step/4", data={"claims_exemption": "yes", "csrf_token": csrf_token(client, f"{base}/step/4")})
    data = {"type": "1", "content": "基层医疗卫生实践", "reason": "符合条件", "certificate_date": "",
            "training_months": ""}
    url = f"{base}/exemptions"
    TOKEN_PAGES[url] = f"{base}/step/4"
    for field in ("content", "reason"):
        for kind in ("nul", "long", "rtl"):
            check_refused(client, url, data, field, kind, TEXT_VALUES[kind])
    for field in ("type", "training_months", "certificate_date"):
        for value in HUGE + [NUL, LONG]:
            check_refused(client, url, data, field, "huge", value, keep=False)
    for value in HUGE:
        response = client.post(f"{url}/{value}", data={**data, "csrf_token": csrf_token(client, f"{base}/step/4")})
        assert response.status_code in (302, 400, 404)
    # emoji are accepted in the trainee's own words, and stored as typed
    response = client.post(url, data={**data, "content": "基层实践👍", "reason": "符合条件🙏",
                                      "csrf_token": csrf_token(client, f"{base}/step/4")})
    assert response.status_code == 302
    request = db.session.scalar(select(ExemptionRequest).where(ExemptionRequest.application_id == application.id))
    assert (request.content, request.reason) == ("基层实践👍", "符合条件🙏")


def test_residency_identity(world, client, auth):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = start_residency(client, batch)
    url = f"/portal/applications/{application_id}/step/2"
    data = {"identity": "commissioned", "commissioning_unit": "某某医院", "prior_residency_base": "",
            "residency_withdrawn_on": "", "prior_residency_ended_on": "", "prior_residency_passed": "",
            "prior_residency_passed_on": ""}
    for field, kind, value, keep in form_cases(data, ("commissioning_unit", "prior_residency_base"),
                                               ("identity", "residency_withdrawn_on", "prior_residency_ended_on",
                                                "prior_residency_passed")):
        check_refused(client, url, data, field, kind, value, keep)


@pytest.mark.parametrize("value", ["张三", "欧阳娜娜", "阿卜杜拉·买买提", "O'Brien Smith"])
def test_ordinary_names_pass(world, client, applicant, value):  # noqa: F811
    basic = {"name": value, "gender": "male", "ethnicity": "汉族", "political_status": "masses",
             "csrf_token": csrf_token(client, "/portal/profile/basic")}
    response = client.post("/portal/profile/basic", data=basic)
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(type(applicant), applicant.id).name == value
