"""The withdrawal records and the bar list at application: 退培 3 年内不得再次参加住培 read by ID number,
a contradicting declaration flagged to the base and the province, and the bar list (黑名单)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.enrollment import residency
from app.domain.rules import add_years
from app.domain.withdrawals import active_bar
from app.extensions import db
from models import Application, BarEntry, Status
from models.clock import today
from tests.conftest import csrf_token
from tests.factories import PASSWORD, specialty
from tests.flows import INTERNAL, apply_residency, ready_trainee, residency_batch, step_url, submit_application
from tests.forms import post, valid_id
from tests.withdrawal_helpers import admitted, stored_withdrawal

SEED = "退培需退还财政资金，退培 3 年内不得再次参加住培"


def cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.seed(SEED)
@pytest.mark.parametrize("applied_on, passed", [(date(2024, 5, 9), False), (date(2024, 5, 10), True),
                                                (date(2024, 5, 11), True)])
def test_an_approved_record_of_the_id_number_counts_three_years_from_the_withdrawal(world, applied_on, passed):
    """退培需退还财政资金，退培 3 年内不得再次参加住培 (2024 年住培招收工作方案, 二、招收对象).

    Measured against the day of the application (the pre-check and the submission run on that day: the
    existing rule's ``on``), not the batch's dates: withdrawn 2021-05-10, applying on 2024-05-09 (3
    years minus a day) is refused, on 2024-05-10 (exactly 3 years) and 2024-05-11 it passes."""
    earlier = admitted(world, name="王某")
    stored_withdrawal(earlier, date(2021, 5, 10))
    result = {r.code: r for r in residency.check(earlier, applied_on)}["no_recent_withdrawal"]
    assert result.passed is passed
    assert result.params == {"date": "2021-05-10", "until": "2024-05-10"}


@pytest.mark.seed(SEED)
def test_pending_and_returned_records_do_not_count(world):
    """退培需退还财政资金，退培 3 年内不得再次参加住培: only a record the province approved binds the person."""
    earlier = admitted(world, name="王某")
    stored_withdrawal(earlier, date(2023, 5, 10), status="pending")
    stored_withdrawal(earlier, date(2023, 6, 10), status="returned")
    assert {r.code: r for r in residency.check(earlier, date(2024, 5, 10))}["no_recent_withdrawal"].passed


@pytest.mark.seed(SEED)
@pytest.mark.parametrize("years_ago_minus_days, blocked", [(1, True), (0, False), (-1, False)])
def test_a_trainee_with_a_record_under_another_account_cannot_submit(world, client, auth, years_ago_minus_days,
                                                                     blocked):
    """退培需退还财政资金，退培 3 年内不得再次参加住培: the record of the ID number (made under an earlier
    account) is read at application, whatever the trainee declares; 3 years minus a day before the day of
    application blocks, exactly 3 years and 3 years and a day pass."""
    trainee = ready_trainee(world)
    withdrawn = add_years(today(), -3) + timedelta(days=years_ago_minus_days)
    stored_withdrawal(admitted(world, name="旧账号"), withdrawn, id_number=trainee.id_number)
    batch = residency_batch(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id])
    page = html(client.get(step_url(application_id, 5)))
    message = f"{cn(withdrawn)} 退培，{cn(add_years(withdrawn, 3))} 前不得再次报名参加住培"
    assert (message in page) is blocked
    submit_application(client, application_id)
    status = db.session.scalar(select(Application.status).where(Application.id == application_id))
    assert status == (Status.DRAFT if blocked else Status.SUBMITTED)


@pytest.mark.seed(SEED)
def test_a_declaration_that_contradicts_the_records_is_flagged_to_base_and_province(world, client, auth):
    """退培需退还财政资金，退培 3 年内不得再次参加住培: the trainee declared nothing, the records say otherwise."""
    application = admitted(world, name="李隐瞒")
    application.status = Status.BASE_APPROVED
    db.session.commit()
    stored_withdrawal(admitted(world, name="旧账号"), date(2022, 3, 1), id_number=application.trainee.id_number)
    for username in ("base_zz", "province"):
        auth.login(username, PASSWORD)
        page = html(client.get(f"/admin/application/details/?id={application.id}"))
        assert "退培填报与记录不符" in page and "学员未填报退培经历" in page and "2022-03-01" in page
        auth.logout()
    application.snapshot = {**application.snapshot, "residency_withdrawn_on": "2022-03-01"}
    db.session.commit()
    auth.login("province", PASSWORD)
    assert "退培填报与记录不符" not in html(client.get(f"/admin/application/details/?id={application.id}"))
    application.snapshot = {**application.snapshot, "residency_withdrawn_on": "2020-01-01"}
    db.session.commit()
    page = html(client.get(f"/admin/application/details/?id={application.id}"))
    assert "学员填报的退培日期为 2020-01-01" in page


# --- the bar list ---------------------------------------------------------------------------------

def bar(id_number: str, starts: date, ends: date) -> BarEntry:
    entry = BarEntry(name="黑名单人员", id_number=id_number, reason="提供虚假材料，正在调查", starts_on=starts,
                     ends_on=ends, approved_by="省卫健委科教处 豫卫科教〔2024〕1号")
    db.session.add(entry)
    db.session.commit()
    return entry


@pytest.mark.parametrize("day, barred", [(date(2024, 12, 31), False), (date(2025, 1, 1), True),
                                         (date(2025, 12, 31), True), (date(2026, 1, 1), False)])
def test_a_bar_holds_from_its_first_to_its_last_day(world, day, barred):
    """The bar list's period includes both ends: the day before and the day after are free."""
    number = world.trainees["zy"].id_number
    bar(number, date(2025, 1, 1), date(2025, 12, 31))
    assert (active_bar(number, day) is not None) is barred


def test_a_barred_trainee_is_told_to_contact_the_province_without_the_reason(world, client, auth):
    trainee = ready_trainee(world)
    bar(trainee.id_number, today() - timedelta(days=1), today() + timedelta(days=30))
    batch = residency_batch(world)
    auth.login("trainee_zy", PASSWORD)
    response = client.post("/portal/apply", data={"csrf_token": csrf_token(client, "/portal/apply"), "batch_id": batch.id},
                           follow_redirects=True)
    page = html(response)
    assert "您目前不能报名。请联系省卫生健康委员会科技教育处咨询" in page
    assert "虚假材料" not in page
    assert db.session.scalar(select(func.count()).select_from(Application).where(
        Application.trainee_id == trainee.id, Application.batch_id == batch.id)) == 0


def test_province_keeps_the_bar_list_and_others_cannot(world, client, auth):
    auth.login("province", PASSWORD)
    number = valid_id("410102", date(1990, 1, 1))
    form = {"name": "赵某", "id_number": number, "reason": "冒名顶替", "starts_on": "2025-01-01",
            "ends_on": "2027-12-31", "approved_by": "省卫健委 张处长"}
    for changes, message in (({"id_number": number[:-1] + ("0" if number[-1] != "0" else "1")}, "身份证"),
                             ({"ends_on": "2024-12-31"}, "截止日期不能早于起始日期"),
                             ({"approved_by": ""}, "")):
        response = post(client, "/admin/bar_entry/new/", {**form, **changes})
        assert response.status_code == 200 and message in html(response) and "冒名顶替" in html(response)
    assert db.session.scalar(select(func.count()).select_from(BarEntry)) == 0
    post(client, "/admin/bar_entry/new/", form)
    entry = db.session.scalars(select(BarEntry)).one()
    assert (entry.id_number, entry.approved_by, entry.created_by_id) == (number, "省卫健委 张处长",
                                                                         world.accounts["province"].id)
    auth.logout()
    for username in ("base_zz", "city_zz", "county_zy"):
        auth.login(username, PASSWORD)
        assert client.get("/admin/bar_entry/").status_code == 403
        assert client.get(f"/admin/bar_entry/details/?id={entry.id}").status_code == 403
        auth.logout()
    auth.login("support", PASSWORD)
    assert "赵某" in html(client.get("/admin/bar_entry/"))
    assert client.get("/admin/bar_entry/new/").status_code in (302, 403)
