"""What a screening produces, whatever the engine: per patient a verdict, per
criterion a status with its explanation and evidence, per check the same.

criteria.md, "Statuses": "A criterion made of several checks: any check fail
-> fail; else any unknown -> unknown; else any review -> review; else pass.
Overall verdict: any criterion fail -> ineligible; else any unknown ->
indeterminate; else eligible."
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from rdflib import BNode, Graph, URIRef

from .spill import Spill

STATUS_RANK = {"pass": 0, "review": 1, "unknown": 2, "fail": 3}


@dataclass
class Evidence:
    """A record a status rests on."""

    source: str
    value: str | None
    date: str | None
    record: URIRef | BNode | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"source": self.source}
        if self.value is not None:
            out["value"] = self.value
        if self.date is not None:
            out["date"] = self.date
        return out


@dataclass
class CheckResult:
    """One patient's status on one check of a criterion (``trial:I5-anc``)."""

    iri: URIRef
    status: str
    explanation: str
    evidence: list[Evidence] = field(default_factory=list)
    alternatives: list["CheckResult"] = field(default_factory=list)  # of an any-of check (issue 18)


@dataclass
class CriterionResult:
    """One patient's status on one criterion: the worst status of its checks."""

    id: str
    iri: URIRef
    kind: str
    order: int
    text: str
    status: str
    explanation: str
    evidence: list[Evidence] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    next_step: str | None = None


@dataclass
class TrialResult:
    """One patient's verdict on one trial, on that trial's criteria (screening against several trials)."""

    trial: str
    verdict: str
    criteria: list[CriterionResult]


@dataclass
class PatientResult:
    """One patient's verdict and the twenty criteria.

    Screened against several trials, ``trials`` holds a verdict per trial;
    ``criteria`` then holds every trial's criteria and ``verdict`` is eligible
    only when the patient is eligible for every one of them.
    """

    id: str
    iri: URIRef
    verdict: str
    criteria: list[CriterionResult]
    earliest_eligible_date: dt.date | None = None
    trials: list[TrialResult] = field(default_factory=list)
    deceased: str | bool | None = None  # the record states a death on or before D: its date as written, or True


@dataclass(frozen=True)
class ReportRow:
    """One ``sh:result`` of the W3C validation report: focus node, shape, component,
    severity, message, and ``sh:value``: the record the result rests on, if any."""

    focus: URIRef
    shape: URIRef
    component: URIRef
    severity: URIRef
    message: str
    value: URIRef | BNode | None


@dataclass
class Screening:
    """Everything one screening run produced.

    ``records`` holds the triples of the cited and ignored records that the
    Turtle report repeats (kept when asked for); ``data_graph`` the patient data
    screened (kept when the run is to be stored).
    """

    as_of: dt.date
    patients: list[PatientResult]
    warnings: list[str]
    report_rows: list[ReportRow] = field(default_factory=list)
    records: Graph = field(default_factory=Graph)
    data_graph: Graph = field(default_factory=Graph)
    engine: str = "fast"
    files: list[str] = field(default_factory=list)
    trials: list[str] = field(default_factory=list)  # the trials screened against, when several (--trial)
    # When the report is streamed (reports.stream), the patients' rendered entries are
    # on disk rather than in ``patients``; then ``patient_count`` and ``all_eligible`` say
    # what the exit status needs.
    spill: Spill | None = None
    patient_count: int = 0
    all_eligible: bool = True

    @property
    def conforms(self) -> bool:
        """SHACL 1.0, 3.6.1: true when the validation produced no result."""
        return not self.report_rows


def worst(statuses: Iterable[str]) -> str:
    """The status of a criterion made of checks with these statuses."""
    return max(statuses, key=STATUS_RANK.__getitem__, default="pass")


def verdict_of(statuses: Iterable[str]) -> str:
    """criteria.md: any criterion fail -> ineligible; else any unknown -> indeterminate; else eligible."""
    found = set(statuses)
    if "fail" in found:
        return "ineligible"
    if "unknown" in found:
        return "indeterminate"
    return "eligible"
