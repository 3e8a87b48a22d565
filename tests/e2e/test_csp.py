"""The Content-Security-Policy in a real Chromium (issue 11, item 9): the back office and the portal
still work with it, and the browser reports no violation and no console error on their main pages —
a Flask-Admin list with its filter menu and date-range filter, an edit form with select2 ajax look-ups,
a date picker and an inline row added, the dashboard's charts, the application details with a PDF's
page images opening in the viewer, and the trainee's pages."""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import storage
from tests.browser import browser_page, live_server, log_in  # noqa: F401
from tests.files import pdf_pages, save_pdf

WATCH = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__problems.push('CSP ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                         ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def watch(page) -> list[str]:
    """Violations (reported by the page) and console errors or warnings, collected from now on."""
    problems: list[str] = []
    page.add_init_script(WATCH)
    def on_console(message):
        url = (message.location or {}).get("url", "")
        if message.type in ("error", "warning") and not url.endswith("/favicon.ico"):  # the browser's own ask
            problems.append(f"console {message.type}: {message.text} ({url})")
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    return problems


def seen(page, problems: list[str], where: str) -> None:
    reported = page.evaluate("window.__problems || []")
    found = problems + reported
    problems.clear()
    assert found == [], f"{where}: {found}"




def shots_folder() -> Path:
    """Screenshots to look at, outside the repository (SCREENSHOT_DIR, else a temporary folder)."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="csp-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_back_office_works_under_the_policy_without_violations(world, live_server, browser_page):  # noqa: F811
    page, base = browser_page, live_server
    pdf = save_pdf(world, pdf_pages(4), "学历证书.pdf")
    image = io.BytesIO()
    Image.new("RGB", (600, 450), (30, 120, 200)).save(image, "PNG")
    storage.save(FileStorage(io.BytesIO(image.getvalue()), filename="工作证明.png"), "gp_work_proof",
                 world.trainees["zy"], uploaded_by=world.accounts["trainee_zy"], application=world.applications["zy"])
    db.session.commit()
    problems = watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, "super")
    seen(page, problems, "dashboard")
    assert page.locator("canvas").count() >= 1

    # a list: the filter menu, a select filter and the date-range filter (daterangepicker)
    page.goto(base + "/admin/application/")
    page.click("text=添加筛选条件")
    page.click(".field-filters a.filter:has-text('状态')")
    page.click("text=添加筛选条件")
    page.click(".field-filters a.filter:has-text('提交时间')")
    page.locator(".filters tr").last.locator("input.filter-val").click()  # a date picker
    assert page.locator(".daterangepicker").first.is_visible()
    page.keyboard.press("Escape")
    assert page.locator(".filters tr").count() >= 2
    seen(page, problems, "application list with filters")

    # an edit form: select2 ajax look-up, a date picker, an inline row added
    page.goto(base + f"/admin/trainee/edit/?id={world.trainees['zy'].id}")
    page.click("#s2id_account a.select2-choice")  # a javascript: link of select2's own
    page.locator("#select2-drop input.select2-input").fill("trainee")
    page.wait_for_selector("#select2-drop .select2-result-label:has-text('trainee_js')")  # the ajax look-up
    page.keyboard.press("Escape")
    page.click("#birth_date")
    assert page.locator(".daterangepicker").first.is_visible()
    page.keyboard.press("Escape")
    before = page.locator("#educations .inline-field").count()
    page.click("#educations-button")
    assert page.locator("#educations .inline-field").count() == before + 1
    seen(page, problems, "trainee edit form")

    # the details: a PDF's page images, opened in the viewer
    page.goto(base + f"/admin/application/details/?id={world.applications['zy'].id}")
    pages = page.locator(f"#pdf-preview-{pdf.id} img")
    assert pages.count() == 3
    for index in range(3):
        pages.nth(index).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=pages.nth(index).element_handle())
    assert "仅显示前 3 页（共 4 页）" in page.inner_text(f"#pdf-preview-{pdf.id}")
    folder = shots_folder()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(f"#pdf-preview-{pdf.id}").scroll_into_view_if_needed()
        page.screenshot(path=str(folder / f"details-pdf-pages-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    pages.nth(1).click()
    page.wait_for_selector("#file-viewer.show")
    assert page.get_attribute("#file-viewer-image", "src").endswith(f"/files/{pdf.id}/page/2.png")
    assert "第 2 页" in page.inner_text("#file-viewer-title")
    page.screenshot(path=str(folder / "details-pdf-viewer-1280.png"))
    seen(page, problems, "application details")

    page.goto(base + "/admin/support_contact/new/")
    seen(page, problems, "a create form")
    print(f"screenshots: {folder}")


def test_portal_works_under_the_policy_without_violations(world, live_server, browser_page):  # noqa: F811
    page, base = browser_page, live_server
    problems = watch(page)
    page.goto(base + "/portal/register")
    seen(page, problems, "registration")
    log_in(page, base, "trainee_zy")
    for url in ("/portal/", "/portal/profile/basic", "/portal/profile/education", "/portal/apply",
                "/portal/businesses", f"/portal/applications/{world.applications['zy'].id}"):
        page.goto(base + url)
        seen(page, problems, url)
    # a delete asks first (data-confirm, no inline handler); the fixture accepts, the row goes
    page.goto(base + "/portal/profile/education")
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))
    rows = page.locator("form[data-confirm] button")
    count = rows.count()
    assert count >= 1
    with page.expect_navigation():
        rows.first.click()
    assert asked == ["确定删除这条记录吗？"], asked
    assert page.locator("form[data-confirm] button").count() == count - 1
    seen(page, problems, "a delete that asks first")
