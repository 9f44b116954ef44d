"""Criterion cases of the other computable trials (issue 10), as data:
tests/trials/<NCT>/<criterion>/<scenario>/{patient.ttl, expected.json}.

``expected.json`` names the trial, D, the statuses expected for the criteria
the case is about and, optionally, words the explanation must contain. The
count is pinned; every computable criterion has a case for each status it can
take (checked against the statuses its checks can report), and one case per
trial covers the criteria no check can compute (review). All cases are
screened together with the fast engine, against every trial at once (one
load, one derivation). pySHACL, the reference, re-screens the first case of
each (trial, criterion, status), each against its own trial only (pySHACL's
cost grows with the shapes it runs), and must give the same report; every
case on both engines: ``benchmarks/bench_reference.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from blinakg.engine.results import Screening
from blinakg.engine.screen import computable_trials, screen
from blinakg.model import load_model
from blinakg.namespaces import BK
from blinakg.reports.render import trials_json

from .case_data import case_cohort, covering

CASES_DIR = Path(__file__).parent / "trials"
CASES = sorted(p.parent for p in CASES_DIR.glob("*/*/*/expected.json"))
EXPECTED_CASE_COUNT = 321
OTHER_TRIALS = ["NCT00077493", "NCT00098839", "NCT00382109", "NCT01700946", "NCT02101853", "NCT06607419"]


def _expected(case: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


def test_case_count_is_pinned() -> None:
    assert len(CASES) == EXPECTED_CASE_COUNT


@pytest.fixture(scope="module")
def model() -> Graph:
    return load_model(trials=True)


def test_the_model_holds_six_more_computable_trials(model: Graph) -> None:
    assert computable_trials(model) == ["NCT04604691", *OTHER_TRIALS]


def _screen(cases: list[Path], model: Graph, engine: str,
            trials: list[str] | None = None) -> tuple[Screening, dict[str, Path]]:
    graph, owner = case_cohort(cases)
    as_of = {_expected(case)["as_of"] for case in cases}
    assert len(as_of) == 1
    return screen(graph, dt.date.fromisoformat(as_of.pop()), model=model, engine=engine,
                  trials=trials or computable_trials(model)), owner


@pytest.fixture(scope="module")
def screened(model: Graph) -> dict[Path, dict[str, dict[str, tuple[str, str]]]]:
    """case -> trial -> criterion -> (status, explanation)."""
    screening, owner = _screen(CASES, model, "fast")
    return {owner[p.id]: {t.trial: {c.id: (c.status, c.explanation) for c in t.criteria} for t in p.trials}
            for p in screening.patients}


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(CASES_DIR)) for c in CASES])
def test_case(case: Path, screened: dict[Path, dict[str, dict[str, tuple[str, str]]]]) -> None:
    expected = _expected(case)
    results = screened[case][expected["trial"]]
    got = {criterion: results[criterion][0] for criterion in expected["expect"]}
    explanations = {criterion: results[criterion][1] for criterion in expected["expect"]}
    assert got == expected["expect"], f"{expected['summary']}\n{explanations}"
    for criterion in expected["expect"]:
        assert results[criterion][1], f"{criterion} has no explanation"
    for criterion, words in expected.get("explanation_contains", {}).items():
        assert words in results[criterion][1], results[criterion][1]


def test_every_criterion_has_a_case_per_status_its_checks_can_report(model: Graph) -> None:
    """Statuses a criterion can take: pass (unless a check always reports review) and
    every status its checks' shapes report; each needs a case."""
    from blinakg.engine.assemble import trial_criteria
    from blinakg.engine.shapes import compile_shapes
    from blinakg.model import generated_shapes

    outcomes = {plan.check: set(plan.outcomes) for plan in compile_shapes(generated_shapes(model))}
    seen: dict[tuple[str, str], set[str]] = {}
    for case in CASES:
        expected = _expected(case)
        for criterion, status in expected["expect"].items():
            seen.setdefault((expected["trial"], criterion), set()).add(status)
    for criterion in trial_criteria(model, OTHER_TRIALS):
        possible = set().union(*(outcomes.get(check, set()) for check in criterion.checks))
        # A judgement check is review for everyone unless it applies to a class only (issue 18: nursing).
        always_review = any((check, RDF.type, BK.InvestigatorJudgementCheck) in model
                            and (check, BK.applicableTo, None) not in model for check in criterion.checks)
        if not always_review:
            possible.add("pass")
        assert seen.get((criterion.trial, criterion.id), set()) == possible, (criterion.trial, criterion.id)


# Issue 18: the any-of criteria, the registered age range and the exact µmol/L boundaries.
ISSUE_18 = [c for c in CASES if str(c.relative_to(CASES_DIR)).startswith(
    ("NCT02101853/I10/", "NCT01700946/I6/", "NCT01700946/I8/", "NCT02101853/I11/", "NCT00077493/I14/", "NCT00077493/R1/"))]


def _expectations(case: Path) -> set[tuple[str, str, str]]:
    expected = _expected(case)
    return {(expected["trial"], *pair) for pair in expected["expect"].items()}


REFERENCE_CASES = covering(CASES, _expectations)


@pytest.fixture(scope="module")
def reference_reports(model: Graph) -> dict[str, tuple[Screening, Screening]]:
    """trial -> (fast, pySHACL) over the reference cases of that trial, screened against it alone."""
    out = {}
    for trial in sorted({_expected(case)["trial"] for case in REFERENCE_CASES}):
        cases = [case for case in REFERENCE_CASES if _expected(case)["trial"] == trial]
        out[trial] = (_screen(cases, model, "fast", [trial])[0], _screen(cases, model, "pyshacl", [trial])[0])
    return out


def test_the_reference_cases_cover_every_trial_criterion_and_status() -> None:
    assert len(REFERENCE_CASES) == 203
    assert set().union(*map(_expectations, REFERENCE_CASES)) == set().union(*map(_expectations, CASES))


def test_the_reference_engine_agrees_on_the_reference_cases(
        reference_reports: dict[str, tuple[Screening, Screening]]) -> None:
    assert len(reference_reports) == len(OTHER_TRIALS)
    for trial, (fast, reference) in reference_reports.items():
        catalogue = [{"trial": trial, "title": None, "computable": True}]
        assert trials_json(fast, catalogue) == trials_json(reference, catalogue), trial
        assert fast.report_rows == reference.report_rows, trial


def test_the_any_of_shapes_report_through_their_own_logical_shapes(model: Graph) -> None:
    """pySHACL evaluates the any-of shapes (sh:not, sh:node over untargeted alternatives) as
    SHACL Core; the cohort engine from the alternatives' rows (issue 18: any-of, registered age, exact units)."""
    assert len(ISSUE_18) == 44
    trials = ["NCT00077493", "NCT01700946", "NCT02101853"]
    fast_rows = _screen(ISSUE_18, model, "fast", trials)[0].report_rows
    rows = {(str(r.shape).rsplit("#", 1)[-1], str(r.component).rsplit("#", 1)[-1]) for r in fast_rows}
    # An any-of reports through its own logical shapes only, never through an alternative's.
    assert ("NCT02101853/I10-renal-fail", "NotConstraintComponent") in rows
    assert not any(shape.startswith(("NCT02101853/I10-clearance-", "NCT02101853/I10-creatinine-",
                                     "NCT01700946/I8-clearance-", "NCT01700946/I6-direct-bilirubin-"))
                   for shape, _ in rows)
