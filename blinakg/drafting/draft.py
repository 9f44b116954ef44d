"""Drafting trials: every criterion node of a trial -> its checks, as contract.md's JSON."""

from __future__ import annotations

from typing import Any

from .compose import Check, demote, read_criterion, soften
from .pipeline import Drafting, load_pipeline
from .source import CriterionText, TrialText


def draft_criterion(criterion: CriterionText, drafting: Drafting | None = None) -> list[Check]:
    """The checks of one criterion node."""
    return read_criterion(drafting or load_pipeline(), criterion.text, criterion.kind)


def draft_trial(trial: TrialText, drafting: Drafting | None = None) -> list[tuple[CriterionText, list[Check]]]:
    """Every criterion of the trial, in registered order, with its checks; then what neighbouring
    criteria say about each other (a dangling 'OR', an exception or permission that follows)."""
    drafting = drafting or load_pipeline()
    drafted = [(criterion, draft_criterion(criterion, drafting)) for criterion in trial.criteria]
    return link_neighbours(drafting, drafted)


def _opens_with(drafting: Drafting, text: str, categories: tuple[str, ...]) -> str | None:
    context = drafting.patterns["context"]
    first = " ".join(text.lower().split()[:3])
    for category in categories:
        for cue in context["pre"].get(category, []) + context["post"].get(category, []):
            if first.startswith(cue.lower() + " ") or first == cue.lower():
                return cue
    return None


def link_neighbours(drafting: Drafting, drafted: list[tuple[CriterionText, list[Check]]]
                    ) -> list[tuple[CriterionText, list[Check]]]:
    """'Creatinine normal for age OR' + the next criterion: each is an alternative of the other, so neither
    can fail alone. A criterion followed by one that opens with an exception or a permission ('Allowed in
    the past 3 weeks provided …'), or with a nested one stating one, is softened the same way."""
    linked = [(criterion, list(checks)) for criterion, checks in drafted]
    for index, (criterion, checks) in enumerate(linked):
        text = criterion.text.rstrip(" .;,:").lower()
        following = linked[index + 1] if index + 1 < len(linked) else None
        if text.endswith((" or", "/or")) and following is not None:
            note = f"An alternative is stated in the next criterion ({following[0].id})."
            linked[index] = (criterion, soften(checks, (0, len(criterion.text.rstrip())), note))
            back = (f"It is the second half of an OR with the previous criterion ({criterion.id}); the two "
                    "cannot be decided apart.")
            linked[index + 1] = (following[0], demote(following[1], (0, len(following[0].text.rstrip())), back))
            continue
        qualifiers = [c for c, _ in linked[index + 1:] if c.id.startswith(criterion.id + ".")]
        if following is not None and not following[0].id.startswith(criterion.id + "."):
            qualifiers.append(following[0])
        for other in qualifiers:
            nested = other.id.startswith(criterion.id + ".")
            cue = _opens_with(drafting, other.text, ("exception", "permission") if nested else ("permission",))
            if cue is not None:
                note = f"Criterion {other.id} qualifies it ('{cue}'): for the investigator."
                linked[index] = (criterion, soften(linked[index][1], (0, len(criterion.text.rstrip())), note))
                break
    return linked


def trial_json(trial: TrialText, drafted: list[tuple[CriterionText, list[Check]]]) -> dict[str, Any]:
    return {"trial": trial.nct,
            "criteria": [{"id": c.id, "kind": c.kind, "text": c.text, "checks": [k.as_json() for k in checks]}
                         for c, checks in drafted]}


def drafts_json(trials: list[TrialText], drafting: Drafting | None = None) -> dict[str, Any]:
    """contract.md's ``{"drafts": [...]}`` for the trials."""
    drafting = drafting or load_pipeline()
    return {"drafts": [trial_json(trial, draft_trial(trial, drafting)) for trial in trials]}


__all__ = ["draft_criterion", "draft_trial", "drafts_json", "trial_json"]
