"""From validator rows to the results a report shows, the same for either engine.

criteria.md, "Statuses": "A criterion made of several checks: any check fail
-> fail; else any unknown -> unknown; else any review -> review; else pass."
The explanation of a criterion is the sentences of the checks that decided
it (every check's, when it passes); its evidence, the records those sentences
rest on, cited by their source identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef

from ..namespaces import BK, BK_IRI
from ..sparql import catalogue
from .evaluate import Evaluation, Row, ignored_records
from .oxistore import select, to_rdflib
from .results import (CheckResult, CriterionResult, Evidence, PatientResult, ReportRow, TrialResult, verdict_of,
                      worst)
from .shapes import CheckPlan

Triple = tuple[Any, Any, Any]


@dataclass(frozen=True)
class Criterion:
    """A criterion of the trial as the model states it."""

    iri: URIRef
    id: str
    kind: str
    order: int
    text: str
    checks: tuple[URIRef, ...]
    trial: str = "NCT04604691"


@dataclass
class ChunkResult:
    """What screening one chunk of patients yields."""

    patients: list[PatientResult]
    ignored: list[tuple[str, str]]
    report_rows: list[ReportRow]
    records: list[Triple] = field(default_factory=list)  # the triples the Turtle report repeats
    warnings: list[tuple[int, int, str]] = field(default_factory=list)  # reading warnings, with their sort key
    passed_over: dict[str, int] = field(default_factory=dict)
    data: str = ""  # the chunk's patient data as N-Triples, when kept
    entries: list[tuple[str, str]] = field(default_factory=list)  # (patient id, rendered report entry), when streamed
    notes: list[str] = field(default_factory=list)  # warnings naming a patient (a death, a birth date after C)
    count: int = 0  # patients screened
    all_eligible: bool = True  # every patient eligible (for every trial)


def trial_criteria(model: Graph, trials: list[str] | None = None) -> list[Criterion]:
    """The criteria in registered order, each with its checks: of every trial in
    the model, or of ``trials`` only (in that order)."""
    from .planner import run_query

    criteria = []
    for row in run_query(model, catalogue.get("criteria").text):
        checks = tuple(sorted((c for c in model.objects(row.criterion, BK.check) if isinstance(c, URIRef)), key=str))
        trial = str(row.trial) if row.trial is not None else "NCT04604691"
        criteria.append(Criterion(row.criterion, str(row.id), str(row.kind), int(row.order), str(row.text), checks,
                                  trial))
    if trials is not None:
        rank = {trial: i for i, trial in enumerate(trials)}
        criteria = sorted((c for c in criteria if c.trial in rank), key=lambda c: (rank[c.trial], c.order))
    return criteria


def _evidence(store: ox.Store) -> dict[Any, list[Evidence]]:
    """Record -> what the report cites for it (one set-based query)."""
    cited: dict[Any, list[Evidence]] = {}
    for solution in select(store, catalogue.get("evidence-all").text):
        record = to_rdflib(solution["record"])
        value, date = solution["value"], solution["date"]
        cited.setdefault(record, []).append(Evidence(
            solution["source"].value, None if value is None else value.value,
            None if date is None else date.value, record))  # type: ignore[arg-type]
    for items in cited.values():
        items.sort(key=lambda e: e.source)
    return cited


def _patient_notes(store: ox.Store) -> tuple[dict[URIRef, str | bool], list[str]]:
    """Patients deceased at D (the date as recorded, or True) and the warnings naming a patient."""
    deceased: dict[URIRef, str | bool] = {}
    notes: list[str] = []
    for solution in select(store, catalogue.get("patient-notes").text):
        stated, note = solution["deceased"], solution["note"]
        if stated is not None:
            # A date wins over a bare "deceased" (the first, in order, of several).
            value: str | bool = True if stated.value == "true" and stated.datatype.value.endswith("#boolean") else stated.value
            patient = URIRef(solution["patient"].value)
            if patient not in deceased or deceased[patient] is True:
                deceased[patient] = value
        if note is not None:
            notes.append(note.value)
    return deceased, notes


def _patients(store: ox.Store) -> list[tuple[URIRef, str]]:
    """(IRI, the id the report gives: FHIR Patient.id, else the IRI)."""
    found = []
    for solution in select(store, catalogue.get("patients").text):
        iri = solution["patient"].value
        found.append((URIRef(iri), solution["id"].value if solution["id"] is not None else iri))
    return found


_RECORD_PROPERTIES = ("sourceRecord", "valueText", "onDate", "subject", "derivedFrom")
_IGNORED_PROPERTIES = ("ignoredBecause", "sourceRecord", "subject")


def _record_triples(store: ox.Store, cited: set[Any]) -> list[Triple]:
    """The triples of cited and of ignored records that the Turtle report repeats."""
    query = f"""PREFIX bk: <{BK_IRI}>
        SELECT ?kind ?record ?p ?o WHERE {{
          {{ ?record bk:subject ?patient ; ?p ?o . BIND ("cited" AS ?kind)
             VALUES ?p {{ {" ".join("bk:" + p for p in _RECORD_PROPERTIES)} }} }}
          UNION
          {{ ?record bk:ignoredBecause ?why ; ?p ?o . BIND ("ignored" AS ?kind)
             VALUES ?p {{ {" ".join("bk:" + p for p in _IGNORED_PROPERTIES)} }} }}
        }}"""
    triples = []
    for solution in select(store, query):
        record = to_rdflib(solution["record"])
        if solution["kind"].value == "cited" and record not in cited:
            continue
        triples.append((record, to_rdflib(solution["p"]), to_rdflib(solution["o"])))
    return triples


def _sentences(evaluation: Evaluation, patient: URIRef, check: URIRef, status: str,
               evidence_of: dict[Any, list[Evidence]]) -> tuple[list[str], list[Evidence]]:
    """The sentences and evidence of a check's rows of one status."""
    sentences: list[str] = []
    evidence: list[Evidence] = []
    # Solutions come in no set order; sentences are read in text order, whatever the engine.
    for row in sorted(evaluation.rows.get((patient, check), []), key=lambda r: (r.explanation, str(r.record))):
        if row.status != status:
            continue
        if row.explanation not in sentences:
            sentences.append(row.explanation)
        if row.record is not None and all(e.record != row.record for e in evidence):
            evidence.extend(evidence_of.get(row.record, []))
    return sentences, evidence


def assemble(store: ox.Store, evaluation: Evaluation, plans: list[CheckPlan], criteria: list[Criterion],
             keep_records: bool = False, by_trial: bool = False) -> ChunkResult:
    """Per patient: twenty criteria with status, explanation, evidence and per-check results."""
    evidence_of = _evidence(store)
    deceased, notes = _patient_notes(store)
    plan_of = {plan.check: plan for plan in plans}
    patients: list[PatientResult] = []
    cited: set[Any] = set()
    for iri, patient_id in _patients(store):
        results: list[CriterionResult] = []
        for criterion in criteria:
            checks: list[CheckResult] = []
            sentences_of: dict[URIRef, list[str]] = {}
            for check in criterion.checks:
                status = evaluation.statuses.get((iri, check), "pass")
                sentences, evidence = _sentences(evaluation, iri, check, status, evidence_of)
                sentences_of[check] = sentences
                check_result = CheckResult(check, status, " ".join(sentences), evidence)
                plan = plan_of.get(check)
                for alternative in plan.alternatives if plan is not None else ():
                    # An any-of's alternatives, each with the status its own rows give (next steps read them).
                    alt_status = worst(row.status for row in evaluation.rows.get((iri, alternative), [])
                                       if row.status in plan_of[alternative].outcomes)
                    said, cited_by = _sentences(evaluation, iri, alternative, alt_status, evidence_of)
                    check_result.alternatives.append(CheckResult(alternative, alt_status, " ".join(said), cited_by))
                checks.append(check_result)
            status = worst(c.status for c in checks)
            explanation: list[str] = []
            cited_evidence: list[Evidence] = []
            for check_result in checks:
                if status != "pass" and check_result.status != status:
                    continue
                explanation.extend(s for s in sentences_of[check_result.iri] if s not in explanation)
                for item in check_result.evidence:
                    if all(e.record != item.record for e in cited_evidence):
                        cited_evidence.append(item)
            cited.update(e.record for e in cited_evidence)
            results.append(CriterionResult(criterion.id, criterion.iri, criterion.kind, criterion.order, criterion.text,
                                           status, " ".join(explanation), cited_evidence, checks))
        # contract.md: a patient whose record states a death on or before D is ineligible
        # (for every trial); the criteria are still reported.
        died = deceased.get(iri)
        result = PatientResult(patient_id, iri, "ineligible" if died is not None else verdict_of(r.status for r in results),
                               results, deceased=died)
        if by_trial:
            # Several trials (contract.md, "Several trials"): a verdict per trial, on that trial's criteria.
            for trial in dict.fromkeys(c.trial for c in criteria):
                own = [r for c, r in zip(criteria, results) if c.trial == trial]
                verdict = "ineligible" if died is not None else verdict_of(r.status for r in own)
                result.trials.append(TrialResult(trial, verdict, own))
        patients.append(result)
    report_rows = []
    for (patient, check), bucket in evaluation.rows.items():
        plan = plan_of[check]
        for row in bucket:
            outcome = plan.outcomes.get(row.status)
            if outcome is not None and (patient, outcome.shape) in evaluation.reported:
                report_rows.append(ReportRow(patient, outcome.shape, plan.component, outcome.severity,
                                             outcome.message, row.record))
    report_rows.sort(key=lambda r: (str(r.focus), str(r.shape), str(r.value)))
    records = _record_triples(store, cited) if keep_records else []
    return ChunkResult(patients, ignored_records(store), report_rows, records, notes=notes)


__all__ = ["Criterion", "ReportRow", "ChunkResult", "trial_criteria", "assemble", "Row"]
