"""The professional master's filing rules (专硕备案), on the domain functions."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.domain.enrollment import residency
from app.domain.filing import FilingError, decide_cross_city, file_student, reopen, request_cross_city, set_deadline
from app.extensions import db
from app.infra.audit import acting_as
from models import AuditLog, CrossCityApproval
from models.enums import ApprovalState
from tests.factories import ApplicationFactory, BatchFactory, id_number
from tests.filing_helpers import (  # noqa: F401  (universities is a fixture)
    DEADLINE,
    YEAR,
    account,
    approve_cross_city,
    at,
    fields,
    filed,
    universities,
    university,
)

pytestmark = pytest.mark.usefixtures("universities")

DEADLINE_SENTENCE = "于 2024 年 8 月 10 日前将本年度专业硕士研究生招收学员信息及培训基地安排情况…报我委备案"


def refusal(username, values) -> str:
    with pytest.raises(FilingError) as caught:
        file_student(account(username), YEAR, values)
    db.session.rollback()
    return str(caught.value)


@pytest.mark.seed(DEADLINE_SENTENCE)
def test_filing_the_day_before_the_deadline_is_on_time(monkeypatch, universities):
    """于 2024 年 8 月 10 日前将本年度专业硕士研究生招收学员信息及培训基地安排情况…报我委备案: 8-9 is on time."""
    at(monkeypatch, DEADLINE - timedelta(days=1))
    filing = file_student(account("univ_zz"), YEAR, fields(universities))
    db.session.commit()
    assert (filing.late, filing.university.name) == (False, "郑州大学")


@pytest.mark.seed(DEADLINE_SENTENCE)
def test_filing_on_the_deadline_is_on_time(monkeypatch, universities):
    """于 2024 年 8 月 10 日前将本年度专业硕士研究生招收学员信息及培训基地安排情况…报我委备案: the deadline's own
    day (8-10, until midnight) still counts."""
    at(monkeypatch, DEADLINE, hour=23)
    assert file_student(account("univ_zz"), YEAR, fields(universities)).late is False


@pytest.mark.seed("逾期不报，所培养的专业硕士研究生不得进入住培系统")
def test_filing_the_day_after_the_deadline_is_refused(monkeypatch, universities):
    """逾期不报，所培养的专业硕士研究生不得进入住培系统: on 8-11 the filing is closed."""
    at(monkeypatch, DEADLINE + timedelta(days=1))
    message = refusal("univ_zz", fields(universities))
    assert "2024-08-10" in message and "省级重新开放" in message
    assert filed() == []


@pytest.mark.seed("逾期不报，所培养的专业硕士研究生不得进入住培系统")
def test_a_reopening_lets_a_late_filing_in_until_its_day(monkeypatch, universities):
    """逾期不报，所培养的专业硕士研究生不得进入住培系统: after the deadline only the province's reopening (with
    an audited reason) lets the university file, marked late, until the reopening's last day."""
    at(monkeypatch, DEADLINE + timedelta(days=5))
    with acting_as(account("province"), "学校系统故障，补报"):
        reopen(account("province"), university("郑州大学"), YEAR, DEADLINE + timedelta(days=6), "学校系统故障，补报")
        db.session.commit()
    assert file_student(account("univ_zz"), YEAR, fields(universities)).late is True
    db.session.commit()
    assert "补报" in " ".join(r.new_value or "" for r in db.session.scalars(
        select(AuditLog).where(AuditLog.table_name == "filing_reopening")))
    at(monkeypatch, DEADLINE + timedelta(days=7))
    assert "省级重新开放" in refusal("univ_zz", fields(universities))
    assert "省级重新开放" in refusal("univ_ly", fields(universities, "ly"))  # reopened for 郑州大学 only


def test_the_deadline_is_a_setting_of_the_year(monkeypatch, universities):
    at(monkeypatch, date(YEAR, 8, 20))
    set_deadline(account("province"), YEAR, date(YEAR, 8, 31))
    db.session.commit()
    assert file_student(account("univ_zz"), YEAR, fields(universities)).late is False


@pytest.mark.seed("各住培基地不得接收外省专硕研究生进行住院医师规范化培训")
def test_an_out_of_province_university_is_refused(monkeypatch, universities):
    """各住培基地不得接收外省专硕研究生进行住院医师规范化培训."""
    at(monkeypatch, date(YEAR, 7, 1))
    assert "不得接收外省专硕研究生" in refusal("univ_out", fields(universities))
    assert filed() == []


@pytest.mark.seed("各高校若有在省内跨市培养专硕研究生需求的，应报我委审核，经我委同意后，方可安排在有关住培基地进行培训")
def test_a_base_in_another_city_needs_the_approval(monkeypatch, universities):
    """各高校若有在省内跨市培养专硕研究生需求的，应报我委审核，经我委同意后，方可安排在有关住培基地进行培训:
    郑州大学 cannot file to the 洛阳 base without it, and can once it is approved."""
    at(monkeypatch, date(YEAR, 7, 1))
    assert "跨市培养" in refusal("univ_zz", fields(universities, "ly"))
    request_cross_city(account("univ_zz"), YEAR, "部分学生在洛阳培训")
    db.session.commit()
    assert "跨市培养" in refusal("univ_zz", fields(universities, "ly"))  # requested, not yet approved
    approve_cross_city("河南科技大学")  # another university's approval does not count
    assert "跨市培养" in refusal("univ_zz", fields(universities, "ly"))
    approval = db.session.scalar(select(CrossCityApproval).where(
        CrossCityApproval.university_id == university("郑州大学").id))
    decide_cross_city(account("province"), approval, True, "同意")
    db.session.commit()
    assert file_student(account("univ_zz"), YEAR, fields(universities, "ly")).base.name == "测试基地洛阳"


def test_a_refused_request_keeps_the_other_city_closed_and_may_be_asked_again(monkeypatch, universities):
    at(monkeypatch, date(YEAR, 7, 1))
    approval = request_cross_city(account("univ_zz"), YEAR, "理由")
    decide_cross_city(account("province"), approval, False, "基地容量不足")
    db.session.commit()
    assert "跨市培养" in refusal("univ_zz", fields(universities, "ly"))
    assert request_cross_city(account("univ_zz"), YEAR, "再次申请").state == ApprovalState.PENDING


@pytest.mark.parametrize("username", ["univ_zz", "base_zz", "city_zz", "support"])
def test_only_the_province_decides_a_request(monkeypatch, universities, username):
    at(monkeypatch, date(YEAR, 7, 1))
    approval = request_cross_city(account("univ_ly"), YEAR, "理由")
    db.session.commit()
    with pytest.raises(FilingError, match="只有省级"):
        decide_cross_city(account(username), approval, True, "同意")
    with pytest.raises(FilingError, match="只有省级"):
        reopen(account(username), university("河南科技大学"), YEAR, DEADLINE, "理由")


def test_a_decision_needs_a_reason_and_a_pending_request(monkeypatch, universities):
    at(monkeypatch, date(YEAR, 7, 1))
    approval = request_cross_city(account("univ_ly"), YEAR, "理由")
    with pytest.raises(FilingError, match="填写理由"):
        decide_cross_city(account("province"), approval, True, "  ")
    decide_cross_city(account("province"), approval, True, "同意")
    with pytest.raises(FilingError, match="不在待审核状态"):
        decide_cross_city(account("province"), approval, False, "改主意")


@pytest.mark.seed("各高校招收的 2024 级临床医学（不含中医）类、口腔医学类专业硕士研究生")
@pytest.mark.parametrize("major", ["中医学", "中西医结合临床", "中医内科学"])
def test_a_tcm_major_is_refused(monkeypatch, universities, major):
    """各高校招收的 2024 级临床医学（不含中医）类、口腔医学类专业硕士研究生."""
    at(monkeypatch, date(YEAR, 7, 1))
    assert "不含中医" in refusal("univ_zz", fields(universities, major=major))


@pytest.mark.parametrize("major", ["临床医学", "口腔医学", "clinical", "dental"])
def test_clinical_and_dental_majors_are_filed(monkeypatch, universities, major):
    at(monkeypatch, date(YEAR, 7, 1))
    assert file_student(account("univ_zz"), YEAR, fields(universities, major=major)).major in ("clinical", "dental")


def test_an_id_number_is_filed_once_a_year_by_any_university(monkeypatch, universities):
    at(monkeypatch, date(YEAR, 7, 1))
    number = id_number("410102")
    file_student(account("univ_zz"), YEAR, fields(universities, id_number=number))
    db.session.commit()
    assert "已备案" in refusal("univ_zz", fields(universities, id_number=number))
    assert "已备案" in refusal("univ_ly", fields(universities, "ly", id_number=number))
    assert len(filed()) == 1


def test_a_wrong_check_digit_is_refused(monkeypatch, universities):
    at(monkeypatch, date(YEAR, 7, 1))
    good = id_number("410102")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert "校验位错误" in refusal("univ_zz", fields(universities, id_number=bad))


def test_only_a_university_administrator_files(monkeypatch, universities):
    at(monkeypatch, date(YEAR, 7, 1))
    assert "高校管理员" in refusal("province", fields(universities))


@pytest.mark.seed("此次招收对象不含 2024 级临床医学类专业硕士研究生")
def test_a_filed_student_cannot_apply_for_residency(monkeypatch, universities):
    """此次招收对象不含 2024 级临床医学类专业硕士研究生: the ID number filed by a university blocks the
    residency application of the same person, and says which university filed it."""
    at(monkeypatch, date(YEAR, 7, 1))
    trainee = universities.trainees["zy"]
    batch = BatchFactory(name="测试住培批次", program="residency", year=YEAR)
    application = ApplicationFactory(trainee=trainee, batch=batch, status="draft")
    db.session.commit()
    before = [r for r in residency.check(application, date(YEAR, 7, 1)) if r.code == "not_filed_master"]
    file_student(account("univ_zz"), YEAR, fields(universities, id_number=trainee.id_number))
    db.session.commit()
    after = [r for r in residency.check(application, date(YEAR, 7, 1)) if r.code == "not_filed_master"]
    assert before == [] and [r.passed for r in after] == [False]
    problems = " ".join(residency.problems(application, date(YEAR, 7, 1)))
    assert "郑州大学" in problems and "专业硕士研究生" in problems
