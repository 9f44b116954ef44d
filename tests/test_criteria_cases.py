"""Criterion test cases as data: tests/cases/<criterion>/<scenario>/{patient.ttl, expected.json}.

Each case states the status criteria.md gives for the criteria it is about;
the number of cases is pinned so that a glob cannot shrink the suite silently.
Cases with the same screening date are screened together as one cohort (one
patient each, distinct IRIs), which also exercises many patients per graph.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from blinakg.namespaces import BK
from blinakg.readers.rdfio import parse_rdf_file
from blinakg.engine.screen import PatientResult, screen
from blinakg.model import load_model
from blinakg.reports.next_step import annotate

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(p.parent for p in CASES_DIR.glob("*/*/expected.json"))
EXPECTED_CASE_COUNT = 260


def test_case_count_is_pinned() -> None:
    assert len(CASES) == EXPECTED_CASE_COUNT


def test_every_criterion_has_a_case_per_status_it_can_take() -> None:
    seen: dict[str, set[str]] = {}
    for case in CASES:
        for criterion, status in json.loads((case / "expected.json").read_text())["expect"].items():
            seen.setdefault(criterion, set()).add(status)
    statuses_allowed = {
        **{c: {"pass", "fail", "unknown"} for c in ("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "E1", "E3")},
        "E2": {"pass", "fail", "review"},
        **{c: {"pass", "fail"} for c in ("E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11")},
        "E12": {"fail", "review"},
    }
    assert seen == statuses_allowed


@pytest.fixture(scope="module")
def screened() -> dict[Path, PatientResult]:
    """Every case screened, one cohort per screening date; case folder -> its patient's result."""
    by_date: dict[str, list[Path]] = {}
    for case in CASES:
        by_date.setdefault(json.loads((case / "expected.json").read_text())["as_of"], []).append(case)
    results: dict[Path, PatientResult] = {}
    for as_of, cases in by_date.items():
        graph = Graph()
        owner: dict[str, Path] = {}
        for case in cases:
            data = parse_rdf_file(case / "patient.ttl")
            patients = {str(p) for p in data.subjects(RDF.type, BK.Patient)}
            assert len(patients) == 1, f"{case}: one patient per case"
            owner[patients.pop()] = case
            graph += data
        model = load_model()
        screening = screen(graph, dt.date.fromisoformat(as_of), model=model)
        annotate(screening, model)
        for patient in screening.patients:
            results[owner[patient.id]] = patient
    return results


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case(case: Path, screened: dict[Path, PatientResult]) -> None:
    expected = json.loads((case / "expected.json").read_text())
    by_id = {c.id: c for c in screened[case].criteria}
    got = {criterion: by_id[criterion].status for criterion in expected["expect"]}
    explanations = {criterion: by_id[criterion].explanation for criterion in expected["expect"]}
    assert got == expected["expect"], f"{expected['summary']}\n{explanations}"
    for criterion in expected["expect"]:
        assert by_id[criterion].explanation, f"{criterion} has no explanation"
    # contract.md next_step: the sentence, or null when nothing in the data changes the status.
    for criterion, step in expected.get("next_step", {}).items():
        assert by_id[criterion].next_step == step, f"{expected['summary']}\n{by_id[criterion].explanation}"


def test_some_cases_pin_the_next_step() -> None:
    pinned = [c for c in CASES if "next_step" in json.loads((c / "expected.json").read_text())]
    assert len(pinned) >= 20
