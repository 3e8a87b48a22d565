"""In Chromium: the base sets the 报到 time and place and issues the notices; the admitted trainee
sees the 录取通知, downloads its PDF and accepts; the base scans the notice's code and records 报到.
Screenshots of each page at 390 and 1280 px go to the screenshots folder (tests/browser.py)."""
from __future__ import annotations


import pypdfium2 as pdfium

from app.domain.admission.notices import notice_short_code
from app.extensions import db
from models import Acceptance, AdmissionNotice, Application, Status
from tests.browser import SHOTS, browser_page, live_server, log_in, shoot, submit_in  # noqa: F401
from tests.notices import admitted_season, as_graduate







def test_notice_acceptance_and_reporting_in_chromium(world, live_server, browser_page, tmp_path):
    page, base = browser_page, live_server
    season = admitted_season(world, issue=False)
    as_graduate(season.people["top"])

    # the base sets the time and place of 报到 and issues the notices
    log_in(page, base, "base_zz")
    page.goto(base + "/admin/notices/")
    page.fill("#report_at", "2024-07-20T08:30")
    page.fill("#place", "郑州大学第一附属医院行政楼三楼会议室")
    submit_in(page, "form:has(#save-arrangement)")
    assert "报到时间和地点已保存" in page.content()
    submit_in(page, "form:has(#issue)")
    assert "已发出 3 份录取通知" in page.content()
    shoot(page, "base-notices")

    # the trainee sees the notice, downloads the PDF and accepts
    log_in(page, base, "res_top")
    page.goto(f"{base}/portal/applications/{season.people['top'].id}")
    with page.expect_navigation():
        page.get_by_text("查看录取通知").click()
    body = page.locator("#notice").inner_text()
    assert "测试基地郑州" in body and "内科" in body and "2024年7月20日 08:30" in body
    shoot(page, "trainee-notice")
    with page.expect_download() as download_info:
        page.click("#notice-pdf")
    pdf_path = tmp_path / "notice.pdf"
    download_info.value.save_as(pdf_path)
    document = pdfium.PdfDocument(pdf_path.read_bytes())
    assert "录取通知书" in document[0].get_textpage().get_text_range()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "notice.pdf").write_bytes(pdf_path.read_bytes())
    submit_in(page, "form:has(#accept)")
    assert "您已接受录取" in page.content() and page.locator("#acceptance").inner_text() == "已接受"
    shoot(page, "trainee-accepted")
    notice = db.session.scalar(db.select(AdmissionNotice).where(
        AdmissionNotice.application_id == season.people["top"].id))
    assert notice.acceptance == Acceptance.ACCEPTED

    # the base types the code printed under the QR code and records 报到
    log_in(page, base, "base_zz")
    page.goto(base + "/admin/notices/check")
    page.fill("#code", notice_short_code(notice))
    submit_in(page, "form:has(#code)")
    shoot(page, "base-check")
    submit_in(page, "form:has(#report)")
    assert "甲一 已报到" in page.content()
    page.goto(base + "/admin/notices/")
    assert "3 年" in page.locator("#records").inner_text()
    shoot(page, "base-records")
    db.session.expire_all()
    assert db.session.get(Application, season.people["top"].id).status == Status.REPORTED
