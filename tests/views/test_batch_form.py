"""The batch form's season calendar and plan figures: grouped fields with help texts, dates in the
season's order, numbers in range (no server error for a number PostgreSQL cannot hold), no control
characters; a refused form shows the message at the field, keeps what was typed and saves nothing."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import Batch, Quota, Trainee
from models.enums import BatchRound, BatchStatus, Program
from tests.catalogue import zh
from tests.factories import PASSWORD, BatchFactory, specialty
from tests.forms import NOT_CREATED, NOT_SAVED, field_group, input_value, post, trainee_form

NAME = "2026年住院医师规范化培训招收（第一阶段）"


def residency_form(**changes) -> dict:
    """A valid residency batch on the 2024 plan's calendar (moved to 2026)."""
    form = {"name": NAME, "year": "2026", "program": Program.RESIDENCY, "round": BatchRound.FIRST,
            "status": BatchStatus.DRAFT, "opens_at": "2026-05-06 08:00:00", "closes_at": "2026-05-22 18:00:00",
            "resubmission_deadline": "2026-05-23", "confirmation_deadline": "2026-05-22",
            "theory_exam_starts_at": "2026-05-25 09:00:00", "theory_exam_ends_at": "2026-05-25 11:00:00",
            "plan_total": "2100", "expected_base_count": "38", "phase_one_deadline": "2026-05-31",
            "phase_two_deadline": "2026-06-15", "report_deadline": "2026-07-31",
            "theory_weight": "0.5", "skills_weight": "0.5", "tie_break": "theory,skills,submitted_at",
            "skill_items-0-name": "单人徒手心肺复苏", "skill_items-0-mandatory": "y",
            "skill_items-1-name": "体格检查"}
    form.update(changes)
    return form


@pytest.fixture
def province(world, auth):
    auth.login("province", PASSWORD)
    return world


def batch_count() -> int:
    db.session.rollback()  # the test and the requests share a session: read what is stored
    return db.session.scalar(select(func.count()).select_from(Batch))


def stored(name: str = NAME) -> Batch | None:
    db.session.rollback()
    return db.session.scalar(select(Batch).where(Batch.name == name))


def refused(client, url: str, form: dict, field: str, message: str, banner: str = NOT_CREATED) -> str:
    """Post ``form``; the page comes back (no redirect, no 500) with ``message`` at ``field``."""
    response = post(client, url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, response.status_code
    assert message in field_group(html, field), field
    assert banner in html
    return html


# --- the form ---------------------------------------------------------------------------------

def test_the_form_groups_the_season_with_help_texts(province, client):
    html = client.get("/admin/batch/new/").get_data(as_text=True)
    legends = [zh(m) for m in ("Basic information", "Registration", "Review and returns for changes",
                               "On-site confirmation and exams", "Recruitment progress")]
    positions = [html.index(f"<legend>{legend}</legend>") for legend in legends]
    assert positions == sorted(positions)
    # each field in its group, with its label and help text
    for field, group, label in (("resubmission_deadline", 2, "Resubmission deadline"),
                                ("confirmation_deadline", 3, "On-site confirmation deadline"),
                                ("plan_total", 4, "Province plan"),
                                ("expected_base_count", 4, "Expected training bases"),
                                ("phase_one_deadline", 4, "Phase one completed by"),
                                ("phase_two_deadline", 4, "Phase two completed by"),
                                ("report_deadline", 4, "Reporting deadline")):
        at = html.index(f'id="{field}"')
        assert positions[group] < at and (group + 1 == len(positions) or at < positions[group + 1]), field
        assert zh(label) in field_group(html, field), field
    assert "38" in field_group(html, "expected_base_count") and "2100" in field_group(html, "plan_total")
    assert "6 月 15 日" in field_group(html, "phase_two_deadline")


def test_a_batch_with_the_whole_calendar_is_saved(province, client):
    response = post(client, "/admin/batch/new/", residency_form())
    assert response.status_code == 302, field_errors(response)
    batch = stored()
    assert (batch.plan_total, batch.expected_base_count) == (2100, 38)
    assert (batch.resubmission_deadline, batch.phase_one_deadline, batch.phase_two_deadline) == (
        date(2026, 5, 23), date(2026, 5, 31), date(2026, 6, 15))


def field_errors(response) -> list[str]:
    return re.findall(r"<li>([^<]+)</li>", response.get_data(as_text=True))


def test_editing_keeps_and_changes_the_new_fields(province, client):
    post(client, "/admin/batch/new/", residency_form())
    batch_id = stored().id
    response = post(client, f"/admin/batch/edit/?id={batch_id}",
                    residency_form(phase_two_deadline="2026-06-16", expected_base_count="37", plan_total=""))
    assert response.status_code == 302, field_errors(response)
    batch = stored()
    assert (batch.phase_two_deadline, batch.expected_base_count, batch.plan_total) == (date(2026, 6, 16), 37, None)
    assert batch.resubmission_deadline == date(2026, 5, 23)


def test_the_list_shows_the_resubmission_and_phase_deadlines(province, client):
    BatchFactory(name="日历批次", resubmission_deadline=date(2026, 5, 23), phase_one_deadline=date(2026, 5, 31),
                 phase_two_deadline=date(2026, 6, 15), plan_total=2100)
    db.session.commit()
    html = client.get("/admin/batch/").get_data(as_text=True)
    for label in ("Resubmission deadline", "Phase one completed by", "Phase two completed by"):
        assert zh(label) in html
    row = html[html.index("日历批次"):]
    row = row[:row.index("</tr>")]
    assert "2026年5月23日" in row and "2026年5月31日" in row and "2026年6月15日" in row and "2100" in row


# --- dates in the season's order ---------------------------------------------------------------

@pytest.mark.seed("报名状态为退回修改需依据原因重新维护信息进行再次上报")
@pytest.mark.parametrize("day, accepted", [("2026-05-21", False), ("2026-05-22", True), ("2026-05-23", True)])
def test_resubmission_deadline_not_before_the_day_registration_closes(province, client, day, accepted):
    """Review goes on after the window: returned applications are fixed after it closes (the day it
    closes counts, whatever the hour)."""
    form = residency_form(resubmission_deadline=day)
    if accepted:
        assert post(client, "/admin/batch/new/", form).status_code == 302
        assert stored().resubmission_deadline == date.fromisoformat(day)
        return
    html = refused(client, "/admin/batch/new/", form, "resubmission_deadline",
                   zh("The resubmission deadline cannot be before the day registration closes (%(date)s).",
                      date="2026年5月22日"))
    assert input_value(html, "resubmission_deadline") == day and input_value(html, "name") == NAME
    assert batch_count() == 1  # the world's GP batch alone


@pytest.mark.seed("报名阶段：5 月 6 日—22 日")
@pytest.mark.parametrize("day, accepted", [("2026-05-05", False), ("2026-05-06", True)])
def test_confirmation_deadline_not_before_the_window_opens(province, client, day, accepted):
    form = residency_form(confirmation_deadline=day)
    if accepted:
        assert post(client, "/admin/batch/new/", form).status_code == 302
        return
    refused(client, "/admin/batch/new/", form, "confirmation_deadline",
            zh("The on-site confirmation deadline cannot be before the day registration opens (%(date)s).",
               date="2026年5月6日"))
    assert batch_count() == 1  # the world's GP batch alone


@pytest.mark.seed("5 月 31 日前完成第一阶段招收工作 … 6 月 15 日前完成第二阶段招收工作")
@pytest.mark.parametrize("day, accepted", [("2026-05-30", False), ("2026-05-31", True), ("2026-06-15", True)])
def test_phase_two_not_before_phase_one(province, client, day, accepted):
    form = residency_form(phase_two_deadline=day)
    if accepted:
        assert post(client, "/admin/batch/new/", form).status_code == 302
        return
    refused(client, "/admin/batch/new/", form, "phase_two_deadline",
            zh("Phase two cannot be completed before phase one (%(date)s).", date="2026年5月31日"))
    assert batch_count() == 1  # the world's GP batch alone


@pytest.mark.seed("5 月 31 日前完成第一阶段招收工作 … 7 月 31 日前完成新招收住院医师报到工作")
def test_reporting_not_before_phase_one(province, client):
    refused(client, "/admin/batch/new/", residency_form(report_deadline="2026-05-30"), "report_deadline",
            zh("The reporting deadline cannot be before phase one is completed (%(date)s).", date="2026年5月31日"))
    assert batch_count() == 1  # the world's GP batch alone


def test_every_date_out_of_order_is_shown_at_once_and_editing_saves_nothing(province, client):
    post(client, "/admin/batch/new/", residency_form())
    batch_id = stored().id
    form = residency_form(resubmission_deadline="2026-05-01", confirmation_deadline="2026-05-01",
                          phase_two_deadline="2026-05-01", report_deadline="2026-05-01", name="")
    response = post(client, f"/admin/batch/edit/?id={batch_id}", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and NOT_SAVED in html
    for field in ("resubmission_deadline", "confirmation_deadline", "phase_two_deadline", "report_deadline"):
        assert "不能早于" in field_group(html, field), field
    batch = stored()
    assert (batch.resubmission_deadline, batch.phase_two_deadline) == (date(2026, 5, 23), date(2026, 6, 15))


@pytest.mark.parametrize("field, value", [("resubmission_deadline", "2026-02-30"), ("phase_one_deadline", "5月31日"),
                                          ("phase_two_deadline", "99999-01-01"), ("report_deadline", "2026-07-31\x00")])
def test_a_date_that_is_no_date_is_refused_in_chinese(province, client, field, value):
    html = refused(client, "/admin/batch/new/", residency_form(**{field: value}), field, "不是有效的日期值")
    assert "Not a valid" not in html
    assert batch_count() == 1  # the world's GP batch alone


# --- numbers -----------------------------------------------------------------------------------

RANGE = "Please enter a whole number from %(min)s to %(max)s."
HUGE = "99999999999999999999"  # more than SQLite's and PostgreSQL's integers hold
OVER_INTEGER = "2147483648"  # one more than PostgreSQL's INTEGER


@pytest.mark.parametrize("field", ["plan_total", "expected_base_count"])
@pytest.mark.parametrize("value", ["-1", "100001", OVER_INTEGER, HUGE])
def test_plan_figures_out_of_range_are_refused(province, client, field, value):
    html = refused(client, "/admin/batch/new/", residency_form(**{field: value}), field,
                   zh(RANGE, min=0, max=100000))
    assert input_value(html, field) == value and input_value(html, "name") == NAME
    assert batch_count() == 1  # the world's GP batch alone


@pytest.mark.parametrize("field", ["plan_total", "expected_base_count"])
@pytest.mark.parametrize("value", ["0", "100000"])
def test_plan_figures_at_the_bounds_are_saved(province, client, field, value):
    assert post(client, "/admin/batch/new/", residency_form(**{field: value})).status_code == 302
    assert getattr(stored(), field) == int(value)


@pytest.mark.parametrize("field, bounds", [("year", (2000, 2100)), ("licence_required_graduation_year", (1950, 2100))])
@pytest.mark.parametrize("value", [HUGE, OVER_INTEGER, "-2026"])
def test_years_out_of_range_are_refused(province, client, field, bounds, value):
    refused(client, "/admin/batch/new/", residency_form(**{field: value}), field,
            zh(RANGE, min=bounds[0], max=bounds[1]))
    assert batch_count() == 1  # the world's GP batch alone


@pytest.mark.parametrize("value", ["1.5", "两千", "1e3"])
def test_a_plan_that_is_no_whole_number_is_refused_in_chinese(province, client, value):
    refused(client, "/admin/batch/new/", residency_form(plan_total=value), "plan_total", "不是有效的整数")
    assert batch_count() == 1  # the world's GP batch alone


@pytest.mark.parametrize("value", [HUGE, OVER_INTEGER, "-1"])
def test_quota_places_out_of_range_are_refused(province, client, value):
    batch = province.batches["gp"]
    form = {"batch": str(batch.id), "base": str(province.bases["zz"].id),
            "specialty": str(specialty("0100").id), "capacity": value}
    refused(client, "/admin/quota/new/", form, "capacity", zh(RANGE, min=0, max=100000))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Quota).where(Quota.batch_id == batch.id)) == 2


# --- control characters ------------------------------------------------------------------------

CONTROL = "Contains invisible control characters, which cannot be saved: please remove them."


@pytest.mark.parametrize("field, value", [("name", "2026年住培\x00批次"), ("notes", "备注\x00"),
                                          ("tie_break", "theory,\x00skills"), ("skill_items-1-name", "体格\x00检查"),
                                          ("notes", "响铃\x07")])
def test_control_characters_in_text_are_refused(province, client, field, value):
    response = post(client, "/admin/batch/new/", residency_form(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and NOT_CREATED in html
    assert zh(CONTROL) in field_group(html, field)
    assert batch_count() == 1  # the world's GP batch alone


def test_line_breaks_in_notes_are_kept(province, client):
    assert post(client, "/admin/batch/new/", residency_form(notes="第一行\r\n第二行\t完")).status_code == 302
    assert stored().notes.replace("\r\n", "\n") == "第一行\n第二行\t完"


def test_every_back_office_form_refuses_control_characters(world, auth, client):
    """The check sits in the base view: a trainee's name with a NUL is refused at the field, not
    turned into a database error (PostgreSQL refuses NUL in text)."""
    auth.login("support", PASSWORD)
    response = post(client, "/admin/trainee/new/", trainee_form(name="张\x00三"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and zh(CONTROL) in field_group(html, "name")
    assert input_value(html, "name") == "张三"  # what was typed, without the invisible character
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Trainee).where(Trainee.name.like("张%三"))) == 0


def test_tie_break_is_chosen_from_orders_in_words(province, client):
    html = client.get("/admin/batch/new/").get_data(as_text=True)
    group = field_group(html, "tie_break")
    assert ">理论成绩高者优先 → 技能成绩高者优先 → 报名提交时间早者优先 → 报名编号小者优先</option>" in group
    assert ">报名编号小者优先</option>" in group  # no tie-break item: the application number alone
    assert ">theory" not in group
    response = post(client, "/admin/batch/new/", residency_form(tie_break="theory,age"))
    assert NOT_CREATED in response.get_data(as_text=True) and batch_count() == 1
    assert post(client, "/admin/batch/new/", residency_form(tie_break="skills,theory")).status_code == 302
    assert stored().tie_break == "skills,theory"
