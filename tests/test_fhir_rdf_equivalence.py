"""The FHIR route and the native RDF route give the same statuses, explanations
and evidence for the same facts (tests/equivalence/*.json beside *.ttl)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from blinakg.readers.loader import load_inputs
from blinakg.model import load_model
from blinakg.engine.screen import screen
from blinakg.reports.render import patient_json, trials_patient_json

from .conftest import AS_OF, EXAMPLES

HERE = Path(__file__).parent / "equivalence"
PAIRS = [(HERE / "quirks.json", HERE / "quirks.ttl")]

EXPECTED_QUIRKS = {
    # born in May 2007 (partial date), consent 2025-02-20: 17 whichever day -> pass
    "I2": "pass",
    # MRD 0.01 % = 1e-4 exactly, sensitivity 0.001 % = 1e-5 exactly -> qualifies and passes
    "I4": "pass",
    # hemoglobin in mmol/L on the same day as 90 g/L: the unusable one is the least favourable;
    # platelets ">40" straddle 50 -> unknown
    "I5": "unknown",
    # AST exactly 2 x ULN -> fail
    "I6": "fail",
    # pregnancy test cancelled -> no test -> unknown (I8 female)
    "I8": "unknown",
    # CNS2 -> blasts present -> fail
    "E3": "fail",
    # entered-in-error seizure is no evidence
    "E2": "pass",
    # rituximab period ended 28 days before D -> within 4 weeks -> fail
    "E8": "fail",
    # intrathecal chemotherapy never counts
    "E5": "pass",
    # resolved influenza is not active -> only the investigator's judgement
    "E12": "review",
}


def _statuses(path: Path) -> dict[str, tuple[str, str, list[dict[str, str]]]]:
    model = load_model()
    inputs = load_inputs([path], model)
    result = screen(inputs.graph, AS_OF, model=model, warnings=inputs.warnings)
    assert len(result.patients) == 1
    return {c.id: (c.status, c.explanation, [e.as_dict() for e in c.evidence]) for c in result.patients[0].criteria}


@pytest.mark.parametrize("fhir, rdf", PAIRS, ids=[p[0].stem for p in PAIRS])
def test_fhir_and_rdf_routes_agree(fhir: Path, rdf: Path) -> None:
    assert _statuses(fhir) == _statuses(rdf)


def test_quirks_statuses_follow_criteria_md() -> None:
    got = _statuses(HERE / "quirks.json")
    assert {k: got[k][0] for k in EXPECTED_QUIRKS} == EXPECTED_QUIRKS


def test_example_fhir_patients_screen_as_intended() -> None:
    model = load_model()
    inputs = load_inputs([EXAMPLES / "pat-017-ineligible.json", EXAMPLES / "pat-023-indeterminate.ndjson"], model)
    verdicts = {p.id: p.verdict for p in screen(inputs.graph, AS_OF, model=model).patients}
    assert verdicts == {"pat-017": "ineligible", "pat-023": "indeterminate"}


PERIODS = Path(__file__).parent / "fhir" / "periods"


def test_periods_through_the_fhir_reader() -> None:
    """criteria.md, "periods", on every period the FHIR reader lifts (Procedure.performedPeriod,
    MedicationAdministration / MedicationStatement.effectivePeriod, Observation.effectivePeriod,
    Condition.onsetPeriod): under way at D, open, ended inside and just outside a window,
    starting after D (ignored, with a warning)."""
    expected = json.loads((PERIODS / "expected.json").read_text())
    model = load_model()
    inputs = load_inputs([PERIODS / "export.ndjson"], model)
    result = screen(inputs.graph, dt.date.fromisoformat(expected["as_of"]), model=model, warnings=inputs.warnings)
    assert len(result.patients) == len(expected["patients"]) == 14
    for patient in result.patients:
        case = expected["patients"][patient.id]
        statuses = {c.id: c.status for c in patient.criteria if c.id in case["expect"]}
        assert statuses == case["expect"], f"{patient.id}: {case['summary']}"
    for source in expected["ignored"]:
        assert any(w.startswith(f"{source} is dated after") for w in result.warnings), source


# Folders of FHIR cases with expected results beside them (the periods format, plus
# optional per patient: "verdict", "deceased", "explanation" {criterion: words in it},
# "warning" (words some warning holds)); how many patients each holds.
FHIR_CASES = {"orders": 20, "patient-facts": 10, "observation-status": 11}


@pytest.mark.parametrize("folder", sorted(FHIR_CASES))
def test_fhir_cases_through_the_reader(folder: str) -> None:
    """MedicationRequest statuses and dates in washouts (issue 18.2); deaths before, on and
    after D (contract.md, issue 18.4); birth dates after D or C (issue 19.3); Observation
    statuses (issue 19.7)."""
    here = Path(__file__).parent / "fhir" / folder
    expected = json.loads((here / "expected.json").read_text())
    model = load_model()
    inputs = load_inputs(sorted(p for p in here.iterdir() if p.name != "expected.json"), model)
    result = screen(inputs.graph, dt.date.fromisoformat(expected["as_of"]), model=model, warnings=inputs.warnings)
    assert len(result.patients) == len(expected["patients"]) == FHIR_CASES[folder]
    for patient in result.patients:
        case = expected["patients"][patient.id]
        why = f"{patient.id}: {case['summary']}"
        assert {c.id: c.status for c in patient.criteria if c.id in case["expect"]} == case["expect"], why
        assert len(patient.criteria) == 20, why  # a deceased patient's criteria are still reported
        explanations = {c.id: c.explanation for c in patient.criteria}
        for criterion, words in case.get("explanation", {}).items():
            assert words in explanations[criterion], why
        if "verdict" in case:
            assert patient.verdict == case["verdict"], why
        if "deceased" in case:
            assert patient.deceased == case["deceased"], why
            # contract.md: the field is there (the date, or true) only for a death on or before D.
            assert patient_json(patient).get("deceased") == case["deceased"], why
        if "warning" in case:
            assert any(case["warning"] in w for w in result.warnings), why


def test_a_death_makes_every_trial_verdict_ineligible() -> None:
    """contract.md, several trials: a patient deceased at D is ineligible for every trial,
    with the deceased field and every trial's criteria still reported; a death after D is not."""
    here = Path(__file__).parent / "fhir" / "patient-facts"
    model = load_model(trials=True)
    inputs = load_inputs([here / "export.ndjson"], model)
    trials = ["NCT04604691", "NCT00382109"]
    result = screen(inputs.graph, AS_OF, model=model, warnings=inputs.warnings, trials=trials)
    entries = {p.id: trials_patient_json(p) for p in result.patients}
    for pid in ("deceased-before-d", "deceased-on-d", "deceased-boolean", "deceased-partial-date"):
        assert [t["verdict"] for t in entries[pid]["trials"]] == ["ineligible", "ineligible"], pid
        assert all(t["criteria"] for t in entries[pid]["trials"]), pid
        assert entries[pid]["deceased"] in (True, "2025-01-15", "2025-03-01T08:15:00+09:00", "2024-11"), pid
    for pid in ("deceased-after-d", "alive-boolean"):
        assert "deceased" not in entries[pid], pid
