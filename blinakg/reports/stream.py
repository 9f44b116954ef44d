"""The JSON reports written a patient at a time, in memory that does not grow with the cohort.

Holding every patient's results in one process made peak memory grow with the
cohort: about 1.1 GiB at 10,000 patients (issue 8, "Peak memory does not grow
with the cohort"). Instead, each worker renders its own patients' entries
(:func:`patient_entry`, :func:`trials_patient_entry`), the parent spills each
chunk's entries to a temporary file (:class:`Spill`), and the report is written
by merging those files in patient order (:func:`json_pieces`).

The bytes are exactly those of ``json.dumps(report, indent=2,
ensure_ascii=False)`` over the whole report (:mod:`blinakg.reports.render`):
``tests/test_engine.py`` compares them.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from ..engine.results import PatientResult, Screening
from ..engine.spill import Spill
from .render import TRIAL_ID, patient_json, trials_patient_json

_DEPTH = "    "  # a patient entry sits two levels deep: report -> "patients" -> entry


def _entry(value: dict[str, Any]) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _DEPTH + text.replace("\n", "\n" + _DEPTH)


def patient_entry(patient: PatientResult) -> str:
    """One patient of the single-trial report (contract.md, "The JSON report"), as nested there."""
    return _entry(patient_json(patient))


def trials_patient_entry(patient: PatientResult) -> str:
    """One patient of the several-trial report (contract.md, "Several trials"), as nested there."""
    return _entry(trials_patient_json(patient))


def json_pieces(screening: Screening, spill: Spill, catalogue: list[dict[str, Any]] | None = None) -> Iterator[str]:
    """The JSON report in pieces: the head, each patient entry, the tail.

    Args:
        screening: the run (its date and warnings; its patients are in ``spill``).
        spill: the rendered patient entries.
        catalogue: for a several-trial report, the trials it lists (contract.md, "Several trials").
    """
    if catalogue is None:
        skeleton: dict[str, Any] = {"trial": TRIAL_ID, "as_of": screening.as_of.isoformat(), "patients": [],
                                    "warnings": screening.warnings}
    else:
        skeleton = {"as_of": screening.as_of.isoformat(), "trials": catalogue, "patients": [],
                    "warnings": screening.warnings}
    text = json.dumps(skeleton, indent=2, ensure_ascii=False) + "\n"
    marker = '\n  "patients": [],\n'
    at = text.index(marker)  # the only top-level "patients" key; a string cannot hold it unescaped
    if spill.count == 0:
        yield text
        return
    yield text[:at] + '\n  "patients": [\n'
    first = True
    for entry in spill.merged():
        yield entry if first else ",\n" + entry
        first = False
    yield "\n  ],\n" + text[at + len(marker):]


__all__ = ["patient_entry", "trials_patient_entry", "json_pieces"]
