"""The eight exemption types: pure rules over a profile snapshot, tested without an app."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.domain.rules import RuleResult, all_passed, results_from_json, results_to_json
from app.domain.rules.exemption import EXEMPTION_TYPES, evaluate_exemption, required_evidence, split_departments
from models.enums import AttachmentKind
from tests.rule_builders import (  # noqa: F401  (zh is a fixture)
    by_code,
    claim,
    failed,
    gp_dept,
    job,
    licence,
    outcome,
    primary_gp,
    profile,
    zh,
)

ROOT = Path(__file__).resolve().parents[2]
ON = date(2025, 5, 6)


# --- type 1: primary care, 2 years of GP work, intermediate title -------------------------------------------

def test_type1_passes():
    results = evaluate_exemption(1, profile(primary_gp()), claim(), ON)
    assert outcome(results) == {"unit_primary": True, "primary_gp_work_years": True, "title_intermediate": True}
    assert all_passed(results)


def test_type1_unit_not_primary():
    past = primary_gp(end_date="2023-12-31", is_current=False)
    results = evaluate_exemption(1, profile(past, job(start_date="2024-01-01")), claim(), ON)
    assert failed(results) == ["unit_primary"]
    assert by_code(results, "unit_primary").params["level"] == "secondary"


def test_type1_too_little_gp_work():
    results = evaluate_exemption(1, profile(primary_gp(start_date="2024-02-01")), claim(), ON)
    assert failed(results) == ["primary_gp_work_years"]
    assert by_code(results, "primary_gp_work_years").params.items() >= {"years": 1, "months": 3, "required": 2}.items()


def test_type1_title_below_intermediate():
    results = evaluate_exemption(1, profile(primary_gp(title="resident", title_grade="junior")), claim(), ON)
    assert failed(results) == ["title_intermediate"]


def test_type1_intermediate_grade_without_physician_title_passes():
    results = evaluate_exemption(1, profile(primary_gp(title="other", title_grade="intermediate")), claim(), ON)
    assert failed(results) == []


def test_type1_department_not_gp_does_not_count():
    results = evaluate_exemption(1, profile(primary_gp(department="内科")), claim(), ON)
    assert failed(results) == ["primary_gp_work_years"]


def test_type1_in_independent_gp_dept_counts_without_the_word():
    results = evaluate_exemption(1, profile(primary_gp(department="医务科", in_independent_gp_dept=True)), claim(), ON)
    assert failed(results) == []


def test_type1_exactly_two_years_passes_and_a_day_less_fails():
    row = primary_gp(start_date="2023-05-06")
    assert failed(evaluate_exemption(1, profile(row), claim(), date(2025, 5, 6))) == []
    results = evaluate_exemption(1, profile(row), claim(), date(2025, 5, 5))
    assert failed(results) == ["primary_gp_work_years"]
    assert by_code(results, "primary_gp_work_years").params["years"] == 1
    assert by_code(results, "primary_gp_work_years").params["months"] == 11


def test_type1_past_rows_count_their_end_day_and_overlaps_count_once():
    past = primary_gp(start_date="2021-03-01", end_date="2023-02-28", is_current=False)
    overlap = primary_gp(start_date="2022-01-01", end_date="2022-12-31", is_current=False)
    current = primary_gp(start_date="2024-01-01", department="医务科")  # current, but not GP work
    results = evaluate_exemption(1, profile(past, overlap, current), claim(), ON)
    assert failed(results) == []
    assert by_code(results, "primary_gp_work_years").params["years"] == 2
    assert by_code(results, "primary_gp_work_years").params["months"] == 0


def test_type1_rows_without_dates_are_left_out_and_said():
    undated = primary_gp(start_date=None)
    ended_without_date = primary_gp(is_current=False, end_date=None)
    results = evaluate_exemption(1, profile(undated, ended_without_date), claim(), ON)
    rule = by_code(results, "primary_gp_work_years")
    assert not rule.passed and rule.params["undated"] == 2
    assert "without dates" in rule.message


def test_type1_future_work_does_not_count():
    results = evaluate_exemption(1, profile(primary_gp(start_date="2025-06-01")), claim(), ON)
    assert failed(results) == ["primary_gp_work_years"]


def test_missing_current_employment_fails_without_exception():
    past = primary_gp(end_date="2024-12-31", is_current=False)
    for exemption_type in range(1, 9):
        evaluate_exemption(exemption_type, {}, {}, ON)  # nothing at all: no exception
    results = evaluate_exemption(1, profile(past), claim(), ON)
    assert failed(results) == ["unit_primary", "title_intermediate"]
    assert by_code(results, "unit_primary").message.startswith("No current employment")
    results = evaluate_exemption(5, profile(), claim(), ON)
    assert failed(results) == ["unit_secondary_plus", "title_associate_chief"]


def test_missing_unit_level_and_title_say_so():
    results = evaluate_exemption(5, profile(job(unit_level=None, title=None, title_grade=None)), claim(), ON)
    assert failed(results) == ["unit_secondary_plus", "title_associate_chief"]
    assert "not recorded" in by_code(results, "unit_secondary_plus").message
    assert "not recorded" in by_code(results, "title_associate_chief").message


def test_latest_current_row_is_the_current_employment():
    older = job(unit_level="primary", start_date="2010-01-01")
    newer = job(unit_level="tertiary", title="associate_chief", start_date="2020-01-01")
    assert failed(evaluate_exemption(5, profile(older, newer), claim(), ON)) == []


def test_unknown_type_is_an_error():
    with pytest.raises(ValueError):
        evaluate_exemption(9, profile(), claim(), ON)


# --- type 2: teacher-training certificate on or after 2020-05-01 ---------------------------------------------

@pytest.mark.parametrize("day, passed", [("2020-05-01", True), ("2020-04-30", False), ("2024-12-31", True)])
def test_type2_certificate_date_boundary(day, passed):
    results = evaluate_exemption(2, profile(), claim(certificate_date=day), ON)
    assert outcome(results) == {"certificate_date": passed}


def test_type2_missing_or_future_date_fails():
    assert failed(evaluate_exemption(2, profile(), claim(), ON)) == ["certificate_date"]
    results = evaluate_exemption(2, profile(), claim(certificate_date="2025-06-01"), ON)
    assert failed(results) == ["certificate_date"] and "later than" in results[0].message


# --- type 3: attending at 二级+, rotations of the licence scope ------------------------------------------------

def test_type3_passes_for_the_internal_group():
    results = evaluate_exemption(3, profile(job(), licences=[licence()]), claim("内科、神经内科、急诊科"), ON)
    assert outcome(results) == {"unit_secondary_plus": True, "title_attending": True, "licence_scope": True}


def test_type3_emergency_scope_also_exempts_the_internal_group():
    results = evaluate_exemption(3, profile(job(), licences=[licence("22", "急救医学专业")]),
                                 claim("急诊科，内科 神经内科"), ON)
    assert failed(results) == []


def test_type3_scope_recorded_by_name_only():
    lic = licence(scope_code=None, scope_name="神经内科专业")
    assert failed(evaluate_exemption(3, profile(job(), licences=[lic]), claim("内科"), ON)) == []


def test_type3_associate_chief_satisfies_attending_or_above():
    results = evaluate_exemption(3, profile(job(title="associate_chief"), licences=[licence()]), claim("内科"), ON)
    assert failed(results) == []


def test_type3_unit_not_secondary():
    results = evaluate_exemption(3, profile(job(unit_level="primary"), licences=[licence()]), claim("内科"), ON)
    assert failed(results) == ["unit_secondary_plus"]


def test_type3_title_below_attending():
    results = evaluate_exemption(3, profile(job(title="resident", title_grade="junior"), licences=[licence()]),
                                 claim("内科"), ON)
    assert failed(results) == ["title_attending"]


def test_type3_department_outside_the_scope():
    results = evaluate_exemption(3, profile(job(), licences=[licence("12", "外科专业")]), claim("外科、内科"), ON)
    assert failed(results) == ["licence_scope"]
    rule = by_code(results, "licence_scope")
    assert rule.params["unmatched"] == "内科" and rule.params["allowed"] == "外科"


def test_type3_surgery_scope_exempts_surgery_only():
    results = evaluate_exemption(3, profile(job(), licences=[licence("12", "外科专业")]), claim("外科临床轮转"), ON)
    assert failed(results) == []


def test_type3_without_clinical_licence_or_departments():
    dental = licence("31", "口腔专业", category="dental")
    assert failed(evaluate_exemption(3, profile(job(), licences=[dental]), claim("内科"), ON)) == ["licence_scope"]
    assert failed(evaluate_exemption(3, profile(job()), claim("内科"), ON)) == ["licence_scope"]
    results = evaluate_exemption(3, profile(job(), licences=[licence()]), claim(""), ON)
    assert failed(results) == ["licence_scope"] and "No rotation departments" in results[-1].message
    results = evaluate_exemption(3, profile(job(), licences=[licence("21", "全科医学专业")]), claim("内科"), ON)
    assert failed(results) == ["licence_scope"] and "matches no clinical rotation" in results[-1].message


def test_split_departments():
    assert split_departments(" 内科、神经内科，急诊医学科; 外科临床轮转 内科") == ["内科", "神经内科", "急诊科", "外科"]
    assert split_departments(None) == []


# --- type 4: 2 years in the independent GP department of a 二级+ hospital --------------------------------------

def test_type4_passes_at_exactly_two_years():
    results = evaluate_exemption(4, profile(gp_dept(start_date="2023-05-06")), claim(), ON)
    assert outcome(results) == {"unit_secondary_plus": True, "title_attending": True, "gp_dept_years": True}


def test_type4_each_rule_fails_alone():
    past = gp_dept(start_date="2020-01-01", end_date="2024-12-31", is_current=False)
    assert failed(evaluate_exemption(4, profile(past, job(unit_level="primary", start_date="2025-01-01")),
                                     claim(), ON)) == ["unit_secondary_plus"]
    assert failed(evaluate_exemption(4, profile(gp_dept(title="resident", title_grade="junior")), claim(), ON)) \
        == ["title_attending"]
    assert failed(evaluate_exemption(4, profile(gp_dept(start_date="2023-05-07")), claim(), ON)) == ["gp_dept_years"]


def test_type4_department_must_be_an_independent_gp_department():
    not_independent = gp_dept(unit_has_independent_gp_dept=False)
    not_in_it = gp_dept(in_independent_gp_dept=False)
    assert failed(evaluate_exemption(4, profile(not_independent), claim(), ON)) == ["gp_dept_years"]
    results = evaluate_exemption(4, profile(not_in_it), claim(), ON)
    assert failed(results) == ["gp_dept_years"] and by_code(results, "gp_dept_years").message.startswith("No ")


# --- type 5: associate chief at 二级+ --------------------------------------------------------------------------

@pytest.mark.parametrize("title, passed", [("associate_chief", True), ("chief", True), ("attending", False)])
def test_type5_title(title, passed):
    results = evaluate_exemption(5, profile(job(title=title)), claim(), ON)
    assert outcome(results) == {"unit_secondary_plus": True, "title_associate_chief": passed}


def test_type5_grade_counts_when_the_title_is_other():
    results = evaluate_exemption(5, profile(job(title="other", title_grade="associate_senior")), claim(), ON)
    assert failed(results) == []


def test_type5_unit_not_secondary():
    results = evaluate_exemption(5, profile(job(title="chief", unit_level="other")), claim(), ON)
    assert failed(results) == ["unit_secondary_plus"]


# --- type 6: associate chief with 1 year in the independent GP department -------------------------------------

def test_type6_passes_and_each_rule_fails_alone():
    ok = gp_dept(title="associate_chief", start_date="2024-05-06")
    assert outcome(evaluate_exemption(6, profile(ok), claim(), ON)) == {
        "unit_secondary_plus": True, "title_associate_chief": True, "gp_dept_years": True}
    assert failed(evaluate_exemption(6, profile(gp_dept(title="attending", start_date="2020-01-01")), claim(), ON)) \
        == ["title_associate_chief"]
    results = evaluate_exemption(6, profile(gp_dept(title="associate_chief", start_date="2024-06-06")), claim(), ON)
    assert failed(results) == ["gp_dept_years"]
    assert by_code(results, "gp_dept_years").params.items() >= {"years": 0, "months": 11, "required": 1}.items()
    past = gp_dept(title="associate_chief", start_date="2020-01-01", end_date="2024-12-31", is_current=False)
    now = job(title="associate_chief", unit_level="primary", start_date="2025-01-01")
    assert failed(evaluate_exemption(6, profile(past, now), claim(), ON)) == ["unit_secondary_plus"]


# --- type 7: teacher certificate and one of two paths ---------------------------------------------------------

def test_type7_attending_path():
    results = evaluate_exemption(7, profile(gp_dept(start_date="2023-05-06")), claim(certificate_date="2021-01-01"), ON)
    assert outcome(results) == {"certificate_date": True, "unit_secondary_plus": True, "either_path": True}
    path = by_code(results, "either_path")
    assert path.params["path"] == "attending" and path.params["attending"] and not path.params["associate_chief"]
    assert path.message.startswith("Meets the attending path")


def test_type7_associate_chief_path():
    row = gp_dept(title="associate_chief", start_date="2024-05-06")
    results = evaluate_exemption(7, profile(row), claim(certificate_date="2020-05-01"), ON)
    assert failed(results) == []
    path = by_code(results, "either_path")
    assert path.params["path"] == "associate_chief" and not path.params["attending"]


def test_type7_chief_with_two_years_meets_both_paths():
    row = gp_dept(title="chief", start_date="2020-01-01")
    path = by_code(evaluate_exemption(7, profile(row), claim(certificate_date="2021-01-01"), ON), "either_path")
    assert path.passed and path.params["attending"] and path.params["associate_chief"]


@pytest.mark.parametrize("title, start", [("attending", "2024-05-06"), ("associate_chief", "2024-05-07"),
                                          ("resident", "2015-01-01")])
def test_type7_neither_path(title, start):
    row = gp_dept(title=title, title_grade=None, start_date=start)
    results = evaluate_exemption(7, profile(row), claim(certificate_date="2021-01-01"), ON)
    assert failed(results) == ["either_path"]
    assert by_code(results, "either_path").params["path"] is None


def test_type7_certificate_before_may_2020():
    results = evaluate_exemption(7, profile(gp_dept(start_date="2020-01-01")), claim(certificate_date="2020-04-30"), ON)
    assert failed(results) == ["certificate_date"]


def test_type7_unit_not_secondary():
    past = gp_dept(start_date="2020-01-01", end_date="2024-12-31", is_current=False)
    now = job(unit_level="primary", start_date="2025-01-01")
    results = evaluate_exemption(7, profile(past, now), claim(certificate_date="2021-01-01"), ON)
    assert failed(results) == ["unit_secondary_plus"]


# --- type 8: GP residency certificate, or backbone training of more than 10 months ---------------------------

def test_type8_residency_certificate():
    results = evaluate_exemption(8, profile(), claim(certificate_kind="residency", certificate_date="2019-07-01"), ON)
    assert outcome(results) == {"gp_residency_certificate": True}


@pytest.mark.parametrize("months, passed", [(11, True), (10, False), (None, False)])
def test_type8_backbone_months(months, passed):
    results = evaluate_exemption(8, profile(), claim(certificate_kind="backbone", training_months=months), ON)
    assert outcome(results) == {"backbone_training_months": passed}


def test_type8_kind_inferred_from_months():
    results = evaluate_exemption(8, profile(), claim(training_months=12), ON)
    assert outcome(results) == {"backbone_training_months": True}
    assert outcome(evaluate_exemption(8, profile(), claim(), ON)) == {"gp_residency_certificate": True}


def test_type8_future_certificate_date_fails():
    results = evaluate_exemption(8, profile(), claim(certificate_date="2026-01-01"), ON)
    assert failed(results) == ["certificate_date"]


# --- the table of types and the evidence they need -------------------------------------------------------------

def test_types_table_and_required_evidence():
    assert sorted(EXEMPTION_TYPES) == list(range(1, 9))
    kinds = set(AttachmentKind.values())
    for spec in EXEMPTION_TYPES.values():
        assert spec.evidence and {item.kind for item in spec.evidence} <= kinds
    assert required_evidence(1) == [["gp_work_proof"], ["title_cert"]]
    assert required_evidence(2) == [["teacher_cert"]]
    assert required_evidence(3) == [["title_cert"], ["licence_page"]]
    assert required_evidence(4) == [["title_cert"], ["licence_page"], ["gp_work_proof"]]
    assert required_evidence(5) == [["title_cert"]]
    assert required_evidence(6) == [["title_cert"], ["gp_work_proof"]]
    assert required_evidence(7) == [["teacher_cert"], ["title_cert"], ["gp_work_proof"]]
    assert required_evidence(8) == [["residency_cert", "backbone_cert"]]
    assert required_evidence(8, claim(certificate_kind="backbone")) == [["backbone_cert"]]
    assert required_evidence(8, claim(certificate_kind="residency")) == [["residency_cert"]]


def test_types_table_is_translated(zh):
    for spec in EXEMPTION_TYPES.values():
        for msgid in (spec.title, spec.condition, spec.exempts, *(item.label for item in spec.evidence)):
            zh(msgid)


# --- results as data --------------------------------------------------------------------------------------------

def test_json_round_trip():
    results = evaluate_exemption(7, profile(gp_dept(start_date="2020-01-01")), claim(certificate_date="2021-01-01"), ON)
    data = json.loads(json.dumps(results_to_json(results)))
    assert results_from_json(data) == results
    assert RuleResult.from_json({"code": "x", "passed": True, "message": "m"}) == RuleResult("x", True, "m", {}, True)


def test_every_message_renders_in_chinese(zh):
    samples = [
        evaluate_exemption(1, profile(primary_gp(start_date="2024-02-01")), claim(), ON),
        evaluate_exemption(1, profile(primary_gp(start_date=None)), claim(), ON),
        evaluate_exemption(1, profile(), claim(), ON),
        evaluate_exemption(2, profile(), claim(), ON),
        evaluate_exemption(2, profile(), claim(certificate_date="2026-01-01"), ON),
        evaluate_exemption(2, profile(), claim(certificate_date="2021-01-01"), ON),
        evaluate_exemption(3, profile(job(), licences=[licence()]), claim("内科、外科"), ON),
        evaluate_exemption(3, profile(job(), licences=[licence()]), claim("内科"), ON),
        evaluate_exemption(3, profile(job(), licences=[licence()]), claim(""), ON),
        evaluate_exemption(3, profile(job(unit_level=None, title=None), licences=[licence("21", "全科医学专业")]),
                           claim("内科"), ON),
        evaluate_exemption(3, profile(job()), claim("内科"), ON),
        evaluate_exemption(7, profile(gp_dept()), claim(certificate_date="2021-01-01"), ON),
        evaluate_exemption(7, profile(gp_dept(title="chief")), claim(certificate_date="2021-01-01"), ON),
        evaluate_exemption(7, profile(job()), claim(certificate_date="2021-01-01"), ON),
        evaluate_exemption(8, profile(), claim(), ON),
        evaluate_exemption(8, profile(), claim(certificate_kind="backbone"), ON),
        evaluate_exemption(8, profile(), claim(training_months=12), ON),
    ]
    for result in (r for results in samples for r in results):
        text = result.render(zh)
        assert "%(" not in text and not any("a" <= ch.lower() <= "z" for ch in text), text
    unit = evaluate_exemption(5, profile(job()), claim(), ON)[0]
    assert unit.render(zh) == "当前工作单位“某县人民医院”为二级医院，要求为二级及以上医院"
    years = evaluate_exemption(6, profile(gp_dept(title="chief", start_date="2024-06-06")), claim(), ON)[2]
    assert years.render(zh) == "在所在二级及以上医院独立设置的全科医学科工作 0 年 11 个月 0 天，要求满 1 年"


def test_dates_in_chinese_messages_read_as_chinese_dates(zh):
    result = evaluate_exemption(2, profile(), claim(certificate_date="2020-04-30"), ON)[0]
    text = result.render(zh)
    assert "2020年4月30日" in text and "2020年5月1日" in text and "2020-04-30" not in text, text


def test_render_without_translation_fills_the_english():
    result = evaluate_exemption(2, profile(), claim(certificate_date="2020-04-30"), ON)[0]
    assert result.render() == "The certificate was obtained on 2020-04-30; it must be obtained on or after 2020-05-01."


# --- purity -------------------------------------------------------------------------------------------------------

RULES_DIR = ROOT / "app" / "rules"


def test_rules_import_no_flask_or_database():
    for path in RULES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.split(".")[0].startswith(("flask", "sqlalchemy", "models", "views")), (path, name)
                assert name in ("app.domain.rules",) or not name.startswith("app"), (path, name)
    # and at run time: load the rules under a bare ``app`` package (app/__init__.py itself builds the Flask app)
    code = (
        "import sys, types\n"
        f"package = types.ModuleType('app'); package.__path__ = [{str(ROOT / 'app')!r}]; sys.modules['app'] = package\n"
        "import app.domain.rules.exemption, app.domain.rules.eligibility\n"
        "from datetime import date\n"
        "app.domain.rules.exemption.evaluate_exemption(1, {}, {}, date.today())\n"
        "app.domain.rules.eligibility.evaluate_residency({}, {}, {'year': 2024}, date.today())\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_babel', 'sqlalchemy', 'models'))\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
