"""Screening: derive, validate with pySHACL, and read statuses and explanations back.

The status of a check comes from the W3C validation report (``queries/report/
check-statuses.rq``: sh:Violation -> fail, sh:Warning -> unknown, sh:Info ->
review, no result -> pass). A criterion takes the worst status of its checks
(criteria.md: "any check fail -> fail; else any unknown -> unknown; else any
review -> review; else pass").

The explanation of a check comes from the very SPARQL validator that decided
it: each validator in ``shapes/components.ttl`` computes, for every record it
reads, an outcome and a sentence. pySHACL keeps only the rows of the shape's
outcome; here the same SELECT runs once per check over the whole cohort and
the rows whose outcome equals the check's status become the explanation and
the evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import pyshacl
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH

from ..sparql import catalogue
from .derive import derive
from ..model import load_model, load_shapes
from ..namespaces import BK
from .planner import PreparedQueryGraph, run_query
from .results import (CheckResult, CriterionResult, Evidence, PatientResult, Screening, STATUS_RANK,
                      verdict_of, worst)



def _memoise_pyshacl_sparql_check() -> None:
    """pySHACL re-checks a SPARQL validator's text (no MINUS, VALUES, SERVICE;
    nested SELECTs project the pre-bound variables) with backtracking regular
    expressions once per shape *and focus node*: about 19 ms a check for our
    validators, more than evaluating them. The verdict depends only on the text
    and the names of the pre-bound variables, so it is remembered."""
    from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper

    original = SPARQLQueryHelper.check_invalid_sparql
    if getattr(original, "_blinakg_memoised", False):
        return
    seen: set[tuple[str, bool, tuple[str, ...]]] = set()

    def check(self: Any, sparql_text: str, valuenode: Any = None, extravars: Any = None) -> bool:
        key = (sparql_text, valuenode is None, tuple(sorted(extravars or ())))
        if key not in seen:
            original(self, sparql_text, valuenode=valuenode, extravars=extravars)  # raises when invalid
            seen.add(key)
        return True

    check._blinakg_memoised = True  # type: ignore[attr-defined]
    SPARQLQueryHelper.check_invalid_sparql = check  # type: ignore[method-assign]


_memoise_pyshacl_sparql_check()
BKSH = "https://w3id.org/blinakg/shapes#"


def _validator_queries(shapes: Graph) -> dict[URIRef, tuple[str, str]]:
    """For each check-parameter property (bksh:latestResult, ...): its validator's SELECT with prefixes."""
    prefixes = "".join(
        f"PREFIX {decl.value(SH.prefix)}: <{decl.value(SH.namespace)}>\n"
        for decl in (shapes.resource(o) for o in shapes.objects(None, SH.declare))
    )
    queries: dict[URIRef, tuple[str, str]] = {}
    for component in shapes.subjects(RDF.type, SH.ConstraintComponent):
        validator = shapes.value(component, SH.nodeValidator)
        select = shapes.value(validator, SH.select)
        for parameter in shapes.objects(component, SH.parameter):
            path = shapes.value(parameter, SH.path)
            if isinstance(path, URIRef) and str(path) != BKSH + "outcome":
                queries[path] = (path.split("#")[-1], prefixes + str(select))
    return queries


Row = tuple[str, str, "URIRef | BNode | None"]


def _explanations(working: Graph, shapes: Graph) -> dict[tuple[Any, Any], list[Row]]:
    """(patient, check) -> [(status, explanation, record)] from every check's validator."""
    rows: dict[tuple[Any, Any], list[Row]] = {}
    queries = _validator_queries(shapes)
    for parameter, (variable, text) in queries.items():
        for check in set(shapes.objects(None, parameter)):
            for row in run_query(working, text, {variable: check}):
                rows.setdefault((row.this, check), []).append((str(row.status), str(row.explanation), row.record))
    return rows


def _evidence(graph: Graph, record: URIRef | BNode) -> list[Evidence]:
    return [
        Evidence(str(row.source), None if row.value is None else str(row.value),
                 None if row.date is None else str(row.date), record)
        for row in run_query(graph, catalogue.get("evidence").text, {"record": record})
    ]


def patient_id(graph: Graph, patient: URIRef) -> str:
    """contract.md: the FHIR Patient.id for FHIR input; the patient's IRI for RDF input."""
    fhir_id = graph.value(patient, BK.fhirId)
    return str(fhir_id) if fhir_id is not None else str(patient)


def screen(data: Graph, as_of: dt.date, model: Graph | None = None, warnings: Iterable[str] = ()) -> Screening:
    """Screen every patient in ``data`` against the twenty criteria at D = ``as_of``.

    Args:
        data: patient RDF in the bk: vocabulary (one or many patients).
        as_of: D, the screening reference date.
        model: the ontology graph (default: ``ontology/*.ttl``).
        warnings: warnings from reading the input, carried into the report.

    Returns:
        The screening: per patient, a verdict and the twenty criterion results.
    """
    model = model if model is not None else load_model()
    shapes = load_shapes()
    derived = derive(data, model, as_of)
    # The same triples, seen through a graph that plans queries (rdflib's updates
    # need a plain Graph, so derive() cannot build this one itself).
    working = PreparedQueryGraph(store=derived.store, identifier=derived.identifier)
    conforms, report, _ = pyshacl.validate(
        DataGraph.from_rdflib(working), shacl_graph=shapes, inference="none", advanced=False, inplace=True,
    )
    assert isinstance(report, Graph)

    # Statuses need the report, the shapes' links to their checks and the model
    # (criterion -> check, status ranks), not the patient data.
    report_with_model = PreparedQueryGraph()
    report_with_model += model
    report_with_model += report
    for triple in shapes.triples((None, BK.check, None)):
        report_with_model.add(triple)
    check_status: dict[tuple[Any, Any], str] = {}
    for row in run_query(report_with_model, catalogue.get("check-statuses").text):
        check_status[(row.patient, row.check)] = str(row.status)

    explained = _explanations(working, shapes)
    criteria: list[Any] = list(run_query(model, catalogue.get("criteria").text))
    checks_of: dict[Any, list[URIRef]] = {
        crit.criterion: sorted({c for c in model.objects(crit.criterion, BK.check) if isinstance(c, URIRef)}, key=str)
        for crit in criteria}
    all_warnings = list(warnings)
    for row in run_query(working, catalogue.get("ignored-records").text):
        all_warnings.append(f"{row.source} {row.reason} and was ignored.")

    patients: list[PatientResult] = []
    patient_iris: list[URIRef] = [p for p in set(working.subjects(RDF.type, BK.Patient)) if isinstance(p, URIRef)]
    for patient in sorted(patient_iris, key=lambda iri: patient_id(working, iri)):
        results: list[CriterionResult] = []
        for crit in criteria:
            checks = checks_of[crit.criterion]
            statuses = {check: check_status.get((patient, check), "pass") for check in checks}
            status = worst(statuses.values())
            check_results: list[CheckResult] = []
            sentences_of: dict[Any, list[str]] = {}
            for check in checks:
                check_sentences: list[str] = []
                check_evidence: list[Evidence] = []
                for row_status, sentence, record in explained.get((patient, check), []):
                    if row_status != statuses[check]:
                        continue
                    if sentence not in check_sentences:
                        check_sentences.append(sentence)
                    if isinstance(record, (URIRef, BNode)) and all(e.record != record for e in check_evidence):
                        check_evidence.extend(_evidence(working, record))
                sentences_of[check] = check_sentences
                check_results.append(CheckResult(check, statuses[check], " ".join(check_sentences), check_evidence))
            sentences: list[str] = []
            evidence: list[Evidence] = []
            for result in check_results:
                if status != "pass" and result.status != status:
                    continue
                for sentence in sentences_of[result.iri]:
                    if sentence not in sentences:
                        sentences.append(sentence)
                for item in result.evidence:
                    if all(e.record != item.record for e in evidence):
                        evidence.append(item)
            results.append(CriterionResult(
                id=str(crit.id), iri=crit.criterion, kind=str(crit.kind), order=int(crit.order),
                text=str(crit.text), status=status, explanation=" ".join(sentences), evidence=evidence,
                checks=check_results,
            ))
        patients.append(PatientResult(
            id=patient_id(working, patient), iri=patient,
            verdict=verdict_of(r.status for r in results), criteria=results,
        ))
    return Screening(as_of=as_of, patients=patients, warnings=all_warnings, report_graph=report,
                     working_graph=working, conforms=bool(conforms), data_graph=data)


__all__ = ["screen", "Screening", "PatientResult", "CriterionResult", "CheckResult", "Evidence", "verdict_of"]
