"""Residency (住培) eligibility: pure rules over a profile snapshot, tested without an app."""
from __future__ import annotations

import json
from datetime import date

import pytest

from app.domain.rules import all_passed, results_from_json, results_to_json
from app.domain.rules.eligibility import evaluate_residency, is_clinical_major, is_tcm_major
from tests.rule_builders import by_code, failed, zh  # noqa: F401  (zh is the catalogue fixture)

ON = date(2024, 5, 10)
SHORTAGE = ["0200", "0300", "0500", "0700", "0800", "1600", "1900", "2000", "3700"]
HARD_CODES = ["education_level", "education_major", "licence_for_earlier_graduates", "not_graduate_student",
              "not_tcm_major", "no_postgrad_pledge", "upgraded_bachelor_specialty", "no_recent_withdrawal"]


def education(**fields) -> dict:
    row = {"school": "河南大学", "major": "临床医学", "level": "bachelor", "degree": "bachelor", "full_time": True,
           "upgraded_from_junior": False, "start_date": "2018-09-01", "end_date": "2023-06-30",
           "graduation_date": "2023-07-01", "diploma_number": "D1", "degree_number": "G1"}
    row.update(fields)
    return row


def profile(*educations, licences=(), employments=(), **fields) -> dict:
    data = {"name": "李四", "has_licence": bool(licences), "is_graduate_student": False,
            "residency_withdrawn_on": None, "prior_residency_base": None,
            "prior_residency_ended_on": None, "prior_residency_passed": None, "prior_residency_passed_on": None,
            "educations": list(educations) if educations else [education()],
            "employments": list(employments), "licences": list(licences)}
    data.update(fields)
    return data


def application(codes=("0100",), pledge=True, unit_kind=None) -> dict:
    return {"identity": "open_entry", "specialty_codes": list(codes), "no_postgrad_pledge": pledge,
            "unit_kind": unit_kind}


BATCH = {"year": 2024, "licence_required_graduation_year": None, "shortage_codes": SHORTAGE,
         "dental_general_code": "2800"}
QUALIFICATION = {"category": "clinical", "scope_code": "11", "scope_name": "内科专业",
                 "qualification_number": "202141110410123456",
                 "practice_number": None, "registered_on": None}


def check(prof=None, app=None, batch=None, on=ON):
    return evaluate_residency(prof or profile(), app or application(), batch or BATCH, on)


def test_eligible_profile_passes_every_rule():
    results = check()
    assert [r.code for r in results] == HARD_CODES
    assert failed(results) == [] and all_passed(results)
    assert all(r.hard for r in results)


@pytest.mark.parametrize("edu", [
    education(level="junior_college"),
    education(full_time=False),
], ids=["junior-college", "part-time"])
def test_education_level(edu):
    results = check(profile(edu))
    assert "education_level" in failed(results)
    assert set(failed(results)) <= {"education_level", "education_major"}


def test_no_education_at_all():
    results = check(profile(educations=[]))
    assert {"education_level", "education_major", "licence_for_earlier_graduates"} <= set(failed(results))


def test_master_counts_as_bachelor_or_above():
    results = check(profile(education(), education(level="master", major="内科学", graduation_date="2023-07-01")))
    assert failed(results) == []


@pytest.mark.parametrize("major", ["护理学", "口腔医学技术", "医学影像技术", "药学"])
def test_major_outside_the_physician_exam_scope(major):
    assert failed(check(profile(education(major=major)))) == ["education_major"]


@pytest.mark.parametrize("major", ["临床医学", "临床医学（5年制）", "口腔医学", "麻醉学", "医学影像学", "儿科学",
                                   "精神医学", "眼视光医学"])
def test_clinical_and_dental_majors(major):
    assert is_clinical_major(major)
    assert failed(check(profile(education(major=major)))) == []


@pytest.mark.parametrize("major", ["中医学", "中西医结合临床医学", "针灸推拿学"])
def test_tcm_major(major):
    assert is_tcm_major(major) and not is_clinical_major(major)
    results = check(profile(education(major=major)))
    # a TCM major is also outside the clinical/dental scope; the exclusion is shown as its own rule
    assert failed(results) == ["education_major", "not_tcm_major"]


def test_tcm_master_after_a_clinical_bachelor_is_excluded():
    results = check(profile(education(), education(level="master", major="中西医结合临床")))
    assert failed(results) == ["not_tcm_major"]


@pytest.mark.parametrize("graduated, needs", [("2021-07-01", True), ("2021-12-31", True), ("2022-01-01", False),
                                              ("2019-06-30", True)])
def test_licence_cutoff_is_batch_year_minus_three(graduated, needs):
    results = check(profile(education(graduation_date=graduated)))
    assert failed(results) == (["licence_for_earlier_graduates"] if needs else [])
    assert by_code(results, "licence_for_earlier_graduates").params["cutoff"] == 2021
    with_licence = check(profile(education(graduation_date=graduated), licences=[QUALIFICATION]))
    assert failed(with_licence) == []


def test_licence_needs_a_qualification_number_and_has_licence():
    without_number = dict(QUALIFICATION, qualification_number="")
    assert failed(check(profile(education(graduation_date="2020-07-01"), licences=[without_number]))) \
        == ["licence_for_earlier_graduates"]
    answered_no = profile(education(graduation_date="2020-07-01"), licences=[QUALIFICATION], has_licence=False)
    assert failed(check(answered_no)) == ["licence_for_earlier_graduates"]


def test_licence_cutoff_from_the_batch():
    batch = dict(BATCH, licence_required_graduation_year=2022)
    assert failed(check(profile(education(graduation_date="2022-07-01")), batch=batch)) \
        == ["licence_for_earlier_graduates"]
    assert failed(check(profile(education(graduation_date="2023-07-01")), batch=batch)) == []


def test_graduation_year_is_the_latest_and_end_date_stands_in():
    later_master = education(level="master", major="外科学", graduation_date="2023-07-01")
    assert failed(check(profile(education(graduation_date="2015-07-01"), later_master))) == []
    assert failed(check(profile(education(graduation_date=None, end_date="2023-06-30")))) == []
    results = check(profile(education(graduation_date=None, end_date=None)))
    assert failed(results) == ["licence_for_earlier_graduates"]
    assert "not recorded" in by_code(results, "licence_for_earlier_graduates").message


def test_current_graduate_student():
    assert failed(check(profile(is_graduate_student=True))) == ["not_graduate_student"]


def test_postgraduate_pledge():
    assert failed(check(app=application(pledge=False))) == ["no_postgrad_pledge"]


UPGRADED = education(upgraded_from_junior=True)


@pytest.mark.parametrize("codes, passed", [
    (["0100"], False),          # 内科: not a shortage specialty
    (["0200"], True),           # 儿科: shortage
    (["2800"], True),           # 口腔全科
    (["0200", "0900"], False),  # second choice 外科 is neither
    (["0700", "2800"], True),
    ([], True),                 # nothing chosen yet: the limit is stated
])
def test_upgraded_bachelor_specialties(codes, passed):
    results = check(profile(UPGRADED), application(codes))
    assert by_code(results, "upgraded_bachelor_specialty").passed is passed
    assert failed(results) == ([] if passed else ["upgraded_bachelor_specialty"])


def test_upgraded_bachelor_failure_names_the_specialty():
    rule = by_code(check(profile(UPGRADED), application(["0200", "0900"])), "upgraded_bachelor_specialty")
    assert rule.params["outside"] == "外科" and rule.params["chosen"] == "儿科、外科"


@pytest.mark.parametrize("kind, passed", [("township", True), ("community", True), ("hospital", False)])
def test_upgraded_bachelor_township_or_community_exception(kind, passed):
    assert by_code(check(profile(UPGRADED), application(["0100"], unit_kind=kind)),
                   "upgraded_bachelor_specialty").passed is passed
    job = {"unit_name": "某社区卫生服务中心", "unit_kind": kind, "is_current": True, "start_date": "2023-08-01"}
    assert by_code(check(profile(UPGRADED, employments=[job]), application(["0100"])),
                   "upgraded_bachelor_specialty").passed is passed


def test_upgraded_bachelor_with_a_master_is_not_limited():
    master = education(level="master", major="内科学", upgraded_from_junior=False)
    assert failed(check(profile(UPGRADED, master), application(["0100"]))) == []


def test_upgraded_bachelor_uses_the_batch_shortage_list():
    batch = dict(BATCH, shortage_codes=["0100"])
    assert failed(check(profile(UPGRADED), application(["0100"]), batch)) == []


@pytest.mark.parametrize("withdrawn, passed", [("2021-05-11", False), ("2021-05-10", True), ("2023-01-01", False),
                                               ("2019-01-01", True)])
def test_withdrawal_within_three_years(withdrawn, passed):
    results = check(profile(residency_withdrawn_on=withdrawn))
    assert failed(results) == ([] if passed else ["no_recent_withdrawal"])
    if not passed:
        assert by_code(results, "no_recent_withdrawal").params["until"] == date.fromisoformat(withdrawn).replace(
            year=int(withdrawn[:4]) + 3).isoformat()


RETRAIN_SEED = "已参加住院医师规范化培训 3 年内未通过结业考核者，如再…次申请结业考核，需重新参加住院医师规范化培训，培训相关费用由个人承担。"


def earlier_training(ended_on, passed=None, passed_on=None) -> dict:
    return {"prior_residency_base": "某住培基地", "prior_residency_ended_on": ended_on,
            "prior_residency_passed": passed, "prior_residency_passed_on": passed_on}


@pytest.mark.parametrize("ended_on, flagged", [
    ("2021-05-11", False),  # the third anniversary is tomorrow: still within 3 years
    ("2021-05-10", False),  # the anniversary is today: the 3 years end today
    ("2021-05-09", True),   # the anniversary was yesterday: 3 years have passed without a pass
    ("2023-01-01", False),  # a recent failure does not raise the flag (the old reading did)
    ("2019-01-01", True),
])
@pytest.mark.seed(RETRAIN_SEED)
def test_retrain_flag_three_years_after_the_training_without_a_pass(ended_on, flagged):
    results = check(profile(**earlier_training(ended_on, passed=False)))
    flags = [r for r in results if not r.hard]
    assert all_passed(results) and failed(results) == []  # a flag, never blocking
    assert [(r.code, r.passed) for r in flags] == ([("retrain_at_own_cost", True)] if flagged else [])


@pytest.mark.parametrize("passed_on, flagged", [
    ("2024-05-09", False),  # passed the day before the anniversary
    ("2024-05-10", False),  # passed on the anniversary: within 3 years
    ("2024-05-11", True),   # passed the day after: not within 3 years
])
@pytest.mark.seed(RETRAIN_SEED)
def test_a_pass_counts_when_it_came_within_three_years(passed_on, flagged):
    results = check(profile(**earlier_training("2021-05-10", passed=True, passed_on=passed_on)),
                    on=date(2024, 6, 1))
    assert [r.code for r in results if not r.hard] == (["retrain_at_own_cost"] if flagged else [])


def test_no_earlier_training_raises_no_flag():
    assert [r for r in check(profile()) if not r.hard] == []
    assert [r for r in check(profile(**earlier_training(None, passed=False))) if not r.hard] == []


def test_missing_data_never_raises():
    results = evaluate_residency({}, {}, {}, ON)
    assert [r.code for r in results] == HARD_CODES
    assert set(failed(results)) == {"education_level", "education_major", "licence_for_earlier_graduates",
                                    "no_postgrad_pledge"}


def test_json_round_trip():
    results = check(profile(UPGRADED, **earlier_training("2020-01-01", passed=False)), application(["0100"]))
    data = json.loads(json.dumps(results_to_json(results)))
    assert results_from_json(data) == results
    assert data[-1] == {"code": "retrain_at_own_cost", "passed": True, "hard": False, "message": results[-1].message,
                        "params": {"base": "某住培基地", "ended": "2020-01-01", "deadline": "2023-01-01"}}


def test_every_message_renders_in_chinese(zh):  # noqa: F811
    samples = [
        check(),
        check(profile(education(level="junior_college", full_time=False)), application(pledge=False)),
        evaluate_residency({}, {}, {}, ON),
        check(profile(education(major="中医学", graduation_date="2019-07-01"), is_graduate_student=True,
                      residency_withdrawn_on="2022-01-01", **earlier_training("2020-01-01", passed=False))),
        check(profile(education(graduation_date="2019-07-01"), licences=[QUALIFICATION],
                      residency_withdrawn_on="2018-01-01")),
        check(profile(UPGRADED), application(["0100"])),
        check(profile(UPGRADED), application(["0200"])),
        check(profile(UPGRADED), application([])),
        check(profile(UPGRADED), application(["0100"], unit_kind="township")),
    ]
    for result in (r for results in samples for r in results):
        text = result.render(zh)
        assert "%(" not in text and not any("a" <= ch.lower() <= "z" for ch in text), text
    rule = by_code(check(profile(UPGRADED), application(["0100"])), "upgraded_bachelor_specialty")
    assert rule.render(zh) == "专升本毕业生仅限报考紧缺专业或口腔全科，所选的内科不在此列"


LICENCE_SEED = "2021 年及以前毕业的往届生需取得执业医师资格证书"
SCOPE_SEED = "符合临床、口腔类别医师资格考试报考条件规定专业范围的…全日制本科及以上学历医学毕业生"


@pytest.mark.seed(LICENCE_SEED)
@pytest.mark.parametrize("graduated, needs_licence", [("2020-07-01", True), ("2021-07-01", True),
                                                      ("2022-07-01", False)])
def test_graduates_of_batch_year_minus_three_or_earlier_need_a_licence(graduated, needs_licence):
    results = check(profile(education(graduation_date=graduated)))  # the batch year is 2024
    assert ("licence_for_earlier_graduates" in failed(results)) is needs_licence
    assert failed(check(profile(education(graduation_date=graduated), licences=[QUALIFICATION]))) == []


@pytest.mark.seed(LICENCE_SEED)
@pytest.mark.parametrize("category, counts", [("clinical", True), ("dental", True), ("tcm", False),
                                              ("public_health", False)])
def test_only_a_clinical_or_dental_qualification_counts(category, counts, zh):  # noqa: F811
    results = check(profile(education(graduation_date="2021-07-01"), licences=[{**QUALIFICATION, "category": category}]))
    assert ("licence_for_earlier_graduates" not in failed(results)) is counts
    if not counts:
        text = by_code(results, "licence_for_earlier_graduates").render(zh)
        assert "临床或口腔类别" in text and {"tcm": "中医", "public_health": "公共卫生"}[category] in text


@pytest.mark.seed(SCOPE_SEED)
@pytest.mark.parametrize("major, clinical", [
    ("儿科医学", True), ("妇幼医学", True), ("医疗", True), ("临床医学（儿科方向）", True), ("麻醉医学", True),
    ("口腔医学技术", False), ("医学影像技术", False), ("护理学", False), ("中西医临床医学", False),
    ("医疗保险", False), ("生物医学工程", False), ("预防医学", False),
])
def test_clinical_majors_include_their_older_names(major, clinical):
    assert is_clinical_major(major) is clinical
    assert ("education_major" not in failed(check(profile(education(major=major))))) is clinical


@pytest.mark.seed("退培需退还财政资金，退培 3 年内不得再次参加住培")
@pytest.mark.parametrize("recorded, declared, passed", [
    (["2021-05-11"], None, False), (["2021-05-10"], None, True), (["2021-05-09"], None, True),
    (["2019-01-01", "2021-05-11"], "2019-01-01", False), (["2019-01-01"], "2021-05-11", False)])
def test_recorded_withdrawals_count_with_the_declaration(recorded, declared, passed):
    """退培需退还财政资金，退培 3 年内不得再次参加住培: the latest withdrawal, recorded (by ID number) or declared,
    counts; ``on`` is the day of the application (2024-05-10), withdrawn 2021-05-11 is 3 years minus a day."""
    app = dict(application(), recorded_withdrawals=recorded)
    results = check(profile(residency_withdrawn_on=declared), app)
    assert failed(results) == ([] if passed else ["no_recent_withdrawal"])
