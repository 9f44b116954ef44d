"""Screening against several trials (issue 10; contract.md, "Several trials").

The computable trials are those of the model with criteria: NCT04604691
(``ontology/nct04604691.ttl``) and ``ontology/trials/*.ttl``. The registry
(the embedded store that ``blinakg registry import`` fills, when there is one)
adds the trials that are text only: listed, never screened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS

from .errors import UsageError
from .namespaces import BK

ALL = "all"


def model_trials(model: Graph) -> list[dict[str, Any]]:
    """The computable trials of the model: NCT04604691 first, then by NCT ID."""
    from .engine.screen import computable_trials

    found = []
    for trial in computable_trials(model):
        title = None
        for node in model.subjects(DCTERMS.identifier, Literal(trial)):
            if (node, None, BK.ClinicalTrial) in model or model.value(node, DCTERMS.title) is not None:
                title = model.value(node, DCTERMS.title)
                break
        found.append({"trial": trial, "title": None if title is None else str(title), "computable": True})
    return found


def registry_trials(store: Path | None) -> list[dict[str, Any]]:
    """The trials of the registry store (``registry list``'s objects), or none when there is no store."""
    from .registry.cli import list_trials
    from .sparql.store import StoreTarget, default_store_path

    path = store if store is not None else default_store_path()
    if not path.exists():
        return []
    return list_trials(StoreTarget(path=path))


def select(requested: tuple[str, ...], model: Graph, registry: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trials a report lists for ``--trial`` values: every one for ``all``, else those named, in
    the order named. A trial the model cannot screen is listed as not computable.

    Raises:
        UsageError: a trial neither the model nor the registry knows.
    """
    computable = {t["trial"]: t for t in model_trials(model)}
    text_only = {t["trial"]: {"trial": t["trial"], "title": t["title"], "computable": False}
                 for t in registry if t["trial"] not in computable}
    if ALL in (r.lower() for r in requested):
        return [*computable.values(), *sorted(text_only.values(), key=lambda t: t["trial"])]
    chosen: list[dict[str, Any]] = []
    for trial in dict.fromkeys(r.strip().upper() for r in requested):
        entry = computable.get(trial) or text_only.get(trial)
        if entry is None:
            known = ", ".join(computable)
            raise UsageError(f"--trial {trial}: no such trial in the model or the registry "
                             f"(computable: {known}; or 'all')")
        chosen.append(entry)
    return chosen
