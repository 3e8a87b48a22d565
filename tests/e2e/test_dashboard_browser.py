"""The dashboard with 38 bases in Chromium (issue 14: "The dashboard stays one screen for 38 bases: totals,
top items, and a searchable table"): at 1280 px the province's page is about one screen high, the search
box keeps the bases whose name matches, a column header sorts, a base's name opens its page per
specialty; nothing is wider than a phone at 390 px. Screenshots at 390 and 1280 px go to the
screenshots folder (tests/browser.py)."""
from __future__ import annotations

import random
from datetime import date

from app.extensions import db
from models import Acceptance, Quota, Status
from models.enums import Program
from tests.browser import SHOTS, browser_page, live_server, log_in, shoot  # noqa: F401
from tests.dashboard import exam_room, give_seat, notice, residency_application, training_record
from tests.factories import BaseFactory, BatchFactory, specialty

BASES = 38
CODES = ("0100", "0200", "0300", "0700", "0900", "1600", "1900", "2800")
STATES = (Status.SUBMITTED, Status.BASE_APPROVED, Status.CONFIRMED, Status.CONFIRMED, Status.ADMITTED,
          Status.ADMITTED, Status.REPORTED, Status.NOT_ADMITTED)
SCREEN = 900  # the height of the desktop window the screenshots use


def season_with_38_bases(world):
    """A residency batch with 38 bases (the world's two and 36 more), eight specialties each, and a few
    applications per base in every state of the season."""
    rng = random.Random(38)
    batch = BatchFactory(name="2025年住院医师规范化培训招收（第一阶段）", program=Program.RESIDENCY)
    specialties = [specialty(code) for code in CODES]
    bases = [world.bases["zz"], world.bases["ly"]] + [
        BaseFactory(name=f"示例医院{n:02d}", city=world.regions["zz" if n % 2 else "ly"]) for n in range(3, BASES + 1)]
    for base in bases:
        room = exam_room(batch, base)
        for spec in specialties:
            db.session.add(Quota(batch=batch, base=base, specialty=spec, capacity=rng.choice((5, 10, 15, 20, 30))))
        for _n in range(rng.randint(2, 6)):
            status, spec = rng.choice(STATES), rng.choice(specialties)
            scored = status in (Status.ADMITTED, Status.REPORTED, Status.NOT_ADMITTED) or rng.random() < 0.3
            admitted = status in (Status.ADMITTED, Status.REPORTED)
            application = residency_application(
                world, rng.choice(("zy", "js", "xg")), batch, base, status, [spec],
                combined_score=rng.randint(50, 95) if scored else None,
                admitted_specialty_id=spec.id if admitted else None)
            if status not in (Status.SUBMITTED, Status.BASE_APPROVED):
                give_seat(application, room)
            if admitted:
                answer = Acceptance.ACCEPTED if status == Status.REPORTED or rng.random() < 0.5 else Acceptance.PENDING
                notice(application, spec, answer)
                if answer == Acceptance.ACCEPTED:
                    training_record(application, diploma_due=date(2025, 8, 31) if rng.random() < 0.4 else None)
    db.session.commit()
    return batch


def visible_rows(page, table_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{table_id} tbody tr:not([hidden]) th", "cells => cells.map(c => c.innerText)")


def test_the_province_dashboard_is_one_screen_for_38_bases(world, live_server, browser_page):  # noqa: F811
    batch = season_with_38_bases(world)
    table = f"b{batch.id}-bases-table"
    page = browser_page
    problems: list[str] = []  # the page's script errors, console errors and refused resources (the CSP's too)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error"
            and not (message.location or {}).get("url", "").endswith("/favicon.ico") else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    log_in(page, live_server, "province")
    page.set_viewport_size({"width": 1280, "height": SCREEN})
    page.goto(live_server + "/admin/")
    assert len(visible_rows(page, table)) == BASES
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= SCREEN * 1.2, height  # about one screen: the table of bases scrolls inside its box
    shoot(page, "dashboard-province")
    # the GP batch is the other tab
    page.set_viewport_size({"width": 1280, "height": SCREEN})
    page.click(f"#b{world.batches['gp'].id}-tab")
    assert page.locator(f"#b{world.batches['gp'].id}-gp-table").is_visible()
    assert not page.locator(f"#{table}").is_visible()
    page.screenshot(path=str(SHOTS / "dashboard-province-gp-1280.png"), full_page=True)
    page.click(f"#b{batch.id}-tab")

    # the search box keeps the bases whose name contains what is typed
    page.set_viewport_size({"width": 1280, "height": SCREEN})
    page.fill(f"#{table}-search", "示例医院1")
    names = visible_rows(page, table)
    assert names == [f"示例医院{n}" for n in range(10, 20)]
    assert "显示 10 / 38" in page.inner_text(f"[data-search-for={table}]")
    page.fill(f"#{table}-search", "")
    assert len(visible_rows(page, table)) == BASES

    # a header sorts: most applicants first, again for the fewest
    header = page.locator(f"#{table} thead th", has_text="报名人数")
    header.locator("button").click()
    counts = page.eval_on_selector_all(f"#{table} tbody tr td:nth-of-type(2)", "cells => cells.map(c => +c.innerText)")
    assert counts == sorted(counts, reverse=True) and header.get_attribute("aria-sort") == "descending"
    header.locator("button").click()
    counts = page.eval_on_selector_all(f"#{table} tbody tr td:nth-of-type(2)", "cells => cells.map(c => +c.innerText)")
    assert counts == sorted(counts)

    # a base's name opens its season per specialty
    with page.expect_navigation():
        page.click(f"#{table} tbody a:text-is('示例医院07')")
    assert page.locator("h2", has_text="示例医院07").is_visible()
    assert page.locator(f"table[id^=b{batch.id}-res] tbody tr").count() == len(CODES)
    shoot(page, "dashboard-base-page")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/admin/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the folded sections open with their charts drawn
    page.set_viewport_size({"width": 1280, "height": SCREEN})
    page.click(f"#b{batch.id} details.dash-fold summary >> nth=0")
    assert page.locator(f"#b{batch.id} details.dash-fold canvas").first.bounding_box()["height"] > 50
    assert problems == []


def test_base_staff_and_reviewers_at_both_widths(world, live_server, browser_page):  # noqa: F811
    season_with_38_bases(world)
    page = browser_page
    for user in ("base_zz", "county_zy", "city_zz"):
        log_in(page, live_server, user)
        page.goto(live_server + "/admin/")
        assert "示例医院" not in page.inner_text("body")  # another base's name, never
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, user
        shoot(page, f"dashboard-{user}")
