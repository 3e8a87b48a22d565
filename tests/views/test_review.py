"""Review actions and base assignment in the back office, through the client; capacity under concurrency."""
from __future__ import annotations

import re
import threading

from sqlalchemy import func, select, update

from app.domain.review.assignment import assign_base
from app.domain.workflow import TransitionError
from app.extensions import db
from models import Account, Application, AuditLog, Quota, ReviewRecord, Role, Status, TrainingBase
from tests.conftest import csrf_token
from tests.factories import (
    PASSWORD,
    AccountFactory,
    ApplicationFactory,
    BaseFactory,
    TraineeFactory,
    id_number,
    specialty,
)
from tests.flows import post_review

REVIEW = "/admin/application/review/"
ASSIGN = "/admin/application/assign/"
LIST = "/admin/application/"


def new_application(world, county="zy", status=Status.SUBMITTED, with_account=False):
    city = {"zy": "zz", "js": "zz", "xg": "ly"}[county]
    account = AccountFactory(role=Role.TRAINEE) if with_account else None
    trainee = TraineeFactory(account=account, id_number=id_number(world.regions[county].code))
    application = ApplicationFactory(trainee=trainee, batch=world.batches["gp"], county=world.regions[county],
                                     city=world.regions[city], unit_name="测试单位", status=status)
    db.session.commit()
    return application


def status_of(application_id):
    return db.session.scalar(select(Application.status).where(Application.id == application_id))


def records_of(application_id):
    return db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == application_id)).all()


def test_list_shows_row_buttons_only_for_valid_actions(world, client, auth):
    submitted = new_application(world)
    auth.login("county_zy", PASSWORD)
    html = client.get(LIST).get_data(as_text=True)
    assert html.count('name="action" value="county_approve"') == 1  # only the submitted row
    # one 审核 link to the details page (the return happens there), and a compact approve that asks first
    assert f"/admin/application/details/?id={submitted.id}&amp;url=" in html and ">审核</a>" in html
    assert "action=county_return" not in html and 'data-confirm="确认对' in html
    assert 'value="city_approve"' not in html and "/admin/application/assign/" not in html


def test_a_rows_approve_form_posted_as_the_browser_sends_it_approves_that_row(world, client, auth):
    """The one-click ✓ form of a list row, read from the page and posted field by field as a browser
    posts it, approves that application (and the other row's form, the other one)."""
    first, second = new_application(world), new_application(world)
    auth.login("county_zy", PASSWORD)
    html = client.get(LIST).get_data(as_text=True)
    forms = {}
    for form in re.findall(r'<form method="post" action="([^"]+)" class="d-inline row-approve"[^>]*>(.*?)</form>', html, re.S):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[1]))
        forms[int(fields["ids"])] = (form[0], fields)
    assert set(forms) == {first.id, second.id}
    action, fields = forms[first.id]
    assert fields["action"] == "county_approve" and fields[f"seen_{first.id}"] == str(first.version)
    response = client.post(action.replace("&amp;", "&"), data={k: v.replace("&amp;", "&") for k, v in fields.items()},
                           follow_redirects=True)
    assert response.status_code == 200
    assert status_of(first.id) == Status.COUNTY_APPROVED and status_of(second.id) == Status.SUBMITTED


def test_county_approves_one_row(world, client, auth):
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    response = post_review(client, "county_approve", [application.id])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "待市级审核" in html or Status.label(Status.COUNTY_APPROVED) in html
    assert status_of(application.id) == Status.COUNTY_APPROVED
    records = records_of(application.id)
    assert len(records) == 1 and records[0].actor_id == world.accounts["county_zy"].id
    assert records[0].action == "county_approve"


def test_return_needs_a_reason_and_keeps_what_was_typed(world, client, auth):
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    form = client.get(f"{REVIEW}?action=county_return&ids={application.id}").get_data(as_text=True)
    assert "外出参培证明未加盖单位公章" in form and 'name="fields_to_fix"' in form
    response = post_review(client, "county_return", [application.id], reason="   ", fields=["教育信息"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请填写理由。" in html and "is-invalid" in html
    assert status_of(application.id) == Status.SUBMITTED and records_of(application.id) == []


def test_return_with_reason_reaches_the_trainee(world, client, auth):
    application = new_application(world, with_account=True)
    auth.login("county_zy", PASSWORD)
    response = post_review(client, "county_return", [application.id], reason="职称证书照片不清晰，请重新上传",
                           fields=["职称证书"])
    assert response.status_code == 200
    assert status_of(application.id) == Status.RETURNED
    record = records_of(application.id)[0]
    assert record.reason == "职称证书照片不清晰，请重新上传" and record.fields_to_fix == ["职称证书"]
    auth.logout()
    auth.login(application.trainee.account.username, PASSWORD)
    html = client.get(f"/portal/applications/{application.id}").get_data(as_text=True)
    assert "退回修改" in html and "职称证书照片不清晰" in html


def test_bulk_approve_with_a_forged_out_of_scope_id(world, client, auth):
    mine = [new_application(world), new_application(world)]
    theirs = new_application(world, county="xg")
    auth.login("county_zy", PASSWORD)
    response = post_review(client, "county_approve", [mine[0].id, theirs.id, "1,2", mine[1].id])
    html = response.get_data(as_text=True)
    assert all(status_of(a.id) == Status.COUNTY_APPROVED for a in mine)
    assert status_of(theirs.id) == Status.SUBMITTED and records_of(theirs.id) == []
    refused = html.split("review-refused", 1)[1]
    assert f"<td>{theirs.id}</td>" in refused and "不在您的管辖范围内" in refused
    assert "记录编号无效" in refused
    assert "已处理 2 条，未处理 2 条" in html


def test_bulk_action_from_the_list_opens_the_form(world, client, auth):
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    response = client.post("/admin/application/action/",
                           data={"action": "return", "rowid": [str(application.id)],
                                 "csrf_token": csrf_token(client, LIST)})
    assert response.status_code == 302
    assert "/admin/application/review/" in response.headers["Location"]
    assert "action=county_return" in response.headers["Location"]
    assert status_of(application.id) == Status.SUBMITTED


def test_wrong_state_action_is_refused(world, client, auth):
    application = new_application(world)
    auth.login("city_zz", PASSWORD)
    html = post_review(client, "city_approve", [application.id]).get_data(as_text=True)
    assert "不能进行" in html.split("review-refused", 1)[1]
    assert status_of(application.id) == Status.SUBMITTED and records_of(application.id) == []


def test_double_submit_applies_once(world, client, auth):
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    token = csrf_token(client, LIST)
    first = post_review(client, "county_approve", [application.id], token=token).get_data(as_text=True)
    second = post_review(client, "county_approve", [application.id], token=token).get_data(as_text=True)
    assert "review-done" in first and "review-refused" not in first
    assert "review-refused" in second and "review-done" not in second
    assert len(records_of(application.id)) == 1
    assert status_of(application.id) == Status.COUNTY_APPROVED


def test_support_cannot_review(world, client, auth):
    application = new_application(world)
    auth.login("support", PASSWORD)
    assert post_review(client, "county_approve", [application.id]).status_code == 403
    assert client.get(f"{REVIEW}?action=county_approve&ids={application.id}").status_code == 403
    assert client.get(f"{ASSIGN}?ids={application.id}").status_code == 403
    assert status_of(application.id) == Status.SUBMITTED


def test_missing_csrf_token_changes_nothing(world, client, auth):
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    response = client.post(REVIEW, data={"action": "county_approve", "ids": [str(application.id)]})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    response = client.post(REVIEW, data={"action": "county_approve", "ids": [str(application.id)],
                                         "csrf_token": "expired"})
    assert response.status_code == 400
    assert status_of(application.id) == Status.SUBMITTED and records_of(application.id) == []


# --- base assignment ------------------------------------------------------------------------------

def test_assign_form_lists_gp_bases_with_remaining_places(world, client, auth):
    application = new_application(world, status=Status.CITY_APPROVED)
    auth.login("city_zz", PASSWORD)
    html = client.get(f"{ASSIGN}?ids={application.id}").get_data(as_text=True)
    assert "测试基地郑州 — 剩余 4 个名额（共 5 个）" in html
    response = client.post(ASSIGN, data={"ids": [str(application.id)], "base_id": str(world.bases["zz"].id),
                                         "csrf_token": csrf_token(client, LIST)})
    assert "review-done" in response.get_data(as_text=True)
    db.session.refresh(application)
    assert application.status == Status.ASSIGNED and application.base_id == world.bases["zz"].id


def test_assign_to_a_full_base_is_refused(world, client, auth):
    world.quotas["zz"].capacity = 1  # the world already assigned one application to 郑州
    db.session.commit()
    application = new_application(world, status=Status.CITY_APPROVED)
    auth.login("city_zz", PASSWORD)
    html = client.post(ASSIGN, data={"ids": [str(application.id)], "base_id": str(world.bases["zz"].id),
                                     "csrf_token": csrf_token(client, LIST)}).get_data(as_text=True)
    assert "名额已满" in html.split("review-refused", 1)[1]
    db.session.refresh(application)
    assert application.status == Status.CITY_APPROVED and application.base_id is None


def test_assign_to_a_base_without_gp_is_refused(world, client, auth):
    residency_only = BaseFactory(name="住培基地", city=world.regions["zz"], trains_gp_transfer=False)
    db.session.add(Quota(batch=world.batches["gp"], base=residency_only, specialty=specialty("0700"), capacity=9))
    no_quota = BaseFactory(name="无名额基地", city=world.regions["zz"])
    application = new_application(world, status=Status.CITY_APPROVED)
    auth.login("city_zz", PASSWORD)
    form = client.get(f"{ASSIGN}?ids={application.id}").get_data(as_text=True)
    assert "住培基地" not in form and "无名额基地" not in form
    for base, words in ((residency_only, "不承担全科转岗培训"), (no_quota, "没有全科名额")):
        html = client.post(ASSIGN, data={"ids": [str(application.id)], "base_id": str(base.id),
                                         "csrf_token": csrf_token(client, LIST)}).get_data(as_text=True)
        assert words in html.split("review-refused", 1)[1]
    db.session.refresh(application)
    assert application.status == Status.CITY_APPROVED and application.base_id is None


def test_concurrent_assignments_never_overbook(app, world):
    """N threads, each with its own app context and session, assign N applications to a base with
    fewer places than N at once: exactly the free places are taken, the rest are refused."""

    n = 6
    ids = [new_application(world, status=Status.CITY_APPROVED).id for _ in range(n)]
    quota_id, base_id, actor_id = world.quotas["zz"].id, world.bases["zz"].id, world.accounts["city_zz"].id
    capacity = db.session.get(Quota, quota_id).capacity  # 5, one already taken in the world
    already = db.session.scalar(select(func.count(Application.id)).where(
        Application.base_id == base_id, Application.status == Status.ASSIGNED))
    assert capacity - already < n
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(application_id):
        with app.app_context():
            try:
                application = db.session.get(Application, application_id)
                base = db.session.get(TrainingBase, base_id)
                actor = db.session.get(Account, actor_id)
                barrier.wait(timeout=10)
                assign_base(application, base, actor)
                db.session.commit()
                result = "done"
            except TransitionError as error:
                db.session.rollback()
                result = f"refused: {error}"
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                result = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assigned = db.session.scalar(select(func.count(Application.id)).where(
        Application.base_id == base_id, Application.status == Status.ASSIGNED))
    assert [o for o in outcomes if o.startswith("error")] == []
    assert assigned == capacity
    assert outcomes.count("done") == capacity - already
    assert len([o for o in outcomes if o.startswith("refused") and "名额已满" in o]) == n - (capacity - already)
    assert db.session.scalar(select(func.count(ReviewRecord.id)).where(
        ReviewRecord.application_id.in_(ids), ReviewRecord.action == "assign_base")) == capacity - already
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.field_name == "status",
                                                                   AuditLog.new_value == Status.ASSIGNED)) \
        == capacity - already


def test_decision_on_a_version_the_reviewer_did_not_see_is_refused(world, client, auth):
    """The reviewer looked at the list; meanwhile the application went back to draft and was
    submitted again with new content. Approving it now would approve what nobody read."""
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    html = client.get(LIST).get_data(as_text=True)
    seen = int(re.search(rf'name="seen_{application.id}" value="(\d+)"', html).group(1))
    assert seen == application.version
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(version=Application.version + 2, updated_at=application.updated_at))
    db.session.commit()
    response = client.post(REVIEW, data={"action": "county_approve", "ids": [str(application.id)],
                                         f"seen_{application.id}": str(seen),
                                         "csrf_token": csrf_token(client, LIST)})
    html = response.get_data(as_text=True)
    assert "review-refused" in html and "请刷新页面" in html
    assert status_of(application.id) == Status.SUBMITTED and records_of(application.id) == []
    # the return link carries the version into the form, which posts it back
    form = client.get(f"{REVIEW}?action=county_return&ids={application.id}&seen_{application.id}={seen}")
    assert f'name="seen_{application.id}" value="{seen}"' in form.get_data(as_text=True)
    # reloading the list shows the current version, and the decision goes through
    html = client.get(LIST).get_data(as_text=True)
    current = re.search(rf'name="seen_{application.id}" value="(\d+)"', html).group(1)
    response = client.post(REVIEW, data={"action": "county_approve", "ids": [str(application.id)],
                                         f"seen_{application.id}": current, "csrf_token": csrf_token(client, LIST)})
    assert "review-done" in response.get_data(as_text=True)
    assert status_of(application.id) == Status.COUNTY_APPROVED


def test_expired_page_keeps_the_typed_reason_and_changes_nothing(world, client, auth):
    """After a long pause the session's token no longer matches: the post is refused with a Chinese
    message, the reviewer lands on the same form, and the reason typed is still there."""
    application = new_application(world)
    auth.login("county_zy", PASSWORD)
    form_url = f"{REVIEW}?action=county_return&ids={application.id}"
    client.get(form_url)
    response = client.post(REVIEW, data={"action": "county_return", "ids": [str(application.id)],
                                         "reason": "学历证书照片不清晰，请重新上传", "csrf_token": "stale-token"},
                           headers={"Referer": "http://localhost" + form_url})
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    assert "页面已过期" in html and "学历证书照片不清晰，请重新上传" in html
    assert status_of(application.id) == Status.SUBMITTED and records_of(application.id) == []
    # only once: a reload shows the empty form again
    assert "学历证书照片不清晰" not in client.get(form_url).get_data(as_text=True)
