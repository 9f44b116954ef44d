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

from .conftest import AS_OF, EXAMPLES

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


# ---------------------------------------------------------------------------
#  Several trials (validate --trial … --format html; issue 10)
# ---------------------------------------------------------------------------

TEXT_ONLY = {"trial": "NCT02435849", "title": "A registry trial <b>text only</b>", "computable": False}


@pytest.fixture(scope="module")
def trials_screening() -> tuple[Screening, list[dict[str, Any]]]:
    """The examples against every computable trial, and one text-only registry trial, as `validate --trial all`."""
    from blinakg.engine.screen import screen_paths
    from blinakg.model import load_model
    from blinakg.reports.next_step import annotate
    from blinakg.trials import select

    model = load_model(trials=True)
    catalogue = select(("all",), model, [TEXT_ONLY])
    computable = [t["trial"] for t in catalogue if t["computable"]]
    screening = screen_paths([EXAMPLES], AS_OF, model=model, jobs=1, keep_records=False, trials=computable)
    annotate(screening, model)
    return screening, catalogue


@pytest.fixture(scope="module")
def trials_report(trials_screening: tuple[Screening, list[dict[str, Any]]]) -> str:
    from blinakg.reports.html_trials import render_trials_html

    return render_trials_html(*trials_screening, inputs=[EXAMPLES], engine="fast")


def _data(html: str) -> Any:
    found = re.search(r'<script id="patients-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_trials_page_is_self_contained(trials_report: str) -> None:
    assert trials_report.startswith("<!DOCTYPE html>") and "default-src 'none'" in trials_report
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", trials_report)
    assert not re.search(r"<link\b", trials_report) and "url(" not in trials_report
    page = re.sub(r'<script id="patients-data".*?</script>', "", trials_report, flags=re.S)
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    # Only links to the computable trials' registry pages, which nothing loads.
    assert addresses == {f"https://clinicaltrials.gov/study/{t['trial']}" for t in _data(trials_report)["trials"]}


def test_trials_page_carries_the_several_trials_json(trials_screening: tuple[Screening, list[dict[str, Any]]],
                                                     trials_report: str) -> None:
    """Every verdict, status, explanation, evidence and next step of `render_trials_json` is in the page."""
    from blinakg.reports.render import trials_json

    expected = json.loads(json.dumps(trials_json(*trials_screening)))
    data = _data(trials_report)
    strings = data["strings"]
    text = lambda i: None if i < 0 else strings[i]  # noqa: E731
    computable = [t for t in expected["trials"] if t["computable"]]
    assert [t["trial"] for t in data["trials"]] == [t["trial"] for t in computable]
    assert [t["title"] for t in data["trials"]] == [t["title"] for t in computable]
    assert [p[0] for p in data["patients"]] == [p["id"] for p in expected["patients"]]
    letters = {"pass": "P", "fail": "F", "unknown": "U", "review": "R"}
    for patient, row in zip(expected["patients"], data["patients"]):
        for result, cell, trial in zip(patient["trials"], row[1], data["trials"]):
            assert cell[0] == {"eligible": "E", "ineligible": "I", "indeterminate": "D"}[result["verdict"]]
            assert [c["id"] for c in trial["criteria"]] == [c["id"] for c in result["criteria"]]
            assert [c["text"] for c in trial["criteria"]] == [c["text"] for c in result["criteria"]]
            assert cell[1] == "".join(letters[c["status"]] for c in result["criteria"])
            for criterion, (explanation, evidence, next_step) in zip(result["criteria"], cell[2]):
                assert text(explanation) == criterion["explanation"]
                assert [{k: v for k, v in zip(("source", "value", "date"), map(text, e)) if v is not None}
                        for e in evidence] == criterion["evidence"]
                assert (text(next_step) if next_step != -2 else None) == criterion["next_step"]
    # What the page states beside the data: the trials, their counts, the text-only trial, the warning.
    assert "NCT02435849" in trials_report and "A registry trial &lt;b&gt;text only&lt;/b&gt;" in trials_report
    assert "Not computable (text only in the registry): 1 trial" in trials_report
    assert "Observation/obs-9 is dated after 2025-03-01 and was ignored." in trials_report
    row = re.search(r'<tr data-trial="NCT04604691">.*?</tr>', trials_report, re.S)
    assert row is not None and re.findall(r"<td>(\d+)</td>", row.group(0)) == ["20", "1", "1", "1"]


def test_trials_page_escapes_the_input(trials_screening: tuple[Screening, list[dict[str, Any]]]) -> None:
    from blinakg.reports.html_trials import render_trials_html

    screening, catalogue = trials_screening
    hostile = "</script><script>alert(1)</script>"
    patient = dataclasses.replace(screening.patients[0], id=hostile)
    html = render_trials_html(dataclasses.replace(screening, patients=[patient]), catalogue)
    assert hostile not in html and _data(html)["patients"][0][0] == hostile


def test_validate_trial_writes_the_html_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLINAKG_STORE", str(tmp_path / "no-store"))
    out = tmp_path / "trials.html"
    result = CliRunner().invoke(main, ["validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "html",
                                       "--trial", "NCT01700946", "--trial", "NCT04604691", "--jobs", "1",
                                       "--output", str(out)])
    assert result.exit_code == 1, result.stderr
    html = out.read_text(encoding="utf-8")
    assert [t["trial"] for t in _data(html)["trials"]] == ["NCT01700946", "NCT04604691"]
    assert "pat-023-indeterminate.ndjson" in html and "attrition-chart" not in html


@pytest.mark.parametrize("compress", [False, True], ids=["json", "gzip"])
def test_trials_page_in_chromium(browser: Any, trials_screening: tuple[Screening, list[dict[str, Any]]],
                                 tmp_path: Path, compress: bool) -> None:
    from blinakg.reports.html_trials import render_trials_html
    from blinakg.reports.render import trials_json

    path = tmp_path / "trials.html"
    path.write_text(render_trials_html(*trials_screening, inputs=[EXAMPLES], compress=compress), encoding="utf-8")
    page, errors = open_report(browser, path)
    expected = trials_json(*trials_screening)
    trials = [t["trial"] for t in expected["trials"] if t["computable"]]
    assert page.locator("#matrix-table thead th.trial-col").all_inner_texts() == trials
    assert page.inner_text("#match-count") == "3 of 3 patients"
    for patient in expected["patients"]:  # every cell: the verdict and fail/unknown/review counts
        row = page.locator("#matrix-rows tr", has=page.locator("th.pid", has_text=patient["id"]))
        cells = row.locator("td.cell").all_inner_texts()
        assert [" ".join(c.split()) for c in cells] == [
            "{} {}/{}/{}".format(t["verdict"], *(sum(c["status"] == s for c in t["criteria"])
                                                 for s in ("fail", "unknown", "review")))
            for t in patient["trials"]]
    pat017 = page.locator("#matrix-rows tr", has=page.locator("th.pid", has_text="pat-017"))
    assert pat017.locator("td.cell").first.inner_text().split() == ["ineligible", "1/0/1"]  # I5 fails, E12 review

    pat017.locator("td.cell").first.click()
    assert page.locator("#detail-body").is_visible()
    assert page.inner_text("#detail-id") == "pat-017" and page.inner_text("#detail-trial").startswith("NCT04604691")
    assert page.locator("#detail-rows tr").count() == 20
    failing = page.locator("#detail-rows tr.row-fail")
    assert failing.count() == 1
    assert "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL." in failing.inner_text()
    assert "Observation/anc-pat-017" in failing.inner_text()
    assert page.evaluate("location.hash") == "#patient=pat-017&trial=NCT04604691"

    ids = lambda: page.locator("#matrix-rows th.pid").all_inner_texts()  # noqa: E731
    page.select_option("#trial-filter", label="NCT04604691")
    page.select_option("#verdict-filter", "I")
    assert ids() == ["pat-017"]
    page.select_option("#verdict-filter", "E")
    assert ids() == ["https://example.org/hospital/pat-001"]
    page.click("#clear-filters")
    assert len(ids()) == 3
    page.screenshot(path=str(tmp_path / "trials.png"), full_page=True)
    assert errors == []


def test_a_link_opens_one_patient_for_one_trial(browser: Any, trials_report: str, tmp_path: Path) -> None:
    path = tmp_path / "trials.html"
    path.write_text(trials_report, encoding="utf-8")
    page = browser.new_context().new_page()
    page.goto(path.as_uri() + "#patient=pat-023&trial=NCT01700946")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#detail-id") == "pat-023"
    assert page.inner_text("#detail-trial").startswith("NCT01700946")
    assert page.locator("#detail-rows tr").count() == 15
    assert page.inner_text("#detail-verdict") == "indeterminate"  # no shortening fraction on record
