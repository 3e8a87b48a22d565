"""Screenshots of pages in headless Chromium at phone and desktop widths, for looking at them.

Usage: python tests/tools/screenshots.py BASE_URL USERNAME PASSWORD OUTDIR PATH [PATH ...]
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(base: str, username: str, password: str, outdir: str, paths: list[str]) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width, height in ((390, 844), (1280, 900)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(base + "/login")
            if username != "-":
                page.fill("#username", username)
                page.fill("#password", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
            for path in paths:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "root"
                page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=False)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
