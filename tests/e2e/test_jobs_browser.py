"""The job page in Chromium under the strict CSP: the progress bar follows the job (polled JSON), and
the download link appears when it is done; no CSP violation, no console error."""
from __future__ import annotations

from playwright.sync_api import expect

from app.extensions import db
from app.infra import jobs
from app.infra.filestore import store
from models import Job, Status
from models.clock import now
from tests.browser import browser_page, live_server, log_in, shoot  # noqa: F401
from tests.dashboard import add_application




def test_the_progress_bar_follows_the_job_and_offers_the_download(world, live_server, browser_page, tmp_path):
    page, base = browser_page, live_server
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" and not (
        message.location or {}).get("url", "").endswith("/favicon.ico") else None)  # the browser's own ask
    page.on("pageerror", lambda error: problems.append(str(error)))
    account = world.accounts["county_zy"]
    job = Job(kind="export", account_id=account.id, role=account.role, region_id=account.region_id, base_id=None,
              title="导出：报名汇总表（12000 条）", params="{}", state="running", done=3000, total=12000,
              attempts=1, created_at=now(), started_at=now(), heartbeat_at=now())
    db.session.add(job)
    db.session.commit()
    log_in(page, base, "county_zy")
    page.goto(f"{base}/admin/jobs/{job.id}/")
    assert page.locator("#job-bar").inner_text() == "25%" and "进行中" in page.content()
    shoot(page, "jobs-running")
    job.done = 9000
    db.session.commit()
    expect(page.locator("#job-bar")).to_have_text("75%", timeout=8000)  # polled, without a reload
    result = tmp_path / "result.xlsx"
    result.write_bytes(b"PK")
    with open(result, "rb") as stream:
        store().save(f"job-{job.id}-screenshot.xlsx", stream, jobs.XLSX)
    job.state, job.done, job.result_name, job.result_filename = "done", 12000, f"job-{job.id}-screenshot.xlsx", "x.xlsx"
    job.summary, job.finished_at, job.expires_at = "已导出 12000 条。", now(), now().replace(year=now().year + 1)
    db.session.commit()
    page.wait_for_selector("#job-download:not([hidden])", timeout=8000)
    page.wait_for_load_state("networkidle")
    assert "已完成" in page.content() and "已导出 12000 条。" in page.content()
    shoot(page, "jobs-done")
    page.goto(f"{base}/admin/jobs/")
    assert "导出：报名汇总表（12000 条）" in page.content()
    shoot(page, "jobs-list")
    assert problems == []


def test_all_matching_applications_from_the_list_to_the_job_page(world, live_server, browser_page):
    page, base = browser_page, live_server
    for _index in range(3):
        add_application(world, "zy", world.batches["gp"], Status.SUBMITTED)
    db.session.commit()
    log_in(page, base, "county_zy")
    page.goto(f"{base}/admin/application/?flt2_status_equals=submitted")
    assert "全部 3 条符合条件的报名" in page.content()
    shoot(page, "bulk-all-list")
    with page.expect_navigation():
        page.click(".bulk-all-form button[type=submit]")
    assert "对全部 3 条符合条件的报名执行" in page.content()
    shoot(page, "bulk-all-confirm")
    with page.expect_navigation():
        page.click(".bulk-all-page button[type=submit]")
    assert "/admin/jobs/" in page.url and "已执行 3 条，未执行 0 条。" in page.content()
    shoot(page, "bulk-all-done")
