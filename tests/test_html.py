"""The HTML report (``validate --format html``): one self-contained file with
the run, the attrition chart, the patient table and each patient's detail.

The browser tests open it in headless Chromium (Debian's ``chromium``, which
``make test`` installs) through Playwright, with the network cut off, and keep
a screenshot in the test's temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from blinakg.cli import main
from blinakg.engine.results import Screening
from blinakg.reports.html import encoded_payload, payload, render_html

from .conftest import EXAMPLES

CHROMIUM = Path(os.environ.get("BLINAKG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def report(example_screening: Screening) -> str:
    return render_html(example_screening, inputs=[EXAMPLES / "pat-001-eligible.ttl"], engine="pyshacl")


# ---------------------------------------------------------------------------
#  The file
# ---------------------------------------------------------------------------

def test_the_file_is_self_contained(report: str) -> None:
    assert report.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", report)
    assert not re.search(r"<link\b", report) and "@import" not in report and "url(" not in report
    # Outside the data (patient IRIs), the only addresses are the SVG namespace and a link to the
    # registry page, which nothing loads.
    page = re.sub(r'<script id="patients-data".*?</script>', "", report, flags=re.S)
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert addresses <= {"http://www.w3.org/2000/svg", "https://clinicaltrials.gov/study/NCT04604691"}
    assert "default-src 'none'" in report


def test_run_chart_and_data_are_in_the_file(report: str, example_screening: Screening) -> None:
    assert "NCT04604691" in report and "2025-03-01" in report and "pyshacl" in report
    assert "pat-001-eligible.ttl" in report
    assert "Observation/obs-9 is dated after 2025-03-01 and was ignored." in report
    svg = re.search(r'<svg id="attrition-chart".*?</svg>', report, re.S)
    assert svg is not None
    assert len(re.findall(r'<rect class="seg status-', svg.group(0))) >= 20
    assert 'data-criterion="I5" data-status="fail"' in svg.group(0)
    data = json.loads(re.search(r'<script id="patients-data" type="application/json">(.*?)</script>',
                                report, re.S).group(1))  # type: ignore[union-attr]
    assert data == json.loads(json.dumps(payload(example_screening)))
    ids = [p[0] for p in data["patients"]]
    assert "pat-017" in ids and len(data["criteria"]) == 20
    strings = data["strings"]
    pat017 = data["patients"][ids.index("pat-017")]
    assert pat017[1] == "I" and pat017[3][4] == "F"
    assert strings[pat017[4][4][2]] == "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL."


def test_text_cannot_break_out_of_the_page(example_screening: Screening) -> None:
    """Patient IDs and explanations come from the input: escaped in HTML, and no '</script>' in the data."""
    hostile = "</script><script>alert(1)</script>"
    patient = dataclasses.replace(example_screening.patients[0], id=hostile)
    screening = dataclasses.replace(example_screening, patients=[patient],
                                    warnings=["<img src=x onerror=alert(1)>"])
    html = render_html(screening)
    assert hostile not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    kind, text = encoded_payload(screening, compress=False)
    assert "<" not in text and json.loads(text)["patients"][0][0] == hostile


def test_large_cohorts_are_compressed(example_screening: Screening) -> None:
    import base64
    import gzip

    kind, text = encoded_payload(example_screening, compress=True)
    assert kind == "application/gzip+base64"
    assert json.loads(gzip.decompress(base64.b64decode(text))) == json.loads(json.dumps(payload(example_screening)))


def test_validate_writes_the_html_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "html",
                                       "--output", str(out)])
    assert result.exit_code == 1, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "attrition-chart" in html and "pat-017" in html and "pat-023-indeterminate.ndjson" in html


# ---------------------------------------------------------------------------
#  In a real browser
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (`make chromium` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_report(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """Open the file with every network request refused; collect console errors and page errors."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    requests: list[str] = []

    def refuse(route: Any) -> None:
        if not route.request.url.startswith(("file:", "data:", "about:")):
            requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", refuse)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=10_000)
    errors.extend(f"network request: {url}" for url in requests)
    return page, errors


@pytest.mark.parametrize("compress", [False, True], ids=["json", "gzip"])
def test_report_renders_in_chromium(browser: Any, example_screening: Screening, tmp_path: Path,
                                    compress: bool) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(example_screening, inputs=[EXAMPLES], engine="pyshacl", compress=compress),
                    encoding="utf-8")
    page, errors = open_report(browser, path)

    chart = page.locator("#attrition-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    assert page.locator("#attrition-chart rect.seg").count() >= 20
    assert page.locator("#patient-rows tr").count() == 3
    assert page.inner_text("#match-count") == "3 of 3 patients"

    page.click("#patient-rows tr:has-text('pat-017')")
    detail = page.locator("#detail-body")
    assert detail.is_visible()
    assert page.locator("#detail-rows tr").count() == 20
    i5 = page.locator("#detail-rows tr.row-fail")
    assert i5.count() == 1
    assert "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL." in i5.inner_text()
    assert "Observation/anc-pat-017" in i5.inner_text()
    assert page.inner_text("#detail-id") == "pat-017"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert errors == []


def test_table_sorts_and_filters(browser: Any, report: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report, encoding="utf-8")
    page, errors = open_report(browser, path)
    ids = lambda: page.locator("#patient-rows th.pid").all_inner_texts()  # noqa: E731

    page.select_option("#verdict-filter", "D")
    assert ids() == ["pat-023"]
    page.select_option("#verdict-filter", "")
    page.select_option("#criterion-filter", label="I5")
    page.select_option("#status-filter", "F")
    assert ids() == ["pat-017"]
    page.click("#clear-filters")
    assert len(ids()) == 3
    page.click("#patient-table th[data-sort=verdict] button")  # worst verdict first
    assert ids()[0] == "pat-017"
    page.click("#attrition-chart rect.seg[data-criterion=I7][data-status=unknown]")
    assert ids() == ["pat-023"]
    page.fill("#search", "nobody")
    assert ids() == [] and page.inner_text("#match-count") == "0 of 3 patients"
    assert errors == []


def test_a_link_opens_one_patient(browser: Any, report: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report, encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    page.goto(path.as_uri() + "#patient=pat-023")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#detail-id") == "pat-023"
    assert "Needs a pregnancy test dated 2025-02-22 or later." in page.inner_text("#detail-rows")
