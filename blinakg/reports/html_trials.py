"""The HTML report of ``blinakg validate --trial … --format html`` (issue 10).

Issue 10: "``--trial all``: the JSON of the contract's 'Several trials'; text
shows a patient × trial matrix with the verdicts and the counts of fail,
unknown and review; HTML (once it exists) the same. Text-only trials are
listed as not computable." contract.md, "Several trials": "Each patient's
``trials`` holds one entry per computable trial, each with the ``verdict`` and
``criteria`` of the single-trial report".

So the page carries what :func:`blinakg.reports.render.trials_json` carries:
the run, the trials (computable or not), the patient × trial matrix (each
cell a verdict and its counts of fail, unknown and review) and, per patient
and trial, the criteria with status, explanation, evidence and next step. It
is built like the single-trial page (:mod:`blinakg.reports.html`): one
self-contained file under the same strict CSP, the data travelling once as
compact JSON (gzipped above the same size), one page of the matrix and one
patient's detail in the DOM at a time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

from ..engine.results import Screening
from .html import STATUS_CODE, VERDICT_CODE, Strings, criterion_detail, encode_data, environment
from .render import deceased_text

VERDICTS = tuple(VERDICT_CODE)


def trials_payload(screening: Screening, catalogue: list[dict[str, Any]]) -> dict[str, Any]:
    """The data of the page: the computable trials with their criteria in registered order, and
    per patient ``[id, cells, deceased]``, one cell per computable trial (catalogue order):
    ``[verdict letter, one status letter per criterion, [explanation, evidence, next step] per
    criterion]``, every string an index into ``strings`` (as in the single-trial page)."""
    strings = Strings()
    computable = [t["trial"] for t in catalogue if t["computable"]]
    criteria: dict[str, list[dict[str, str]]] = {}
    for patient in screening.patients:
        for result in patient.trials:
            criteria.setdefault(result.trial, [{"id": c.id, "kind": c.kind, "text": c.text}
                                               for c in sorted(result.criteria, key=lambda c: c.order)])
    patients: list[list[Any]] = []
    for patient in screening.patients:
        by_trial = {t.trial: t for t in patient.trials}
        cells = []
        for trial in computable:
            result = by_trial[trial]
            by_id = {c.id: c for c in result.criteria}
            ordered = [by_id[c["id"]] for c in criteria[trial]]
            cells.append([VERDICT_CODE[result.verdict], "".join(STATUS_CODE[c.status] for c in ordered),
                          [criterion_detail(c, strings) for c in ordered]])
        patients.append([patient.id, cells, deceased_text(patient)])
    trials = [{"trial": t["trial"], "title": t["title"], "criteria": criteria.get(t["trial"], [])}
              for t in catalogue if t["computable"]]
    return {"as_of": screening.as_of.isoformat(), "trials": trials, "strings": strings.items,
            "patients": patients}


def trial_summaries(screening: Screening, catalogue: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per computable trial: its ID, title, number of criteria and patients by verdict."""
    rows = []
    for entry in catalogue:
        if not entry["computable"]:
            continue
        results = [t for p in screening.patients for t in p.trials if t.trial == entry["trial"]]
        rows.append({"trial": entry["trial"], "title": entry["title"],
                     "criteria": len(results[0].criteria) if results else 0,
                     "counts": {v: sum(r.verdict == v for r in results) for v in VERDICTS}})
    return rows


def render_trials_html(screening: Screening, catalogue: list[dict[str, Any]],
                       inputs: Iterable[Path | str] | None = None, engine: str | None = None,
                       compress: bool | None = None, generated: dt.datetime | None = None) -> str:
    """The self-contained HTML report of a screening against several trials.

    Args:
        screening: the annotated screening (``next_step`` on each trial's criteria).
        catalogue: every trial listed, in order, as ``{"trial", "title", "computable"}``
            (:func:`blinakg.trials.select`).
        inputs: the input files read (default: the screening's).
        engine: the engine that screened (default: the screening's).
        compress: force (True) or forbid (False) the gzipped data; default by size.
        generated: when the report was made (default: now, UTC).
    """
    script_type, data = encode_data(trials_payload(screening, catalogue), compress)
    stamp = (generated or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    eligible = [sum(t.verdict == "eligible" for t in p.trials) for p in screening.patients]
    return environment().get_template("trials.html.j2").render(
        as_of=screening.as_of.isoformat(),
        inputs=[str(p) for p in (screening.files if inputs is None else inputs)],
        engine=engine or screening.engine or "not stated", generated=stamp.strftime("%Y-%m-%d %H:%M:%S UTC"),
        total=len(screening.patients), eligible_for_any=sum(n > 0 for n in eligible),
        eligible_for_all=sum(n == len(p.trials) and n > 0 for n, p in zip(eligible, screening.patients)),
        trials=trial_summaries(screening, catalogue), text_only=[t for t in catalogue if not t["computable"]],
        warnings=screening.warnings, data_type=script_type, data=data,
    )
