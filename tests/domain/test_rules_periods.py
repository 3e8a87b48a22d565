"""Work periods of the GP exemption rules, counted by calendar date, and 所在医院 as the current hospital.

Each test names the guide's sentence it encodes (``@pytest.mark.seed``) and checks both sides of its
boundary: a day short, the day itself, a day more. Pure rules: no app."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain.rules.exemption import evaluate_exemption, work_period
from tests.rule_builders import claim, gp_dept, job, primary_gp, profile

TYPE1 = "在基层医疗卫生机构从事全科医疗工作2年以上、具有中级及以上职称，其基层医疗卫生实践可予以减免"
TYPE4 = "在所在医院独立设置的全科医学科，全职从事全科相关医疗、教学工作满2年"
TYPE6 = "具有副主任医师及以上资格的，在所在医院独立设置的全科医学科从事全科医疗、教学工作满1年的"
TYPE7_ATTENDING = "二级及以上医院主治医师在独立设置的全科医学科从事医疗、教学工作满2年的"
TYPE7_ASSOCIATE = "二级及以上医院副主任医师及以上在独立设置的全科医学科从事医疗、教学工作满1年的"
ON = date(2025, 9, 1)


def verdict(exemption_type: int, rows, code: str, on: date = ON) -> bool:
    results = evaluate_exemption(exemption_type, profile(*rows), claim(), on)
    return next(r for r in results if r.code == code).passed


def past(row: dict, start: str, end: str) -> dict:
    return {**row, "start_date": start, "end_date": end, "is_current": False}


# --- the example: the end date is a day worked ---------------------------------------------

@pytest.mark.seed(TYPE1)
@pytest.mark.parametrize("end, passed", [("2025-05-31", False), ("2025-06-01", True), ("2025-06-02", True)])
def test_type1_two_years_end_date_inclusive(end, passed):
    gp_work = past(primary_gp(), "2023-06-02", end)
    now_elsewhere = primary_gp(start_date="2025-07-01", department="医务科")  # current unit, not GP work
    assert verdict(1, [gp_work, now_elsewhere], "primary_gp_work_years") is passed


@pytest.mark.seed(TYPE1)
@pytest.mark.parametrize("on, passed", [(date(2025, 6, 1), False), (date(2025, 6, 2), True),
                                        (date(2025, 6, 3), True)])
def test_type1_current_job_reaches_two_years_on_the_anniversary(on, passed):
    assert verdict(1, [primary_gp(start_date="2023-06-02")], "primary_gp_work_years", on) is passed


@pytest.mark.seed(TYPE1)
@pytest.mark.parametrize("on, passed", [(date(2025, 1, 30), False), (date(2025, 1, 31), True)])
def test_no_rounding_of_thirty_days_to_a_month(on, passed):
    """1 year 11 months and 30 days is not 2 years (the old count rounded 30 days up to a month)."""
    assert verdict(1, [primary_gp(start_date="2023-01-31")], "primary_gp_work_years", on) is passed


@pytest.mark.seed(TYPE1)
@pytest.mark.parametrize("start, on, passed", [
    ("2023-03-31", date(2025, 3, 30), False),  # month end: the day before the anniversary
    ("2023-03-31", date(2025, 3, 31), True),
    ("2022-02-28", date(2024, 2, 27), False),  # across 29 February 2024
    ("2022-02-28", date(2024, 2, 28), True),
    ("2024-02-29", date(2026, 2, 27), False),  # from 29 February: the anniversary is 28 February
    ("2024-02-29", date(2026, 2, 28), True),
    ("2024-02-29", date(2026, 3, 1), True),
])
def test_month_ends_and_29_february(start, on, passed):
    assert verdict(1, [primary_gp(start_date=start)], "primary_gp_work_years", on) is passed


def test_separate_rows_are_laid_end_to_end():
    first = past(primary_gp(), "2020-01-01", "2020-12-31")  # 366 days (2020 is a leap year)
    second = past(primary_gp(), "2022-01-01", "2022-12-30")  # 364 days: 730 in all
    period = work_period([first, second], ON)
    assert (period.start, period.stop) == (date(2020, 1, 1), date(2021, 12, 31))
    assert not period.reaches(2)
    third = past(primary_gp(), "2024-01-01", "2024-01-01")  # one more day
    assert work_period([first, second, third], ON).reaches(2)


# --- types 4, 6, 7: the independent GP department of the current hospital ----------------------------

@pytest.mark.seed(TYPE4)
@pytest.mark.parametrize("on, passed", [(date(2025, 6, 30), False), (date(2025, 7, 1), True),
                                        (date(2025, 7, 2), True)])
def test_type4_two_years(on, passed):
    assert verdict(4, [gp_dept(start_date="2023-07-01")], "gp_dept_years", on) is passed


@pytest.mark.seed(TYPE6)
@pytest.mark.parametrize("on, passed", [(date(2024, 6, 30), False), (date(2024, 7, 1), True),
                                        (date(2024, 7, 2), True)])
def test_type6_one_year(on, passed):
    row = gp_dept(start_date="2023-07-01", title="associate_chief", title_grade="associate_senior")
    assert verdict(6, [row], "gp_dept_years", on) is passed


@pytest.mark.seed(TYPE7_ATTENDING)
@pytest.mark.parametrize("on, passed", [(date(2025, 6, 30), False), (date(2025, 7, 1), True),
                                        (date(2025, 7, 2), True)])
def test_type7_attending_two_years(on, passed):
    assert verdict(7, [gp_dept(start_date="2023-07-01")], "either_path", on) is passed


@pytest.mark.seed(TYPE7_ASSOCIATE)
@pytest.mark.parametrize("on, passed", [(date(2024, 6, 30), False), (date(2024, 7, 1), True),
                                        (date(2024, 7, 2), True)])
def test_type7_associate_chief_one_year(on, passed):
    row = gp_dept(start_date="2023-07-01", title="associate_chief", title_grade="associate_senior")
    assert verdict(7, [row], "either_path", on) is passed


@pytest.mark.seed(TYPE4)
def test_gp_department_time_at_an_earlier_hospital_does_not_count():
    earlier = past(gp_dept(unit_name="某市第一人民医院"), "2019-01-01", "2023-12-31")  # 5 years, elsewhere
    now = gp_dept(unit_name="某县人民医院", start_date="2024-01-01")
    assert not verdict(4, [earlier, now], "gp_dept_years")
    assert not verdict(7, [earlier, now], "either_path")
    assert verdict(4, [past(gp_dept(), "2019-01-01", "2023-12-31"), gp_dept(start_date="2024-01-01")],
                   "gp_dept_years")  # the same hospital (same name): both rows count


@pytest.mark.seed(TYPE6)
def test_the_same_directory_unit_counts_whatever_its_typed_name():
    earlier = past(gp_dept(institution_id=7, unit_name="县医院"), "2022-01-01", "2023-12-31")
    now = gp_dept(institution_id=7, unit_name="某县人民医院", start_date="2024-06-01",
                  title="associate_chief", title_grade="associate_senior")
    assert verdict(6, [earlier, now], "gp_dept_years", date(2024, 7, 1))
    moved = {**now, "institution_id": 8}
    assert not verdict(6, [earlier, moved], "gp_dept_years", date(2024, 7, 1))


def test_a_trainee_without_a_current_job_has_no_current_hospital():
    assert not verdict(4, [past(gp_dept(), "2019-01-01", "2023-12-31")], "gp_dept_years")
    assert job()["is_current"]  # the helper rows are current unless made past
