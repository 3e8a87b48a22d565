"""Browser-test helpers: a live server on a free port, a headless Chromium page (Debian's chromium,
installed by ``make browser-deps``), screenshots at phone and desktop widths, and form submission."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.config import PROJECT_ROOT
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--lang=zh-CN", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SHOTS = PROJECT_ROOT / "screenshots" / "browser"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser_page():
    assert Path(CHROMIUM).exists(), "Chromium is required: apt-get install chromium (make test does it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page.set_default_timeout(10000)
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
        browser.close()


def shoot(page, name: str) -> None:
    """Screenshots of the current page at phone and desktop widths."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form as ``username`` (any earlier session of the browser ended first)."""
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    submit_in(page, "form:has(#username)")
    assert "/login" not in page.url, page.url


def submit_in(page, form_selector: str, button_text: str | None = None) -> None:
    form = page.locator(form_selector).first
    button = form.locator("button[type=submit]", has_text=button_text) if button_text else \
        form.locator("button[type=submit]")
    with page.expect_navigation():
        button.first.click()
