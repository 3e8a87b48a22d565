"""In Chromium: a base filters its application list by a state after on-site confirmation (who is
missing the diploma, who declined) and reads each row's 准考证, scores, admission, answer and missing
documents; the exam page's room capacity refused below the seated, the typed value kept, and the
准考证 window in force (the province's default). Screenshots
at 390 and 1280 px go to the screenshots folder (tests/browser.py)."""
from __future__ import annotations

from datetime import date

from app.extensions import db
from models.exam import ExamRoom
from tests.browser import browser_page, live_server, log_in, shoot, submit_in  # noqa: F401
from tests.standing_scene import standing_season


def test_the_list_by_state_and_the_room_capacity_in_chromium(world, live_server, browser_page):
    page, base = browser_page, live_server
    season = standing_season(world)
    log_in(page, base, "base_zz")
    page.goto(base + "/admin/application/?flt0_missing_documents_equals=diploma")
    content = page.content()
    assert "甲一" in content and "己六" not in content and "毕业证书或学位证书（2031年8月31日前提交）" in content
    shoot(page, "application-list-missing-diploma")
    page.goto(base + "/admin/application/?flt0_admission_acceptance_equals=declined")
    assert "乙二" in page.content() and "录取通知：已放弃" in page.content()
    page.goto(base + "/admin/application/?page_size=20")
    shoot(page, "application-list-states")

    season.batch.card_opens_on, season.batch.card_closes_on = date(2025, 5, 20), date(2025, 5, 24)
    db.session.commit()
    room = db.session.scalar(db.select(ExamRoom))
    page.goto(f"{base}/admin/exams/?batch={season.batch.id}&base={world.bases['zz'].id}")
    page.fill(f"#capacity-{room.id}", "1")
    submit_in(page, "form.room-capacity")
    content = page.content()
    assert "“第一考场”已安排2名考生，容量不能少于2。" in content
    assert page.input_value(f"#capacity-{room.id}") == "1"
    assert "当前适用：2025年5月20日 – 2025年5月24日（省级批次默认）" in content
    shoot(page, "exam-room-capacity-refused")
