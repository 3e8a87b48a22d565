"""In Chromium: the province opens admission to the bases, 郑州's staff runs the dry run and publishes its
own quotas, the province sees each base's state. Screenshots at 390 and 1280 px (tests/browser.py)."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from models import Application, Status
from models.clock import today
from tests.admission_scene import PAGE, scene  # noqa: F401
from tests.base_admission_helpers import BASE_PAGE
from tests.browser import browser_page, live_server, log_in, shoot, submit_in  # noqa: F401


def test_base_admission_in_chromium(world, scene, live_server, browser_page):  # noqa: F811
    page, base = browser_page, live_server
    batch, people = scene

    log_in(page, base, "province")
    page.goto(f"{base}{PAGE}?batch_id={batch.id}")
    page.check("#base-enabled")
    page.fill("#base-deadline", (today() + timedelta(days=2)).isoformat())
    submit_in(page, "form.base-admission-form")
    assert "已开放基地录取" in page.content()

    log_in(page, base, "base_zz")
    page.goto(f"{base}{BASE_PAGE}?batch_id={batch.id}")
    assert "未开始" in page.content()
    page.fill("#dry-run-reason", "成绩导入完成后试算")
    submit_in(page, "form.dry-run-form")
    assert "试算已记录" in page.content() and "甲一" in page.content() and "己六" not in page.content()
    shoot(page, "base-admission-dry-run")
    page.click("a.publish-button")
    page.fill("#reason", "核对无误")
    submit_in(page, "form:has(#reason)")
    assert "录取结果已发布" in page.content() or "已发布" in page.content()
    shoot(page, "base-admission-published")
    db.session.expire_all()
    assert db.session.get(Application, people["top"].id).status == Status.ADMITTED

    log_in(page, base, "province")
    page.goto(f"{base}{PAGE}?batch_id={batch.id}")
    table = page.locator("table.base-states").inner_text()
    assert "已发布" in table and "未开始" in table
    shoot(page, "province-admission-bases")
