"""Remake docs/img/report.png: the demo cohort's HTML report in headless Chromium,
with pat-017 open (``make screenshot``)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

with tempfile.TemporaryDirectory() as folder:
    report = Path(folder) / "report.html"
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "blinakg"), "validate", "examples/patients",
                           "--as-of", "2025-03-01", "--format", "html", "--output", str(report)], cwd=ROOT)
    if done.returncode not in (0, 1):
        sys.exit(done.returncode)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(report.as_uri() + "#patient=pat-017")
        page.wait_for_selector("body[data-ready=true]")
        height = page.evaluate("document.querySelector('#detail-rows tr:nth-child(8)').getBoundingClientRect().bottom")
        page.screenshot(path=str(ROOT / "docs" / "img" / "report.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": int(height) + 10})
        browser.close()
