"""Login works with a username, an ID number or a mobile number; the same failure counting applies, and an
identifier that names two accounts is refused as a wrong password is."""
from app.extensions import db
from models import Account, Trainee
from tests.factories import PASSWORD, AccountFactory, TraineeFactory, id_number

WRONG = "用户名或密码错误"


def logged_in(response) -> bool:
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def test_a_trainee_logs_in_with_username_id_number_or_mobile(world, client, auth):
    trainee = db.session.get(Trainee, world.trainees["zy"].id)
    for identifier in ("trainee_zy", trainee.id_number, trainee.id_number.lower(), trainee.mobile):
        response = auth.login(identifier, PASSWORD)
        assert logged_in(response), identifier
        assert "学员中心" in client.get("/portal/").get_data(as_text=True)
        auth.logout("/portal/")


def test_another_persons_id_number_with_a_wrong_password_behaves_like_a_wrong_password(world, client, auth):
    other = db.session.get(Trainee, world.trainees["xg"].id)
    response = auth.login(other.id_number, "Wrong.pass1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and WRONG in html
    assert db.session.get(Account, other.account_id).failed_logins == 1  # counted against that account
    unknown = auth.login(id_number("410102"), "Wrong.pass1").get_data(as_text=True)
    assert WRONG in unknown


def test_failures_by_id_number_lock_the_account_as_failures_by_username_do(app, world, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 3)
    trainee = db.session.get(Trainee, world.trainees["zy"].id)
    auth.login("trainee_zy", "Wrong.pass1")
    auth.login(trainee.id_number, "Wrong.pass1")
    third = auth.login(trainee.mobile, "Wrong.pass1").get_data(as_text=True)
    assert "锁定" in third
    assert not logged_in(auth.login(trainee.id_number, PASSWORD))  # locked: the right password waits too


def test_a_mobile_shared_by_two_accounts_is_refused_safely(world, client, auth):
    first = db.session.get(Trainee, world.trainees["zy"].id)
    twin = TraineeFactory(account=AccountFactory(username="twin_user"), id_number=id_number("410102"),
                          mobile=first.mobile)
    db.session.commit()
    response = auth.login(first.mobile, PASSWORD)
    assert response.status_code == 200 and WRONG in response.get_data(as_text=True)
    assert db.session.get(Account, first.account_id).failed_logins == 0
    assert db.session.get(Account, twin.account_id).failed_logins == 0
    assert logged_in(auth.login("trainee_zy", PASSWORD))  # the username still works


def test_an_id_number_that_is_also_another_accounts_username_is_refused_safely(world, client, auth):
    trainee = db.session.get(Trainee, world.trainees["zy"].id)
    AccountFactory(username=trainee.id_number)
    db.session.commit()
    response = auth.login(trainee.id_number, PASSWORD)
    assert response.status_code == 200 and WRONG in response.get_data(as_text=True)


def test_the_login_form_names_the_three_identifiers(client):
    html = client.get("/login").get_data(as_text=True)
    assert "用户名 / 身份证号 / 手机号" in html
