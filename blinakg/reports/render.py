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


def patient_json(patient: Any) -> dict[str, Any]:
    """One patient of the JSON report of contract.md."""
    entry = {
        "id": patient.id,
        "verdict": patient.verdict,
        "criteria": [_criterion_json(c) for c in patient.criteria],
        "earliest_eligible_date": _iso(patient.earliest_eligible_date),
    }
    return _with_deceased(entry, patient)


def _with_deceased(entry: dict[str, Any], patient: Any) -> dict[str, Any]:
    """contract.md: a patient whose record states a death on or before D gets a
    ``deceased`` field (the date as recorded, or true); the others none."""
    if patient.deceased is not None:
        entry["deceased"] = patient.deceased
    return entry


def deceased_text(patient: Any) -> str | None:
    """"deceased 2025-01-15" / "deceased", for the text and HTML reports."""
    if patient.deceased is None:
        return None
    return "deceased" if patient.deceased is True else f"deceased {patient.deceased}"


def to_json(screening: Screening) -> dict[str, Any]:
    """The JSON report of contract.md."""
    return {
        "trial": TRIAL_ID,
        "as_of": screening.as_of.isoformat(),
        "patients": [patient_json(patient) for patient in screening.patients],
        "warnings": screening.warnings,
    }


def _iso(date: dt.date | None) -> str | None:
    return None if date is None else date.isoformat()


def render_json(screening: Screening) -> str:
    return json.dumps(to_json(screening), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
#  Several trials (contract.md, "Several trials"; issue 10)
# ---------------------------------------------------------------------------

def _criterion_json(c: Any) -> dict[str, Any]:
    """A criterion as the single-trial report gives it."""
    return {"id": c.id, "kind": c.kind, "status": c.status, "text": c.text, "explanation": c.explanation,
            "evidence": [e.as_dict() for e in c.evidence],
            "next_step": c.next_step if c.status in ("fail", "unknown") else None}


def trials_patient_json(patient: Any) -> dict[str, Any]:
    """One patient of the several-trial JSON report: a verdict and criteria per trial."""
    return _with_deceased({"id": patient.id,
                           "trials": [{"trial": t.trial, "verdict": t.verdict,
                                       "criteria": [_criterion_json(c) for c in t.criteria]} for t in patient.trials]},
                          patient)


def trials_json(screening: Screening, catalogue: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON report of a screening against several trials.

    Args:
        catalogue: every trial the report lists, in order, as ``{"trial", "title", "computable"}``;
            each patient gets an entry for every computable one.
    """
    return {
        "as_of": screening.as_of.isoformat(),
        "trials": catalogue,
        "patients": [trials_patient_json(patient) for patient in screening.patients],
        "warnings": screening.warnings,
    }


def render_trials_json(screening: Screening, catalogue: list[dict[str, Any]]) -> str:
    return json.dumps(trials_json(screening, catalogue), indent=2, ensure_ascii=False) + "\n"


def trials_graph(screening: Screening, catalogue: list[dict[str, Any]]) -> Graph:
    """The Turtle report of a screening against several trials: the W3C validation
    report, and per patient and trial a ``bk:PatientResult`` (``bk:trial``, verdict)
    with one ``bk:CriterionResult`` per criterion of that trial. The trials' NCT IDs
    and the criteria's IDs are repeated, so the catalogue queries run on the report
    alone (``blinakg query trial-matches --data report.ttl``). The run is
    :func:`trials_run_iri`; a criterion result has its ``bk:nextStep`` as in the
    single-trial report."""
    graph = Graph()
    for prefix, namespace in (("bk", BK), ("run", RUN), ("sh", SH), ("prov", PROV), ("dct", DCTERMS)):
        graph.bind(prefix, str(namespace))
    run = trials_run_iri(screening)
    report = report_graph(screening, run)
    graph += report
    graph.add((run, RDF.type, BK.Screening))
    graph.add((run, BK.asOf, Literal(screening.as_of.isoformat(), datatype=XSD.date)))
    for node in report.subjects(RDF.type, SH.ValidationReport):
        graph.add((run, PROV.generated, node))
    trial_iri = {t["trial"]: URIRef(f"https://w3id.org/blinakg/trial/{t['trial']}") for t in catalogue}
    for trial, iri in trial_iri.items():
        graph.add((iri, RDF.type, BK.ClinicalTrial))
        graph.add((iri, DCTERMS.identifier, Literal(trial)))
        if any(t["trial"] == trial and t["computable"] for t in catalogue):
            graph.add((run, DCTERMS.subject, iri))
    for patient in screening.patients:
        graph.add((patient.iri, RDF.type, BK.Patient))
        if patient.id != str(patient.iri):
            graph.add((patient.iri, BK.fhirId, Literal(patient.id)))
        for result in patient.trials:
            node = URIRef(f"{run}/{quote(patient.id, safe='')}/{result.trial}")
            graph.add((node, RDF.type, BK.PatientResult))
            graph.add((node, BK.screening, run))
            graph.add((node, BK.patient, patient.iri))
            graph.add((node, BK.trial, trial_iri[result.trial]))
            graph.add((node, BK.verdict, VERDICT_IRI[result.verdict]))
            if patient.deceased is not None:
                graph.add((node, BK.deceasedAsStated, Literal(patient.deceased)))
            for c in result.criteria:
                item = URIRef(f"{node}/{c.id}")
                graph.add((node, BK.result, item))
                graph.add((item, RDF.type, BK.CriterionResult))
                graph.add((item, BK.patient, patient.iri))
                graph.add((item, BK.criterion, c.iri))
                graph.add((c.iri, BK.criterionId, Literal(c.id)))
                graph.add((trial_iri[result.trial], BK.criterion, c.iri))
                graph.add((item, BK.statusOf, STATUS_IRI[c.status]))
                graph.add((item, BK.explanation, Literal(c.explanation)))
                if c.next_step is not None:
                    graph.add((item, BK.nextStep, Literal(c.next_step)))
                for e in c.evidence:
                    if e.record is not None:
                        graph.add((item, BK.evidence, e.record))
    graph += screening.records
    return graph


def trials_run_iri(screening: Screening) -> URIRef:
    """A run against several trials: its date and a digest of the patients and of the trials
    screened (in any order), so that it never takes the IRI of the single-trial run of the same
    patients, nor of a run of the same patients against other trials."""
    key = "\n".join(sorted(str(p.iri) for p in screening.patients))
    key += "\ntrials: " + " ".join(sorted(screening.trials))
    return RUN[f"{screening.as_of.isoformat()}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"]


def render_trials_turtle(screening: Screening, catalogue: list[dict[str, Any]]) -> str:
    return trials_graph(screening, catalogue).serialize(format="turtle")


def render_trials_text(screening: Screening, catalogue: list[dict[str, Any]]) -> str:
    """A patient x trial matrix: per cell the verdict and the counts of fail, unknown and review."""
    computable = [t["trial"] for t in catalogue if t["computable"]]
    lines = [f"Eligibility screening against {len(computable)} trial(s) as of {screening.as_of.isoformat()}", ""]
    lines.append("Each cell: verdict (fail/unknown/review: how many criteria have that status).")
    lines.append("")
    cells: list[list[str]] = []
    for patient in screening.patients:
        death = deceased_text(patient)
        row = [patient.id + (f" ({death})" if death else "")]
        by_trial = {t.trial: t for t in patient.trials}
        for trial in computable:
            result = by_trial[trial]
            tally = [sum(c.status == s for c in result.criteria) for s in ("fail", "unknown", "review")]
            row.append(f"{result.verdict} ({'/'.join(str(n) for n in tally)})")
        cells.append(row)
    header = ["patient", *computable]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    lines.extend("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells)
    lines.append("")
    for trial in computable:
        verdicts = [t.verdict for p in screening.patients for t in p.trials if t.trial == trial]
        summary = ", ".join(f"{verdicts.count(v)} {v}" for v in ("eligible", "ineligible", "indeterminate"))
        title = next(t["title"] for t in catalogue if t["trial"] == trial)
        lines.append(f"{trial}: {summary}" + (f" ({title})" if title else ""))
    text_only = [t for t in catalogue if not t["computable"]]
    if text_only:
        lines.append("")
        lines.append(f"Not computable (text only in the registry): {len(text_only)} trial(s)")
        lines.extend(f"  - {t['trial']}" + (f": {t['title']}" if t["title"] else "") for t in text_only)
    lines.extend(_warning_lines(screening))
    return "\n".join(lines) + "\n"


def _warning_lines(screening: Screening) -> list[str]:
    """The warnings section of a text report (none when there is no warning)."""
    if not screening.warnings:
        return []
    return ["", "Warnings:", *(f"  - {w}" for w in screening.warnings)]


def render_text(screening: Screening) -> str:
    """A readable summary per patient, criterion by criterion."""
    lines = [f"{TRIAL_ID} eligibility screening as of {screening.as_of.isoformat()}", ""]
    for patient in screening.patients:
        death = deceased_text(patient)
        lines.append(f"Patient {patient.id}: {patient.verdict.upper()}" + (f" ({death}: the record states a death)" if death else ""))
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
    lines.extend(_warning_lines(screening))
    return "\n".join(lines) + "\n"


def run_iri(screening: Screening) -> URIRef:
    """A screening run's IRI: its date and a digest of the patients it screened."""
    digest = hashlib.sha256("\n".join(sorted(str(p.iri) for p in screening.patients)).encode()).hexdigest()[:12]
    return RUN[f"{screening.as_of.isoformat()}-{digest}"]


def report_graph(screening: Screening, run: URIRef | None = None) -> Graph:
    """The W3C SHACL validation report (SHACL 1.0, 3.6): ``sh:conforms`` and one
    ``sh:result`` per reported validator row, ``sh:value`` the record it rests on
    (the focus node when there is none); ``<run>/report``, by default of the single-trial run."""
    graph = Graph()
    report = URIRef(f"{run or run_iri(screening)}/report")
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
        if patient.deceased is not None:
            graph.add((node, BK.deceasedAsStated, Literal(patient.deceased)))
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


def render_trials_html(screening: Screening, catalogue: list[dict[str, Any]]) -> str:
    from .html_trials import render_trials_html as html  # Jinja2 is loaded only for this format

    return html(screening, catalogue)


RENDERERS: dict[str, Callable[[Screening], str]] = {
    "text": render_text, "json": render_json, "turtle": render_turtle, "html": render_html}
