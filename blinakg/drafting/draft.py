"""Drafting trials: every criterion node of a trial -> its checks, as contract.md's JSON."""

from __future__ import annotations

from typing import Any

from .compose import Check, read_criterion
from .pipeline import Drafting, load_pipeline
from .source import CriterionText, TrialText


def draft_criterion(criterion: CriterionText, drafting: Drafting | None = None) -> list[Check]:
    """The checks of one criterion node."""
    return read_criterion(drafting or load_pipeline(), criterion.text, criterion.kind)


def draft_trial(trial: TrialText, drafting: Drafting | None = None) -> list[tuple[CriterionText, list[Check]]]:
    """Every criterion of the trial, in registered order, with its checks."""
    drafting = drafting or load_pipeline()
    return [(criterion, draft_criterion(criterion, drafting)) for criterion in trial.criteria]


def trial_json(trial: TrialText, drafted: list[tuple[CriterionText, list[Check]]]) -> dict[str, Any]:
    return {"trial": trial.nct,
            "criteria": [{"id": c.id, "kind": c.kind, "text": c.text, "checks": [k.as_json() for k in checks]}
                         for c, checks in drafted]}


def drafts_json(trials: list[TrialText], drafting: Drafting | None = None) -> dict[str, Any]:
    """contract.md's ``{"drafts": [...]}`` for the trials."""
    drafting = drafting or load_pipeline()
    return {"drafts": [trial_json(trial, draft_trial(trial, drafting)) for trial in trials]}


__all__ = ["draft_criterion", "draft_trial", "drafts_json", "trial_json"]
