"""Notices and withdrawals in a real headless Chromium: a trainee reads a county notice with a table,
a long link and a PDF on a phone (390 px); the login page lists the province's notices; the base's
withdrawal form and the province's receipts page. Screenshots at 390 and 1280 px."""
from __future__ import annotations

import io
from datetime import date, timedelta

from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import storage
from models.enums import AttachmentKind, NoticeLevel, WithdrawalStatus
from tests.browser import browser_page, live_server, shoot, submit_in  # noqa: F401
from tests.factories import PASSWORD
from tests.files import pdf_pages
from tests.notice_helpers import notice
from tests.withdrawal_helpers import admitted, stored_withdrawal

BODY = """**各位学员：**

2024 年住院医师规范化培训招收工作即将开始，请注意以下事项：

1. 报名时间：5 月 6 日至 5 月 15 日；
2. 报名网址：https://kjjy.hnwsjk.cn/portal/apply/residency/2024/first-stage/registration-form-and-instructions
3. 现场确认需携带 *身份证原件*。

| 事项 | 时间 | 地点 |
| --- | --- | --- |
| 理论考试 | 5 月 25 日 09:00—11:00 | 各住培基地 |
| 技能考核 | 5 月 27 日起 | 各住培基地考场 |

<script>alert('x')</script>
"""


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_trainee_reads_a_county_notice_on_a_phone(world, live_server, browser_page):
    page, base = browser_page, live_server
    row = notice("中原区 2024 年住培招收报名须知", NoticeLevel.COUNTY, region=world.regions["zy"], body=BODY,
                 pinned=True, must_read=True)
    from_file = storage.save(_pdf("报名须知附件.pdf"), AttachmentKind.OTHER, None, notice=row)
    notice("关于开展住培招收工作的通知（全省）", publish_in=timedelta(hours=-2))
    notice("西工区通知", NoticeLevel.COUNTY, region=world.regions["xg"])
    db.session.commit()

    page.goto(base + "/login")
    assert "关于开展住培招收工作的通知（全省）" in page.inner_text(".login-notices")
    assert "中原区" not in page.inner_text(".login-notices")
    assert no_horizontal_scroll(page)
    shoot(page, "notices-01-login")
    page.fill("#username", "trainee_zy")
    page.fill("#password", PASSWORD)
    submit_in(page, "form:has(#username)")
    notices = page.locator(".portal-notices .list-group-item")
    assert notices.count() == 2 and "中原区 2024 年住培招收报名须知" in notices.first.inner_text()  # pinned first
    assert "西工区通知" not in page.content()
    shoot(page, "notices-02-home")
    with page.expect_navigation():
        notices.first.click()
    body = page.locator(".notice-body")
    assert "理论考试" in body.inner_text() and body.locator("table").count() == 1
    assert body.locator("script").count() == 0 and "<script>alert('x')</script>" in body.inner_text()
    assert no_horizontal_scroll(page)
    link = page.locator(".notice-files a")
    assert "报名须知附件.pdf" in link.inner_text()
    assert link.get_attribute("href") == f"/notices/{row.id}/files/{from_file.id}"
    shoot(page, "notices-03-read")


def _pdf(name):
    return FileStorage(io.BytesIO(pdf_pages(1)), filename=name, content_type="application/pdf")


def test_staff_pages_of_withdrawals_and_receipts(world, live_server, browser_page):
    page, base = browser_page, live_server
    application = admitted(world)
    stored = stored_withdrawal(application, date(2025, 10, 1), status=WithdrawalStatus.PENDING)
    admitted(world, name="李待退", born=date(1995, 8, 8))
    row = notice("必读：全省住培工作安排", must_read=True, body="请各级**按时**完成。")
    page.goto(base + "/login")
    page.fill("#username", "base_zz")
    page.fill("#password", PASSWORD)
    submit_in(page, "form:has(#username)")
    page.goto(base + "/admin/withdrawal/new/")
    assert "李待退" in page.inner_text("#application_id") and "张退培" not in page.inner_text("#application_id")
    shoot(page, "withdrawals-01-new")
    page.goto(base + "/admin/notices-inbox/")
    assert "必读：全省住培工作安排" in page.content()
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.fill("#username", "province")
    page.fill("#password", PASSWORD)
    submit_in(page, "form:has(#username)")
    page.goto(f"{base}/admin/notice/details/?id={row.id}")
    assert "本级工作人员阅读情况" in page.content()
    shoot(page, "notices-04-receipts")
    page.goto(f"{base}/admin/withdrawal/details/?id={stored.id}")
    assert "退回基地" in page.content()
    shoot(page, "withdrawals-02-decide")
