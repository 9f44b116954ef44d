"""The HTML report of ``blinakg validate --format html``.

contract.md: "one self-contained HTML file (no network needed to view it): the
run, a cohort attrition chart, the patient table, each patient's criteria with
explanation, evidence and next step."

The page is a Jinja2 template (``templates/report.html.j2``) with its styles
and script inlined. The attrition chart is static SVG laid out here from the
counts. The patients travel once, as compact JSON in a
``<script type="application/json">`` (strings interned, statuses as one letter
each); the script renders one page of the table and one patient's detail at a
time, so 10,000 patients open in well under 3 s. Above
``COMPRESS_ABOVE`` bytes the JSON is gzipped and base64-encoded, and the
browser inflates it (``DecompressionStream``), which keeps the file small.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape

from ..engine.results import CriterionResult, Screening
from .attrition import STATUSES, AttritionStep, attrition
from .render import deceased_text

TRIAL_ID = "NCT04604691"
STATUS_CODE = {"pass": "P", "fail": "F", "unknown": "U", "review": "R"}
VERDICT_CODE = {"eligible": "E", "ineligible": "I", "indeterminate": "D"}
COMPRESS_ABOVE = 8_000_000  # bytes of JSON; below it the data stays readable in the file


@dataclass(frozen=True)
class Bar:
    """One rectangle of the chart."""

    x: float
    width: float
    status: str
    count: int


@dataclass(frozen=True)
class ChartRow:
    """One criterion of the attrition chart, laid out."""

    id: str
    kind: str
    text: str
    y: float
    remaining: int
    remaining_width: float
    split: list[Bar]
    counts: dict[str, int]


@dataclass(frozen=True)
class Chart:
    """The attrition chart's geometry (SVG user units)."""

    width: int
    height: int
    label_width: int
    bar_width: int
    split_x: int
    row_height: int
    total: int
    total_width: float
    rows: list[ChartRow]
    ticks: list[tuple[float, int]]


def layout_chart(steps: Sequence[AttritionStep], total: int) -> Chart:
    """Lay out the chart: left, patients still eligible or indeterminate after each criterion;
    right, the criterion's own split of pass, fail, unknown and review."""
    label_width, bar_width, gap, row_height, top = 48, 380, 40, 22, 40
    split_x = label_width + bar_width + gap
    scale = bar_width / total if total else 0.0
    rows: list[ChartRow] = []
    for index, step in enumerate(steps):
        x = float(split_x)
        split: list[Bar] = []
        for status in STATUSES:
            width = step.counts[status] * scale
            if step.counts[status]:
                split.append(Bar(round(x, 2), round(width, 2), status, step.counts[status]))
            x += width
        rows.append(ChartRow(step.id, step.kind, step.text, top + row_height * (index + 1), step.remaining,
                             round(step.remaining * scale, 2), split, step.counts))
    ticks = [(round(label_width + bar_width * f, 2), round(total * f)) for f in (0, 0.25, 0.5, 0.75, 1)]
    return Chart(width=split_x + bar_width + 10, height=top + row_height * (len(steps) + 1) + 30,
                 label_width=label_width, bar_width=bar_width, split_x=split_x, row_height=row_height,
                 total=total, total_width=float(bar_width if total else 0), rows=rows, ticks=ticks)


class Strings:
    """Interned strings: each distinct text once in the file, referred to by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.items)
            self.items.append(text)
        return found


def criterion_detail(c: CriterionResult, strings: Strings) -> list[Any]:
    """``[explanation, evidence, next step]`` of one criterion, strings interned; the next step
    is -1 when nothing in the data changes a fail or unknown, -2 on pass and review."""
    return [strings(c.explanation),
            [[strings(e.source), strings(e.value), strings(e.date)] for e in c.evidence],
            strings(c.next_step) if c.status in ("fail", "unknown") else -2]


def payload(screening: Screening) -> dict[str, Any]:
    """The patients as compact JSON: ``[id, verdict, earliest, statuses, details, deceased]`` per patient,
    where statuses is one letter per criterion and details ``[explanation, evidence, next step]``
    per criterion, every string an index into ``strings`` (-1 for none); deceased is
    "deceased (date)" or "deceased" when the record states a death on or before D, else null."""
    strings = Strings()
    first = screening.patients[0].criteria if screening.patients else []
    criteria = [{"id": c.id, "kind": c.kind, "text": c.text} for c in sorted(first, key=lambda c: c.order)]
    order = [c["id"] for c in criteria]
    patients: list[list[Any]] = []
    for patient in screening.patients:
        by_id = {c.id: c for c in patient.criteria}
        results = [by_id[i] for i in order]
        patients.append([
            patient.id,
            VERDICT_CODE[patient.verdict],
            None if patient.earliest_eligible_date is None else patient.earliest_eligible_date.isoformat(),
            "".join(STATUS_CODE[c.status] for c in results),
            [criterion_detail(c, strings) for c in results],
            deceased_text(patient),  # contract.md: the record states a death on or before D
        ])
    return {"as_of": screening.as_of.isoformat(), "criteria": criteria, "strings": strings.items,
            "patients": patients}


def encoded_payload(screening: Screening, compress: bool | None = None) -> tuple[str, str]:
    """(script type, script text): JSON safe inside ``<script>``, gzipped + base64 when large."""
    return encode_data(payload(screening), compress)


def encode_data(data: Any, compress: bool | None = None) -> tuple[str, str]:
    """Any report data as (script type, script text), as :func:`encoded_payload` does."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if compress is None:
        compress = len(text.encode("utf-8")) > COMPRESS_ABOVE
    if compress:
        packed = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        return "application/gzip+base64", base64.b64encode(packed).decode("ascii")
    # "<" escaped so that no "</script>" (or "<!--") inside a string can end the element.
    return "application/json", text.replace("<", "\\u003c")


def environment() -> Environment:
    env = Environment(loader=PackageLoader("blinakg.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def render_html(screening: Screening, inputs: Iterable[Path | str] | None = None, engine: str | None = None,
                trial: str = TRIAL_ID, compress: bool | None = None,
                generated: dt.datetime | None = None) -> str:
    """The self-contained HTML report.

    Args:
        screening: the annotated screening (``next_step``, ``earliest_eligible_date``).
        inputs: the input files read, for the run section (default: the screening's).
        engine: the engine that screened, for the run section (default: the screening's).
        trial: the trial screened against.
        compress: force (True) or forbid (False) the gzipped data; default by size.
        generated: when the report was made (default: now, UTC).
    """
    counts = {v: sum(p.verdict == v for p in screening.patients) for v in VERDICT_CODE}
    script_type, data = encoded_payload(screening, compress)
    stamp = (generated or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    template = environment().get_template("report.html.j2")
    return template.render(
        trial=trial, as_of=screening.as_of.isoformat(),
        inputs=[str(p) for p in (screening.files if inputs is None else inputs)],
        engine=engine or screening.engine or "not stated", generated=stamp.strftime("%Y-%m-%d %H:%M:%S UTC"),
        total=len(screening.patients), counts=counts, warnings=screening.warnings,
        chart=layout_chart(attrition(screening), len(screening.patients)),
        statuses=STATUSES, data_type=script_type, data=data,
    )
