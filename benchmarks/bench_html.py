"""Benchmark: the HTML report of a large cohort — its size, the time to write it,
and the time Chromium takes to open it (issue 11: 10,000 patients open in at
most 3 s, in a file of at most 30 MB)::

    .venv/bin/python benchmarks/bench_html.py 10000

The cohort is synthetic: the three example patients, screened once, copied N
times with every patient ID, record ID, value and date changed, so that no two
patients share their texts (interning gains nothing from the copies). "Opens"
is from navigation start until the first page of the table is drawn
(``body[data-ready]``); "detail" is one click on a patient until its twenty
criteria are drawn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from blinakg.engine.results import CriterionResult, Evidence, PatientResult, Screening
from blinakg.engine.screen import screen
from blinakg.model import load_model
from blinakg.readers.loader import load_inputs
from blinakg.reports.html import render_html
from blinakg.reports.next_step import annotate

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def vary(text: str | None, index: int, rng: random.Random) -> str | None:
    """The same sentence for another patient: its IDs, numbers and dates changed."""
    if text is None:
        return None
    text = re.sub(r"pat-\d+", f"pat-{index:05d}", text)
    text = re.sub(r"\b2025-02-(\d\d)\b", lambda m: f"2025-02-{rng.randint(15, 28):02d}", text)
    return re.sub(r"\b\d+(\.\d+)?\b(?!-)", lambda m: str(round(float(m.group(0)) * rng.uniform(0.7, 1.3), 1)), text)


def cohort(size: int) -> Screening:
    model = load_model()
    inputs = load_inputs([ROOT / "examples" / "patients"], model)
    base = screen(inputs.graph, dt.date(2025, 3, 1), model=model, warnings=inputs.warnings)
    annotate(base, model)
    rng = random.Random(11)
    patients: list[PatientResult] = []
    for index in range(size):
        source = base.patients[index % len(base.patients)]
        criteria = [dataclasses.replace(
            c, explanation=vary(c.explanation, index, rng) or "", next_step=vary(c.next_step, index, rng),
            evidence=[Evidence(vary(e.source, index, rng) or "", vary(e.value, index, rng), e.date, e.record)
                      for e in c.evidence])
            for c in source.criteria]
        patients.append(dataclasses.replace(source, id=f"pat-{index:05d}", criteria=criteria))
    return dataclasses.replace(base, patients=patients)


def open_in_chromium(path: Path) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        opened = page.evaluate("performance.now()") / 1000
        started = time.perf_counter()
        page.click("#patient-rows tr:nth-child(3)")
        page.wait_for_selector("#detail-rows tr:nth-child(20)")
        detail = time.perf_counter() - started
        browser.close()
        assert not errors, errors
        return opened, detail


def main(size: int) -> None:
    started = time.perf_counter()
    screening = cohort(size)
    made = time.perf_counter() - started
    started = time.perf_counter()
    html = render_html(screening, inputs=[f"synthetic/{i}.json" for i in range(size)], engine="synthetic")
    rendered = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.html"
        path.write_text(html, encoding="utf-8")
        size_mb = path.stat().st_size / 1_000_000
        runs = [open_in_chromium(path) for _ in range(3)]
    opened = sorted(r[0] for r in runs)[1]
    detail = sorted(r[1] for r in runs)[1]
    print(f"patients: {size}  (synthetic cohort built in {made:.1f} s)")
    print(f"render_html: {rendered:.2f} s")
    print(f"file: {size_mb:.1f} MB  (limit 30 MB)")
    print(f"opens in Chromium: {opened:.2f} s  (median of 3; limit 3 s)")
    print(f"one patient's detail: {detail * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
