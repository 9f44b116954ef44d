"""Cohort attrition, as OHDSI ATLAS shows it for a cohort: after each
criterion in registered order, how many patients are still eligible or
indeterminate (no criterion up to it fails), and per criterion the split of
pass, fail, unknown and review."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.results import Screening

STATUSES = ("pass", "fail", "unknown", "review")


@dataclass(frozen=True)
class AttritionStep:
    """One criterion of the attrition: the patients left after it and its own split."""

    id: str
    kind: str
    order: int
    text: str
    remaining: int
    counts: dict[str, int]


def attrition(screening: Screening) -> list[AttritionStep]:
    """The attrition of a screened cohort, one step per criterion in registered order."""
    first = screening.patients[0].criteria if screening.patients else []
    failed: set[int] = set()
    steps: list[AttritionStep] = []
    for criterion in sorted(first, key=lambda c: c.order):
        counts = dict.fromkeys(STATUSES, 0)
        for index, patient in enumerate(screening.patients):
            result = next((c for c in patient.criteria if c.id == criterion.id), None)
            if result is None:
                continue
            counts[result.status] += 1
            if result.status == "fail":
                failed.add(index)
        steps.append(AttritionStep(criterion.id, criterion.kind, criterion.order, criterion.text,
                                   len(screening.patients) - len(failed), counts))
    return steps
