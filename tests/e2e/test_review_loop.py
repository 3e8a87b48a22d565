"""The reviewer's workspace in Chromium (issue 14): a county reviewer clears ten applications with
下一条, 通过并下一条, 退回修改并下一条 and a refused exemption claim, counting the clicks of each review;
the trainee then reads the claim decisions; the queue at 390 px is a list of cards."""
from __future__ import annotations


from sqlalchemy import select

from app.extensions import db
from views.admin.review_actions import PRESET_REASONS
from models import Application, ReviewRecord, Role, Status
from tests.catalogue import zh
from tests.browser import SHOTS, browser_page, live_server, log_in  # noqa: F401
from tests.factories import AccountFactory
from tests.review_queue import QUEUE, queue_of





def shots(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


class Clicks:
    """Counts the reviewer's clicks (and key presses) per review."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector: str, navigates: bool = False) -> None:
        self.count += 1
        if navigates:
            with self.page.expect_navigation():
                self.page.click(selector)
        else:
            self.page.click(selector)

    def press(self, key: str) -> None:
        self.count += 1
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def current_name(page) -> str:
    return page.locator(".details-header h2").inner_text().split()[0]


def status_of(application_id):
    db.session.expire_all()
    return db.session.scalar(select(Application.status).where(Application.id == application_id))


def test_a_county_reviewer_clears_ten_applications(world, live_server, browser_page):  # noqa: F811
    queue = queue_of(world, 10, claims={0: (1, 3)})
    trainee = AccountFactory(username="queue_trainee", role=Role.TRAINEE)
    queue[0].trainee.account = trainee
    db.session.commit()
    page, clicks = browser_page, Clicks(browser_page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "county_zy")
    page.goto(live_server + QUEUE)
    with page.expect_navigation():
        page.locator(".review-open").first.click()  # the first of the queue: the longest waiting
    assert current_name(page) == "排队01" and "第 1 / 共" in page.inner_text(".review-loop-bar")
    shots(page, "details-with-claims")

    # 1: two claims decided (one refused, with a reason), then approved: 4 clicks and the reason typed
    clicks.click(f"#claim-{queue[0].exemptions[0].id} .claim-agree", navigates=True)
    page.fill(f"#claim-{queue[0].exemptions[1].id} .claim-reason", "执业范围与轮转科室不符")
    clicks.click(f"#claim-{queue[0].exemptions[1].id} .claim-refuse", navigates=True)
    assert "不同意：执业范围与轮转科室不符" in page.inner_text(f"#claim-{queue[0].exemptions[1].id}")
    clicks.click("#loop-approve", navigates=True)
    assert clicks.take() == 3 and current_name(page) == "排队02"

    # 2: skipped with J (keys do nothing while typing in the reason box)
    page.click("#reason")
    page.keyboard.type("ja")
    assert current_name(page) == "排队02" and page.input_value("#reason") == "ja"
    page.fill("#reason", "")
    page.locator("h2").first.click()
    clicks.press("j")
    assert clicks.take() == 1 and current_name(page) == "排队03"

    # 3: approve after reading to the end of the page: one click on the bar that stays in sight
    page.mouse.wheel(0, 5000)
    clicks.click(".loop-approve-top", navigates=True)
    assert clicks.take() == 1 and current_name(page) == "排队04"

    # 4: return with a preset reason: two clicks
    clicks.click(".preset-reason >> nth=0")
    clicks.click("#loop-return", navigates=True)
    assert clicks.take() == 2 and current_name(page) == "排队05"

    # 5–9: approve with the A key, then the previous with K lands on the skipped one
    for expected in ("排队06", "排队07", "排队08", "排队09", "排队10"):
        clicks.press("a")
        assert clicks.take() == 1 and current_name(page) == expected
    clicks.press("k")
    assert current_name(page) == "排队02"  # the skipped one, still waiting: 10 is after it in the queue
    # 2 again, returned with a typed reason; 10 then approved; the queue is empty and the list shows
    page.fill("#reason", "身份证照片不清晰")
    with page.expect_navigation():
        page.click("#loop-return")
    assert current_name(page) == "排队10"
    with page.expect_navigation():
        page.click("#loop-approve")
    assert "/details/" not in page.url and "status_equals=submitted" in page.url

    assert [status_of(a.id) for a in queue] == [
        Status.COUNTY_APPROVED, Status.RETURNED, Status.COUNTY_APPROVED, Status.RETURNED,
        *[Status.COUNTY_APPROVED] * 6]
    reasons = db.session.scalars(select(ReviewRecord.reason).where(ReviewRecord.application_id == queue[3].id)).all()
    assert reasons == [zh(PRESET_REASONS[0]._args[0])]  # the first preset reason, in Chinese

    # the trainee reads the decisions on the application page
    log_in(page, live_server, "queue_trainee")
    page.goto(f"{live_server}/portal/applications/{queue[0].id}")
    outcomes = page.inner_text(".claim-outcomes")
    assert "（1）" in outcomes and "同意，减免：减免内容1" in outcomes
    assert "（3）" in outcomes and "不同意（执业范围与轮转科室不符）" in outcomes
    shots(page, "trainee-claim-outcomes")


def test_the_queue_at_390_px_is_a_list_of_cards(world, live_server, browser_page):  # noqa: F811
    queue = queue_of(world, 3, claims={1: (2, 8)})
    page = browser_page
    log_in(page, live_server, "county_zy")
    # the dashboard's row of queues: how many wait, one tap to the queue
    queue_button = page.locator(".my-queues a[data-queue=county]")
    assert "待我审核" in queue_button.inner_text() and "3" in queue_button.inner_text()
    shots(page, "dashboard-queues")
    page.set_viewport_size({"width": 390, "height": 844})
    with page.expect_navigation():
        queue_button.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.locator(".model-list thead").is_visible()
    card = page.locator(".model-list tbody tr", has_text="排队02")
    text = card.inner_text()
    assert "排队02" in text and "zy卫生院2" in text and "已等 9 天" in text and "减免类型 2、8" in text
    assert queue[1].trainee.id_number not in text and "*" in text  # the ID number masked
    assert card.locator(".review-open").is_visible() and not card.locator(".row-approve").is_visible()
    box = card.locator(".review-open").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 36
    shots(page, "queue-cards")
    page.set_viewport_size({"width": 390, "height": 844})
    with page.expect_navigation():
        card.locator(".review-open").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#loop-approve").is_visible() and page.locator("#loop-return").is_visible()
    page.fill("#reason", "照片不清晰")
    shots(page, "details-phone")
