"""next_step and earliest_eligible_date (contract.md), computed by
:mod:`blinakg.reports.next_step` from any engine's results and the checks'
parameters in the model.

Most tests build the engine-neutral results by hand (as either engine fills
them), so they pin the wording and dates for every kind of check without
screening; the last ones go through a real screening.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from blinakg.engine.results import (CheckResult, CriterionResult, Evidence, PatientResult, Screening, verdict_of,
                                    worst)
from blinakg.model import load_model
from blinakg.namespaces import BK, TRIAL
from blinakg.reports.next_step import (annotate, article, check_parameters, display_unit, format_number,
                                       quantity)

D = dt.date(2025, 3, 1)
PATIENT = URIRef("urn:test:patient")
MODEL = load_model()
KIND = {c: ("inclusion" if c.startswith("I") else "exclusion") for c in
        [f"I{i}" for i in range(1, 9)] + [f"E{i}" for i in range(1, 13)]}


class Builder:
    """One patient's results, check by check; unnamed checks pass."""

    def __init__(self) -> None:
        self.data = Graph()
        self.data.add((PATIENT, RDF.type, BK.Patient))
        self.checks: dict[str, list[CheckResult]] = {}
        self.n = 0

    def record(self, value: str | None = None, unit: str | None = None, date: str = "2025-02-24",
               source: str | None = None, **facts: object) -> Evidence:
        self.n += 1
        record = URIRef(f"urn:test:record/{self.n}")
        self.data.add((record, BK.subject, PATIENT))
        if value is not None:
            self.data.add((record, BK.value, Literal(Decimal(value))))
        if unit is not None:
            self.data.add((record, BK.unit, Literal(unit)))
        for name, fact in facts.items():
            self.data.add((record, getattr(BK, name), Literal(fact)))
        text = None if value is None else f"{facts.get('comparator', '')}{value} {unit}"
        return Evidence(source or f"Observation/{self.n}", text, date, record)

    def check(self, check: str, status: str, *evidence: Evidence, explanation: str = "") -> "Builder":
        criterion = check.split("-")[0]
        self.checks.setdefault(criterion, []).append(
            CheckResult(TRIAL[check], status, explanation or f"{check} {status}", list(evidence)))
        return self

    def screening(self, model: Graph = MODEL) -> Screening:
        criteria = []
        for order, criterion in enumerate(KIND, start=1):
            checks = self.checks.get(criterion, [])
            status = worst(c.status for c in checks)
            criteria.append(CriterionResult(
                id=criterion, iri=TRIAL[criterion], kind=KIND[criterion], order=order, text=criterion,
                status=status, explanation=" ".join(c.explanation for c in checks),
                evidence=[e for c in checks for e in c.evidence], checks=checks))
        patient = PatientResult("p", PATIENT, verdict_of(c.status for c in criteria), criteria)
        screening = Screening(as_of=D, patients=[patient], warnings=[], data_graph=self.data)
        annotate(screening, model)
        return screening


def result(screening: Screening, criterion: str) -> CriterionResult:
    return next(c for c in screening.patients[0].criteria if c.id == criterion)


# ---------------------------------------------------------------------------
#  Wording helpers
# ---------------------------------------------------------------------------

def test_numbers_and_units_read_as_the_contract_writes_them() -> None:
    assert format_number(Decimal("1000")) == "1,000" and format_number(Decimal("0.800")) == "0.8"
    assert format_number(Decimal("5E+1")) == "50" and format_number(Decimal("0.0001")) == "0.0001"
    assert quantity(Decimal("1000"), "/uL") == "1,000/µL"
    assert quantity(Decimal("9"), "g/dL") == "9 g/dL" and quantity(Decimal("5"), "%") == "5%"
    assert display_unit("10*9/L") == "×10⁹/L" and display_unit("umol/L") == "µmol/L" and display_unit("U/L") == "U/L"
    assert [article(n) for n in ("ANC result", "HIV test", "CSF finding", "pregnancy test", "MRD result")] == [
        "an", "an", "a", "a", "an"]


def test_every_check_of_the_model_has_its_parameters() -> None:
    params = check_parameters(MODEL)
    assert len(params) == 37
    assert params[TRIAL["I5-anc"]].threshold == Decimal("1.0") and params[TRIAL["I5-anc"]].window == 14
    assert params[TRIAL["E5-systemic-chemotherapy"]].is_washout
    assert not params[TRIAL["E2-cns-pathology"]].is_washout
    assert params[TRIAL["I6-creatinine-clearance"]].estimate == ("bedside Schwartz", "height", 90, "serum creatinine", 14)


# ---------------------------------------------------------------------------
#  next_step, kind by kind
# ---------------------------------------------------------------------------

def test_threshold_fail_says_the_value_needed_in_the_records_unit() -> None:
    b = Builder()
    s = b.check("I5-anc", "fail", b.record("800", "/uL", "2025-02-24")).screening()
    assert result(s, "I5").next_step == "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL."
    b = Builder()
    s = b.check("I5-hemoglobin", "fail", b.record("8.1", "g/dL")).screening()
    assert result(s, "I5").next_step == "Hemoglobin 8.1 g/dL on 2025-02-24; needs ≥ 9 g/dL."


def test_threshold_as_a_multiple_of_the_results_own_uln() -> None:
    b = Builder()
    s = b.check("I6-ast", "fail", b.record("120", "U/L", referenceHigh=Decimal(40))).screening()
    assert result(s, "I6").next_step == "AST 120 U/L on 2025-02-24; needs < 2 × ULN = 80 U/L."
    b = Builder()
    ast = b.record("30", "umol/L", referenceHigh=Decimal("0.02"), referenceHighUnit="mmol/L")
    s = b.check("I6-total-bilirubin", "fail", ast).screening()
    assert result(s, "I6").next_step == "Total bilirubin 30 µmol/L on 2025-02-24; needs < 1.5 × ULN = 30 µmol/L."


def test_washout_passes_the_day_after_the_window() -> None:
    """criteria.md "within N days before D": a record on t counts up to D = t + N; passes from t + N + 1."""
    b = Builder()
    s = b.check("E5-systemic-chemotherapy", "fail", b.record(date="2025-02-20", source="Procedure/chemo")).screening()
    assert result(s, "E5").next_step == (
        "Passes from 2025-03-07: systemic chemotherapy on 2025-02-20 is within 14 days before D.")
    assert s.patients[0].verdict == "ineligible"
    assert s.patients[0].earliest_eligible_date == dt.date(2025, 3, 7)


def test_earliest_eligible_date_is_the_latest_over_the_washouts() -> None:
    b = Builder()
    b.check("E5-systemic-chemotherapy", "fail", b.record(date="2025-02-20"), b.record(date="2025-02-16"))
    b.check("E6-radiotherapy", "fail", b.record(date="2025-02-10"))
    s = b.screening()
    assert result(s, "E6").next_step.startswith("Passes from 2025-03-11: radiotherapy on 2025-02-10")
    assert s.patients[0].earliest_eligible_date == dt.date(2025, 3, 11)


def test_missing_or_too_old_measurement_says_what_to_obtain_and_from_when() -> None:
    s = Builder().check("I8-pregnancy-test", "unknown").screening()
    assert result(s, "I8").next_step == "Needs a pregnancy test dated 2025-02-22 or later."
    s = Builder().check("I7-hiv", "unknown").check("I7-hbsag", "unknown").screening()
    assert result(s, "I7").next_step == ("Needs an HIV test dated 2024-12-01 or later; "
                                         "needs an HBsAg result dated 2024-12-01 or later.")
    s = Builder().check("I6-creatinine-clearance", "unknown").screening()
    assert result(s, "I6").next_step == (
        "Needs a creatinine clearance result dated 2025-02-15 or later, or for the bedside Schwartz estimate "
        "a serum creatinine dated 2025-02-15 or later and a height dated 2024-12-01 or later.")
    assert s.patients[0].earliest_eligible_date is None


def test_unusable_results_say_what_a_usable_one_needs() -> None:
    b = Builder()
    s = b.check("I5-anc", "unknown", b.record("1.2", "foo")).screening()
    assert result(s, "I5").next_step == (
        "Needs an ANC result in a unit convertible to ×10⁹/L, dated 2025-02-15 or later.")
    b = Builder()
    s = b.check("I6-ast", "unknown", b.record("30", "U/L"), explanation=(
        "AST 30 U/L on 2025-02-24 (Observation/1) has no upper limit of normal (reference range high).")).screening()
    assert result(s, "I6").next_step == (
        "Needs an AST result with its reference range (upper limit of normal), dated 2025-02-15 or later.")
    b = Builder()
    s = b.check("I5-anc", "unknown", b.record("0.5", "10*9/L", comparator=">")).screening()
    assert "with an exact value, not a bound" in result(s, "I5").next_step
    b = Builder()
    s = b.check("E3-csf", "unknown", b.record()).screening()
    assert result(s, "E3").next_step == "Needs a conclusive CSF finding dated 2025-01-18 or later."


def test_excluding_history_and_age_have_no_next_step() -> None:
    b = Builder()
    s = b.check("E2-cns-pathology", "fail", b.record(date="2020-01-01", source="Condition/epilepsy")).screening()
    assert result(s, "E2").status == "fail" and result(s, "E2").next_step is None
    assert s.patients[0].earliest_eligible_date is None
    assert Builder().check("I2-age", "fail").screening().patients[0].criteria[1].next_step is None
    assert Builder().check("I1-diagnosis", "fail").screening().patients[0].criteria[0].next_step is None
    # One unchangeable check makes the whole criterion unchangeable.
    b = Builder()
    s = b.check("I4-prior-allogeneic-hsct", "fail", b.record(date="2024-01-01")).check("I4-mrd", "unknown").screening()
    assert result(s, "I4").next_step is None


def test_qualitative_fail_and_counts() -> None:
    b = Builder()
    s = b.check("I7-hiv", "fail", b.record(date="2025-02-01")).screening()
    assert result(s, "I7").next_step == "Needs a negative HIV test dated after 2025-02-01."
    b = Builder()
    s = b.check("I3-blocks", "fail", explanation="2 intensive chemotherapy blocks recorded on or before ...").screening()
    assert result(s, "I3").next_step == (
        "Needs at least 3 intensive chemotherapy blocks on or before the bone-marrow blasts assessment; 2 recorded.")


def test_pass_and_review_have_none_and_eligible_is_d() -> None:
    s = Builder().check("E12-investigator-judgement", "review").screening()
    assert all(c.next_step is None for c in s.patients[0].criteria)
    assert s.patients[0].verdict == "eligible" and s.patients[0].earliest_eligible_date == D


def test_washout_with_another_failure_or_an_unknown_is_not_dated() -> None:
    b = Builder()
    b.check("E5-systemic-chemotherapy", "fail", b.record(date="2025-02-20")).check("I5-anc", "fail", b.record("800", "/uL"))
    assert b.screening().patients[0].earliest_eligible_date is None
    b = Builder()
    b.check("E5-systemic-chemotherapy", "fail", b.record(date="2025-02-20")).check("I8-pregnancy-test", "unknown")
    s = b.screening()
    assert result(s, "E5").next_step is not None and s.patients[0].earliest_eligible_date is None


def test_windows_and_thresholds_come_from_the_model() -> None:
    model = load_model()
    model.set((TRIAL["E5-systemic-chemotherapy"], BK.windowDays, Literal(21, datatype=XSD.integer)))
    model.set((TRIAL["I5-anc"], BK.threshold, Literal("1.5", datatype=XSD.decimal)))
    b = Builder()
    b.check("E5-systemic-chemotherapy", "fail", b.record(date="2025-02-20"))
    b.check("I5-anc", "fail", b.record("800", "/uL"))
    s = b.screening(model)
    assert result(s, "E5").next_step.startswith("Passes from 2025-03-14: ") and "within 21 days" in result(s, "E5").next_step
    assert result(s, "I5").next_step.endswith("needs ≥ 1,500/µL.")


# ---------------------------------------------------------------------------
#  Through a real screening
# ---------------------------------------------------------------------------

def test_the_example_patients(example_screening: Screening) -> None:
    by_id = {p.id: p for p in example_screening.patients}
    assert by_id["https://example.org/hospital/pat-001"].earliest_eligible_date == D
    i5 = next(c for c in by_id["pat-017"].criteria if c.id == "I5")
    assert i5.next_step == "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL."
    assert by_id["pat-017"].earliest_eligible_date is None
    pat023 = {c.id: c for c in by_id["pat-023"].criteria}
    assert pat023["I8"].next_step == "Needs a pregnancy test dated 2025-02-22 or later."
    assert pat023["I7"].next_step == "Needs an HIV test dated 2024-12-01 or later."


@pytest.mark.parametrize("fmt", ["json", "text", "turtle"])
def test_every_format_carries_next_steps(example_screening: Screening, fmt: str) -> None:
    import json

    from blinakg.reports.render import RENDERERS, to_graph

    out = RENDERERS[fmt](example_screening)
    assert "needs ≥ 1,000/µL" in out
    if fmt == "json":
        document = json.loads(out)
        patients = {p["id"]: p for p in document["patients"]}
        assert patients["https://example.org/hospital/pat-001"]["earliest_eligible_date"] == "2025-03-01"
        assert patients["pat-017"]["earliest_eligible_date"] is None
        for patient in document["patients"]:
            for c in patient["criteria"]:
                assert "next_step" in c and (c["next_step"] is None or c["status"] in ("fail", "unknown"))
    elif fmt == "text":
        assert "next step: ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL." in out
        assert "Cohort attrition" in out and "  I5         2   (pass 2, fail 1, unknown 0, review 0)" in out
    else:
        graph = to_graph(example_screening)
        steps = {str(o) for o in graph.objects(None, BK.nextStep)}
        assert "Needs a pregnancy test dated 2025-02-22 or later." in steps
        dates = set(graph.objects(None, BK.earliestEligibleDate))
        assert dates == {Literal("2025-03-01", datatype=XSD.date)}


def test_without_the_patient_data_the_explanation_and_evidence_suffice() -> None:
    """The fast engine keeps no patient data unless the run is stored: what the shapes' sentences
    say (shapes/components.ttl), the same from every engine, is enough."""
    estimate = URIRef("urn:test:estimate")
    s = Builder().check("I6-creatinine-clearance", "fail",
                        Evidence("Observation/height-1", "120 cm", "2025-01-10", estimate),
                        Evidence("Observation/crea-1", "1.2 mg/dL", "2025-02-25", estimate),
                        explanation=("Creatinine clearance 41.3 mL/min (estimated by bedside Schwartz from height "
                                     "120 cm and serum creatinine 1.2 mg/dL) on 2025-02-25 does not meet ≥ 50 mL/min."),
                        ).screening()
    assert result(s, "I6").next_step == (
        "Creatinine clearance 41.3 mL/min (estimated) on 2025-02-25; needs ≥ 50 mL/min.")
    s = Builder().check("I6-ast", "fail", Evidence("Observation/ast-1", "120 U/L", "2025-02-24", URIRef("urn:x")),
                        explanation="AST 120 U/L on 2025-02-24 (Observation/ast-1) does not meet < 2 × ULN = 80 U/L.",
                        ).screening()
    assert result(s, "I6").next_step == "AST 120 U/L on 2025-02-24; needs < 2 × ULN = 80 U/L."
    s = Builder().check("I2-age", "unknown", explanation=(
        "Age 17 to 18 at 2025-03-01 (no research consent recorded: the screening date) (partial birth date 2007): "
        "cannot tell whether below 18.")).screening()
    assert result(s, "I2").next_step == "Needs the patient's full birth date (recorded: 2007)."
    s = Builder().check("I4-mrd", "unknown", Evidence("Observation/mrd-1", "0.02 %", "2025-02-20", URIRef("urn:m")),
                        explanation=("MRD 0.02 % = 0.0002 1 on 2025-02-20 (Observation/mrd-1) does not qualify: "
                                     "its assay sensitivity is not recorded.")).screening()
    assert result(s, "I4").next_step == ("Needs an MRD result with its assay sensitivity recorded (0.00001 or better), "
                                         "dated 2025-01-18 or later.")
