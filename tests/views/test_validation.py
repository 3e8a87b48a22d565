"""Input checks: ID numbers, mobiles and passwords as functions, then through the back office's
forms, where a refused entry must show a Chinese message at the field, keep what was typed and
change nothing in the database."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from app.extensions import db
from app.validators import IdNumberError, check_id_number, is_mobile, password_problems
from models import Account, Batch, Role, Trainee
from models.clock import today
from models.enums import BatchRound, BatchStatus, Program
from tests.factories import PASSWORD, TraineeFactory
from tests.forms import NOT_CREATED, NOT_SAVED, field_group, input_value, post, trainee_form, valid_id

# what a user reads (translations/zh_Hans_CN/LC_MESSAGES/messages.po)
CHECK_DIGIT = "身份证号码校验位错误，请核对。"
EIGHTEEN = "身份证号码应为18位。"
FORMAT = "身份证号码应为17位数字加1位数字或X。"
BAD_DATE = "身份证号码中的出生日期不是有效日期。"
FUTURE = "身份证号码中的出生日期晚于今天。"
NO_REGION = "身份证号码中的地区码不存在。"
MOBILE = "请输入以1开头的11位手机号码。"
PW_LENGTH = "密码长度须为8-20位。"
PW_LETTER = "密码须包含字母。"
PW_DIGIT = "密码须包含数字。"
PW_SPECIAL = "密码须包含至少一个特殊字符 .#@!%$&_-'"
PW_CHARSET = "密码只能包含字母、数字和特殊字符 .#@!%$&_-'"
CSRF = "页面已过期或表单来源无效，本次操作未保存，请刷新页面后重试。"


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def id_error(value: str) -> str:
    with pytest.raises(IdNumberError) as caught:
        check_id_number(value)
    return str(caught.value)


@pytest.fixture
def request_ctx(app):
    """Messages are translated per request (the platform speaks Chinese)."""
    with app.test_request_context("/"):
        yield


# --- ID numbers -------------------------------------------------------------------------------

def test_valid_id_number_is_accepted_and_normalised(request_ctx):
    number = valid_id()
    assert check_id_number(number) == number
    assert check_id_number(f" {number} ") == number
    assert check_id_number("11010519491231002x") == "11010519491231002X"


def test_wrong_check_digit(request_ctx):
    assert id_error(wrong_check_digit(valid_id())) == CHECK_DIGIT


def test_seventeen_characters(request_ctx):
    assert id_error(valid_id()[:17]) == EIGHTEEN
    assert id_error(valid_id() + "1") == EIGHTEEN


def test_letters(request_ctx):
    assert id_error("4101021988031400A1") == FORMAT
    assert id_error("41010219880314001Y") == FORMAT


def test_empty(request_ctx):
    assert id_error("") == "请输入身份证号码。"


def test_impossible_birth_date(request_ctx):
    assert id_error(with_check_digit("41010219880230001")) == BAD_DATE
    assert id_error(with_check_digit("41010219881301001")) == BAD_DATE


def test_future_birth_date(request_ctx):
    tomorrow = today() + timedelta(days=1)
    assert id_error(with_check_digit(f"410102{tomorrow:%Y%m%d}001")) == FUTURE
    assert id_error(with_check_digit("41010220990101001")) == FUTURE


@pytest.mark.parametrize("region_code", ["999999", "410199", "110001", "000000"])
def test_unknown_region_code(request_ctx, region_code):
    assert id_error(with_check_digit(f"{region_code}19880314001")) == NO_REGION


# --- mobiles and passwords --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["13812345678", "19912345678", "15000000000"])
def test_mobile_accepted(value):
    assert is_mobile(value)


@pytest.mark.parametrize("value", ["", None, "1381234567", "138123456789", "12812345678", "23812345678",
                                   "1381234567a", "+8613812345678", "138 1234 5678"])
def test_mobile_refused(value):
    assert not is_mobile(value)


def test_good_password_has_no_problems(request_ctx):
    assert password_problems("Secret.123") == []
    assert password_problems("a1." + "b" * 17) == []  # 20 characters


@pytest.mark.parametrize("password, problem", [
    ("Ab.1234", PW_LENGTH),              # 7 characters
    ("Ab.1" + "2" * 17, PW_LENGTH),      # 21 characters
    ("1234.5678", PW_LETTER),
    ("Abcd.efgh", PW_DIGIT),
    ("Abcd12345", PW_SPECIAL),
    ("Abcd.1234 ", PW_CHARSET),          # a space
    ("Abcd.1234中", PW_CHARSET),
    ("Abcd.1234*", PW_CHARSET),
], ids=["too-short", "too-long", "no-letter", "no-digit", "no-special", "space", "chinese", "asterisk"])
def test_each_password_rule_alone(request_ctx, password, problem):
    assert password_problems(password) == [problem]


# --- back-office helpers ----------------------------------------------------------------------

def count(model) -> int:
    db.session.rollback()  # the test and the requests share a session: read what is stored
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def support(world, auth):
    auth.login("support", PASSWORD)
    return world


@pytest.fixture
def superuser(world, auth):
    auth.login("super", PASSWORD)
    return world


# --- trainees ---------------------------------------------------------------------------------

def test_valid_trainee_is_created(support, client):
    number = valid_id("410303", date(1990, 7, 1))
    response = post(client, "/admin/trainee/new/", trainee_form(id_number=number, name="王五"))
    assert response.status_code == 302
    trainee = db.session.scalar(select(Trainee).where(Trainee.id_number == number))
    assert trainee.name == "王五"
    assert trainee.birth_date == date(1990, 7, 1)  # derived from the number


def test_wrong_check_digit_is_shown_at_the_field_and_the_entry_is_kept(support, client):
    before = count(Trainee)
    bad = wrong_check_digit(valid_id())
    response = post(client, "/admin/trainee/new/", trainee_form(id_number=bad, name="张三丰"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert CHECK_DIGIT in field_group(html, "id_number")
    assert CHECK_DIGIT not in field_group(html, "name")
    assert input_value(html, "name") == "张三丰"
    assert input_value(html, "id_number") == bad
    assert input_value(html, "mobile") == "13912345678"
    assert NOT_CREATED in html and "Failed to" not in html  # not Flask-Admin's untranslated English
    assert count(Trainee) == before


def test_duplicate_id_number_is_refused(support, client):
    existing = TraineeFactory(name="李四", id_number=valid_id(), mobile="13700000000")
    db.session.commit()
    before = count(Trainee)
    response = post(client, "/admin/trainee/new/", trainee_form(id_number=existing.id_number, name="李四重复"),
                    follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已经存在" in field_group(html, "id_number")
    assert input_value(html, "name") == "李四重复"
    assert "Failed to" not in html
    assert count(Trainee) == before
    assert db.session.scalars(select(Trainee.name).where(Trainee.id_number == existing.id_number)).all() == ["李四"]


def test_account_already_linked_is_refused_by_the_database_with_a_chinese_message(superuser, client):
    """Nothing in the form checks that an account belongs to one trainee; the database does
    (base.py's handle_view_exception turns the IntegrityError into a Chinese message)."""
    taken = superuser.accounts["trainee_zy"]
    before = count(Trainee)
    response = post(client, "/admin/trainee/new/", trainee_form(name="抢账号", account=str(taken.id)),
                    follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未保存：数据与已有记录冲突或缺少必填项" in html
    assert count(Trainee) == before
    assert db.session.scalar(select(Trainee.name).where(Trainee.account_id == taken.id)) == "学员中原区"


def test_over_long_name_is_refused(support, client):
    before = count(Trainee)
    response = post(client, "/admin/trainee/new/", trainee_form(name="张" * 51))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "字段长度不能超过 50 个字符" in field_group(html, "name")
    assert count(Trainee) == before


def test_fifty_character_name_is_accepted(support, client):
    number = valid_id()
    response = post(client, "/admin/trainee/new/", trainee_form(name="张" * 50, id_number=number))
    assert response.status_code == 302
    assert db.session.scalar(select(Trainee.name).where(Trainee.id_number == number)) == "张" * 50


@pytest.mark.parametrize("mobile", ["1391234567", "23912345678", "139-1234-567"])
def test_bad_mobile_is_refused(support, client, mobile):
    before = count(Trainee)
    response = post(client, "/admin/trainee/new/", trainee_form(mobile=mobile, name="赵六"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert MOBILE in field_group(html, "mobile")
    assert input_value(html, "name") == "赵六"
    assert count(Trainee) == before


@pytest.mark.parametrize("region_code", ["410199", "999999"])
def test_unknown_region_in_the_form_is_an_error_not_a_crash(support, client, region_code):
    before = count(Trainee)
    response = post(client, "/admin/trainee/new/",
                    trainee_form(id_number=with_check_digit(f"{region_code}19880314001")))
    assert response.status_code == 200
    assert NO_REGION in field_group(response.get_data(as_text=True), "id_number")
    assert count(Trainee) == before


@pytest.mark.parametrize("field, value, message", [
    ("id_number", "wrong-check-digit", CHECK_DIGIT),
    ("mobile", "12345", MOBILE),
    ("name", "名" * 51, "字段长度不能超过 50 个字符"),
], ids=["id_number", "mobile", "name"])
def test_editing_with_a_bad_value_keeps_the_stored_data(support, client, field, value, message):
    trainee = TraineeFactory(name="钱七", id_number=valid_id(), mobile="13600000000")
    db.session.commit()
    trainee_id, stored_number = trainee.id, trainee.id_number
    if value == "wrong-check-digit":
        value = wrong_check_digit(stored_number)
    form = trainee_form(name="钱七改", id_number=stored_number, mobile="13600000001")
    form[field] = value
    url = f"/admin/trainee/edit/?id={trainee_id}"
    response = post(client, url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_group(html, field)
    assert NOT_SAVED in html and "Failed to" not in html
    db.session.rollback()
    stored = db.session.get(Trainee, trainee_id)
    assert (stored.name, stored.id_number, stored.mobile) == ("钱七", stored_number, "13600000000")


# --- accounts ---------------------------------------------------------------------------------

def account_form(**changes) -> dict:
    form = {"username": "newuser", "display_name": "新用户", "password": "Good.pass1", "phone": "",
            "role": Role.SUPPORT, "base": "__None", "is_active_account": "y", "locked_until": ""}
    form.update(changes)
    return form


def account_exists(username: str) -> bool:
    db.session.rollback()
    return db.session.scalar(select(Account.id).where(Account.username == username)) is not None


def test_valid_account_is_created(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="county_new",
                                                                 role=Role.COUNTY_REVIEWER,
                                                                 region=str(superuser.regions["js"].id)))
    assert response.status_code == 302
    account = db.session.scalar(select(Account).where(Account.username == "county_new"))
    assert account.region_id == superuser.regions["js"].id
    assert account.check_password("Good.pass1")


def test_county_reviewer_without_region_is_refused_at_the_region_field(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="county_new",
                                                                 role=Role.COUNTY_REVIEWER))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "区县审核员必须选择一个区县" in field_group(html, "region")
    assert input_value(html, "username") == "county_new"
    assert NOT_CREATED in html and "Failed to" not in html
    assert not account_exists("county_new")


def test_county_reviewer_with_a_city_that_has_counties_is_refused(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="county_new", role=Role.COUNTY_REVIEWER,
                                                                 region=str(superuser.regions["zz"].id)))
    assert "区县审核员必须选择一个区县" in field_group(response.get_data(as_text=True), "region")
    assert not account_exists("county_new")


def test_base_staff_without_base_is_refused(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="base_new", role=Role.BASE_STAFF))
    html = response.get_data(as_text=True)
    assert "培训基地管理员必须选择培训基地。" in field_group(html, "base")
    assert not account_exists("base_new")


def test_weak_password_is_refused(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="weakling", password="abcdefgh"))
    html = response.get_data(as_text=True)
    group = field_group(html, "password")
    assert response.status_code == 200
    assert PW_DIGIT in group and PW_SPECIAL in group
    assert not account_exists("weakling")


def test_missing_password_on_create_is_refused(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="nopass", password=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "新建账号必须设置密码。" in field_group(html, "password")
    assert not account_exists("nopass")


def test_empty_password_on_edit_keeps_the_password(superuser, client):
    account = superuser.accounts["support"]
    old_hash = account.password_hash
    response = post(client, f"/admin/account/edit/?id={account.id}",
                    account_form(username="support", display_name="技术支持甲", password=""))
    assert response.status_code == 302
    db.session.rollback()
    stored = db.session.get(Account, account.id)
    assert stored.display_name == "技术支持甲" and stored.password_hash == old_hash


def test_bad_account_phone_is_refused(superuser, client):
    response = post(client, "/admin/account/new/", account_form(username="phoney", phone="1234"))
    assert MOBILE in field_group(response.get_data(as_text=True), "phone")
    assert not account_exists("phoney")


# --- batches ----------------------------------------------------------------------------------

def batch_form(**changes) -> dict:
    form = {"name": "2026年全科转岗批次", "year": "2026", "program": Program.GP_TRANSFER, "round": BatchRound.FIRST,
            "status": BatchStatus.DRAFT, "opens_at": "2026-05-01 09:00:00", "closes_at": "2026-05-20 17:00:00",
            "theory_weight": "0.5", "skills_weight": "0.5", "tie_break": "theory,skills,submitted_at"}
    form.update(changes)
    return form


def test_valid_batch_is_created(superuser, client):
    response = post(client, "/admin/batch/new/", batch_form())
    assert response.status_code == 302
    assert db.session.scalar(select(Batch.year).where(Batch.name == "2026年全科转岗批次")) == 2026


@pytest.mark.parametrize("closes_at", ["2026-04-30 09:00:00", "2026-05-01 09:00:00"])
def test_batch_closing_before_it_opens_is_refused(world, auth, client, closes_at):
    auth.login("province", PASSWORD)
    before = count(Batch)
    response = post(client, "/admin/batch/new/", batch_form(closes_at=closes_at))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "报名截止时间必须晚于开始时间。" in field_group(html, "closes_at")
    assert input_value(html, "name") == "2026年全科转岗批次"
    assert count(Batch) == before


# --- CSRF and malformed ids -------------------------------------------------------------------

def test_admin_post_without_csrf_token_changes_nothing(support, client):
    before = count(Trainee)
    form = trainee_form(name="无令牌")
    response = client.post("/admin/trainee/new/", data=form)
    assert response.status_code == 400
    assert CSRF in response.get_data(as_text=True)
    # from a page of the site, the user is sent back to the form with the message
    response = client.post("/admin/trainee/new/", data=form, headers={"Referer": "http://localhost/admin/trainee/new/"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert CSRF in response.get_data(as_text=True)
    # a forged token is no better
    response = client.post("/admin/trainee/new/", data={**form, "csrf_token": "forged"})
    assert response.status_code == 400 and CSRF in response.get_data(as_text=True)
    assert count(Trainee) == before
    assert db.session.scalar(select(Trainee.id).where(Trainee.name == "无令牌")) is None


def test_account_edit_without_csrf_token_changes_nothing(superuser, client):
    account = superuser.accounts["support"]
    response = client.post(f"/admin/account/edit/?id={account.id}",
                           data=account_form(username="support", display_name="被篡改", role=Role.SUPERUSER))
    assert response.status_code == 400 and CSRF in response.get_data(as_text=True)
    db.session.rollback()
    stored = db.session.get(Account, account.id)
    assert stored.role == Role.SUPPORT and stored.display_name != "被篡改"


BAD_IDS = ["abc", "1,2", "-1", "0", "1.5", "99999999999999999999", "1%20OR%201=1", ""]
VIEWS = ["trainee", "account", "batch", "institution", "application", "audit_log", "education", "quota"]


@pytest.mark.parametrize("view", VIEWS)
def test_malformed_ids_in_urls_never_fail(superuser, client, view):
    for bad in BAD_IDS:
        for page in ("edit", "details"):
            response = client.get(f"/admin/{view}/{page}/?id={bad}", follow_redirects=True)
            assert response.status_code == 200, (view, page, bad)
            html = response.get_data(as_text=True)
            assert "系统错误" not in html
        response = post(client, f"/admin/{view}/delete/", {"id": bad}, follow_redirects=True)
        assert response.status_code in (200, 404), (view, bad)
        response = post(client, f"/admin/{view}/action/", {"action": "delete", "rowid": bad}, follow_redirects=True)
        assert response.status_code in (200, 404), (view, bad)
    for query in ("page=abc", "page=-3", "sort=abc", "sort=999", "page_size=abc", "desc=x", "search=%25"):
        response = client.get(f"/admin/{view}/?{query}")
        assert response.status_code == 200, (view, query)


def test_malformed_ids_change_nothing_and_say_so_in_chinese(superuser, client):
    before = count(Trainee)
    response = post(client, "/admin/trainee/action/", {"action": "delete", "rowid": ["1,2", "abc"]},
                    follow_redirects=True)
    assert "记录编号无效。" in response.get_data(as_text=True)
    response = client.get("/admin/trainee/edit/?id=1,2", follow_redirects=True)
    assert "记录不存在。" in response.get_data(as_text=True)
    post(client, "/admin/trainee/delete/", {"id": "1,2"})
    assert count(Trainee) == before


def test_searching_the_rows_of_a_trainee_by_name_finds_them(world, auth, client):
    """The education, employment and licence lists search by the trainee (no 500, the right rows)."""
    auth.login("super", PASSWORD)
    for view, shown in [("education", "测试医学院"), ("employment", "测试中原区卫生院"), ("licence", "Pzy")]:
        response = client.get(f"/admin/{view}/?search=学员中原区")
        assert response.status_code == 200, view
        html = response.get_data(as_text=True)
        assert shown in html and "学员中原区" in html, view
        assert "学员西工区" not in html, view
    response = client.get(f"/admin/application/?search={world.trainees['xg'].id_number}")
    assert response.status_code == 200
    assert "学员西工区" in response.get_data(as_text=True) and "学员中原区" not in response.get_data(as_text=True)


@pytest.mark.parametrize("round_, previous, message", [
    (BatchRound.FIRST, "gp", "只有调剂补录批次需要选择上一阶段批次"),
    (BatchRound.SUPPLEMENTARY, None, "请选择本次调剂补录所承接剩余名额的第一阶段批次"),
    (BatchRound.SUPPLEMENTARY, "gp", "上一阶段批次必须是同一培训项目的第一阶段批次"),
])
def test_batch_previous_round_must_make_sense(world, auth, client, round_, previous, message):
    """调剂补录 takes the seats its first round left: the link must point at a first round of the same program."""
    auth.login("province", PASSWORD)
    before = count(Batch)
    form = batch_form(round=round_, program=Program.GP_TRANSFER if previous is None else Program.RESIDENCY,
                      name="2026年住培调剂补录")
    if previous:
        form["previous_batch"] = str(world.batches[previous].id)
    if form["program"] == Program.RESIDENCY:
        form.update({"skill_items-0-name": "单人徒手心肺复苏", "skill_items-0-mandatory": "y",
                     "skill_items-1-name": "体格检查"})
    response = post(client, "/admin/batch/new/", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in field_group(html, "previous_batch")
    assert count(Batch) == before
