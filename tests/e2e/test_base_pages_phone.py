"""The base's 现场确认 and 报到 pages at 390 px (issue 14, item 5): nothing wider than the phone, the
buttons in reach; screenshots at 390 and 1280 px in the screenshots folder (tests/browser.py)."""
from __future__ import annotations

from urllib.parse import quote

from app.domain.review.verification import short_code
from app.extensions import db
from models import Status
from tests.applications import residency_application
from tests.browser import SHOTS, browser_page, live_server, log_in  # noqa: F401
from tests.notices import accepted_notice

REPORTING = "/admin/application/?flt1_program_equals=residency&flt2_status_equals=admitted"




def fits_the_phone(page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def test_confirmation_and_reporting_fit_a_phone(world, live_server, browser_page):  # noqa: F811
    waiting = residency_application(world, name="待确认")
    admitted = residency_application(world, name="待报到", status=Status.ADMITTED, batch=waiting.batch)
    code = short_code(waiting)
    db.session.commit()
    accepted_notice(admitted)  # 报到 needs an accepted admission
    page = browser_page
    log_in(page, live_server, "base_zz")
    page.goto(f"{live_server}/admin/confirm/?code={quote(code)}")
    assert "待确认" in page.inner_text("body")
    fits_the_phone(page, "onsite-confirmation")
    button = page.locator("form button[type=submit]").last
    box = button.bounding_box()
    assert box and box["x"] + box["width"] <= 390

    page.goto(live_server + REPORTING)
    card = page.locator(".model-list tbody tr", has_text="待报到")
    assert card.locator(".review-open").is_visible()
    fits_the_phone(page, "reporting-queue")
    with page.expect_navigation():
        card.locator(".review-open").click()
    report = page.locator(".details-actions form.row-approve button")
    assert report.is_visible() and "报到" in report.inner_text()
    fits_the_phone(page, "reporting-details")
    with page.expect_navigation():
        report.click()  # asks first (the browser page accepts the dialog)
    db.session.expire_all()
    assert db.session.get(type(admitted), admitted.id).status == Status.REPORTED
