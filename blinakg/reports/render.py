"""The report formats of ``blinakg validate`` (contract.md): ``text``,
``json``, ``turtle`` and ``html`` (:mod:`blinakg.reports.html`).

The Turtle report holds the W3C SHACL validation report unchanged plus the
screening results as RDF, linked to the trial's criterion IRIs::

    <run> a bk:Screening ; bk:asOf "2025-03-01"^^xsd:date .
    <run/pat-017> a bk:PatientResult ; bk:screening <run> ; bk:patient <patient> ;
        bk:verdict bk:Ineligible ; bk:result <run/pat-017/I5> .
    <run/pat-017/I5> a bk:CriterionResult ; bk:criterion trial:I5 ; bk:statusOf bk:Fail ;
        bk:explanation "..." ; bk:evidence <record> ; bk:nextStep "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL." .

and ``bk:earliestEligibleDate`` on a patient result that has one (contract.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Callable
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SH, XSD

from ..namespaces import BK, RUN, TRIAL, TRIAL_IRI
from ..engine.results import Screening
from .attrition import attrition

TRIAL_ID = "NCT04604691"
STATUS_IRI = {"pass": BK.Pass, "fail": BK.Fail, "unknown": BK.Unknown, "review": BK.Review}
VERDICT_IRI = {"eligible": BK.Eligible, "ineligible": BK.Ineligible, "indeterminate": BK.Indeterminate}


def to_json(screening: Screening) -> dict[str, Any]:
    """The JSON report of contract.md."""
    return {
        "trial": TRIAL_ID,
        "as_of": screening.as_of.isoformat(),
        "patients": [
            {
                "id": patient.id,
                "verdict": patient.verdict,
                "criteria": [
                    {
                        "id": c.id,
                        "kind": c.kind,
                        "status": c.status,
                        "text": c.text,
                        "explanation": c.explanation,
                        "evidence": [e.as_dict() for e in c.evidence],
                        # contract.md: on fail/unknown, null when nothing in the data changes it;
                        # null on pass and review (one shape for every criterion).
                        "next_step": c.next_step if c.status in ("fail", "unknown") else None,
                    }
                    for c in patient.criteria
                ],
                "earliest_eligible_date": _iso(patient.earliest_eligible_date),
            }
            for patient in screening.patients
        ],
        "warnings": screening.warnings,
    }


def _iso(date: dt.date | None) -> str | None:
    return None if date is None else date.isoformat()


def render_json(screening: Screening) -> str:
    return json.dumps(to_json(screening), indent=2, ensure_ascii=False) + "\n"


def render_text(screening: Screening) -> str:
    """A readable summary per patient, criterion by criterion."""
    lines = [f"{TRIAL_ID} eligibility screening as of {screening.as_of.isoformat()}", ""]
    for patient in screening.patients:
        lines.append(f"Patient {patient.id}: {patient.verdict.upper()}")
        if patient.verdict != "eligible":
            earliest = _iso(patient.earliest_eligible_date) or "none (not by waiting for washouts)"
            lines.append(f"  Earliest eligible date: {earliest}")
        for c in patient.criteria:
            lines.append(f"  {c.id:<4} {c.status:<8} {c.explanation}")
            for e in c.evidence:
                detail = ", ".join(x for x in (e.value, e.date) if x)
                lines.append(f"{'':15}evidence: {e.source}" + (f" ({detail})" if detail else ""))
            if c.status in ("fail", "unknown"):
                lines.append(f"{'':15}next step: {c.next_step or 'none: nothing in the data changes it.'}")
        review = [c.id for c in patient.criteria if c.status == "review"]
        if review:
            lines.append(f"  For the investigator to confirm: {', '.join(review)}")
        lines.append("")
    counts = {v: sum(p.verdict == v for p in screening.patients) for v in ("eligible", "ineligible", "indeterminate")}
    lines.append(f"{len(screening.patients)} patient(s): " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    steps = attrition(screening)
    if steps:
        lines.append("")
        lines.append("Cohort attrition (patients still eligible or indeterminate after each criterion, in registered order):")
        lines.append(f"  {'start':<5} {len(screening.patients):>6}")
        for step in steps:
            split = ", ".join(f"{status} {n}" for status, n in step.counts.items())
            lines.append(f"  {step.id:<5} {step.remaining:>6}   ({split})")
    if screening.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  - {w}" for w in screening.warnings)
    return "\n".join(lines) + "\n"


def run_iri(screening: Screening) -> URIRef:
    """A screening run's IRI: its date and a digest of the patients it screened."""
    digest = hashlib.sha256("\n".join(sorted(str(p.iri) for p in screening.patients)).encode()).hexdigest()[:12]
    return RUN[f"{screening.as_of.isoformat()}-{digest}"]


def report_graph(screening: Screening) -> Graph:
    """The W3C SHACL validation report (SHACL 1.0, 3.6): ``sh:conforms`` and one
    ``sh:result`` per reported validator row, ``sh:value`` the record it rests on
    (the focus node when there is none)."""
    graph = Graph()
    report = URIRef(f"{run_iri(screening)}/report")
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(screening.conforms)))
    for row in screening.report_rows:
        digest = hashlib.sha256(f"{row.focus} {row.shape} {row.value}".encode()).hexdigest()[:16]
        result = URIRef(f"{report}/{digest}")
        graph.add((report, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, row.focus))
        graph.add((result, SH.sourceShape, row.shape))
        graph.add((result, SH.sourceConstraintComponent, row.component))
        graph.add((result, SH.resultSeverity, row.severity))
        graph.add((result, SH.resultMessage, Literal(row.message)))
        graph.add((result, SH.value, row.value if row.value is not None else row.focus))
    return graph


def to_graph(screening: Screening) -> Graph:
    """The W3C validation report plus the per-criterion results as RDF."""
    graph = Graph()
    graph.bind("bk", str(BK))
    graph.bind("trial", str(TRIAL))
    graph.bind("run", str(RUN))
    graph.bind("sh", str(SH))
    graph.bind("prov", str(PROV))
    report = report_graph(screening)
    graph += report
    run = run_iri(screening)
    graph.add((run, RDF.type, BK.Screening))
    graph.add((run, BK.asOf, Literal(screening.as_of.isoformat(), datatype=XSD.date)))
    graph.add((run, DCTERMS.subject, TRIAL_IRI))
    for node in report.subjects(RDF.type, SH.ValidationReport):
        graph.add((run, PROV.generated, node))
    for patient in screening.patients:
        node = URIRef(f"{run}/{quote(patient.id, safe='')}")
        graph.add((node, RDF.type, BK.PatientResult))
        graph.add((node, BK.screening, run))
        graph.add((node, BK.patient, patient.iri))
        graph.add((node, BK.verdict, VERDICT_IRI[patient.verdict]))
        if patient.earliest_eligible_date is not None:
            graph.add((node, BK.earliestEligibleDate,
                       Literal(patient.earliest_eligible_date.isoformat(), datatype=XSD.date)))
        graph.add((patient.iri, RDF.type, BK.Patient))
        if patient.id != str(patient.iri):
            graph.add((patient.iri, BK.fhirId, Literal(patient.id)))
        for c in patient.criteria:
            result = URIRef(f"{node}/{c.id}")
            graph.add((node, BK.result, result))
            graph.add((result, RDF.type, BK.CriterionResult))
            graph.add((result, BK.patient, patient.iri))
            graph.add((result, BK.criterion, c.iri))
            graph.add((result, BK.statusOf, STATUS_IRI[c.status]))
            graph.add((result, BK.explanation, Literal(c.explanation)))
            if c.next_step is not None:
                graph.add((result, BK.nextStep, Literal(c.next_step)))
            for e in c.evidence:
                if e.record is not None:
                    graph.add((result, BK.evidence, e.record))
    graph += screening.records
    return graph


def render_turtle(screening: Screening) -> str:
    return to_graph(screening).serialize(format="turtle")


def render_html(screening: Screening) -> str:
    from .html import render_html as html  # Jinja2 is loaded only for this format

    return html(screening)


RENDERERS: dict[str, Callable[[Screening], str]] = {
    "text": render_text, "json": render_json, "turtle": render_turtle, "html": render_html}
