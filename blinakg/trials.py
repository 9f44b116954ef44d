"""Screening against several trials (issue 10; contract.md, "Several trials").

The computable trials are those of the model with criteria: NCT04604691
(``ontology/nct04604691.ttl``) and ``ontology/trials/*.ttl``. The registry
(the embedded store that ``blinakg registry import`` fills, when there is one)
adds its own: the trial models imported into it that the model does not hold
(with the terminology they read) are screened like the model's, so the
computable trials of ``validate --trial all`` are those ``registry list`` calls
computable (and the model's own); its other trials are text only: listed,
never screened. Where the model and the registry both define a trial, the
model's (the installed blinakg's) is used.
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

    from .drafting import is_drafted

    found = []
    for trial in computable_trials(model):
        title, drafted = None, False
        for node in model.subjects(DCTERMS.identifier, Literal(trial)):
            drafted = drafted or is_drafted(model, node)
            if title is None and ((node, None, BK.ClinicalTrial) in model or model.value(node, DCTERMS.title) is not None):
                title = model.value(node, DCTERMS.title)
        found.append({"trial": trial, "title": None if title is None else str(title), "computable": True,
                      "drafted": drafted})
    return found


_MODELS = """
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT DISTINCT ?id ?g ?trial WHERE {
  GRAPH ?g { ?g bk:sourceFormat "Turtle trial model" ; dct:subject ?trial }
  GRAPH ?g { ?trial dct:identifier ?id ; bk:criterion ?criterion . ?criterion bk:check ?check }
}"""

_REQUIRES = "SELECT ?r WHERE {{ GRAPH <{g}> {{ <{g}> <http://purl.org/dc/terms/requires> ?r }} }}"

# A graph's triples, less its provenance (on the graph IRI and the software agent).
_CONTENT = ("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} "
            'FILTER (?s != <{g}> && !STRSTARTS(STR(?s), "https://w3id.org/blinakg/software/")) }}')


def registry_trials(store: Path | None) -> list[dict[str, Any]]:
    """The trials of the registry store (``registry list``'s objects), or none when there is no store.

    A trial imported as a Turtle model with checks also carries its graph
    (``definition``) and the terminology graphs it reads (``terminology``).
    """
    from .registry.listing import list_trials
    from .sparql.store import EmbeddedStore, StoreTarget, default_store_path

    path = store if store is not None else default_store_path()
    if not path.exists():
        return []
    trials = list_trials(StoreTarget(path=path))
    backend = EmbeddedStore(path)
    try:
        models = {str(row[0]): (str(row[1]), row[2]) for row in backend.query(_MODELS).rows}
        for trial in trials:
            if str(trial["trial"]) not in models:
                continue
            graph, trial["node"] = models[str(trial["trial"])]
            trial["definition"] = backend.query(_CONTENT.format(g=graph)).graph
            trial["terminology"] = [backend.query(_CONTENT.format(g=row[0])).graph
                                    for row in backend.query(_REQUIRES.format(g=graph)).rows]
    finally:
        backend.close()
    return trials


def _add_registry_models(model: Graph, registry: list[dict[str, Any]]) -> None:
    """Add to the model the registry's trial models it does not compute, with their terminology.

    A terminology graph whose every node the model already describes (blinakg's
    own, loaded with the trials) is not added again.
    """
    from .registry.confine import confined, terminology_allowed

    computable = set(computable_ids(model))
    for trial in registry:
        definition = trial.get("definition")
        if definition is None or trial["trial"] in computable:
            continue
        # Each trial's own statements only, whoever wrote the store (docs/registry.md,
        # "What an imported model may state"): a graph cannot rewrite another trial or the model.
        own = confined(definition, str(trial["trial"]), trial.get("node"))
        shared: set[tuple[Any, Any, Any]] = set()
        for terminology in trial.get("terminology", []):
            shared |= terminology_allowed(terminology, model)
        for triple in shared | own:
            model.add(triple)


def computable_ids(model: Graph) -> list[str]:
    """The NCT IDs of the model's computable trials."""
    from .engine.screen import computable_trials

    return computable_trials(model)


def select(requested: tuple[str, ...], model: Graph, registry: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trials a report lists for ``--trial`` values: every one for ``all``, else those named, in
    the order named. A trial the model cannot screen is listed as not computable.

    The registry's trial models that the model does not hold are added to
    ``model`` (in place), so the screening that follows evaluates them with the
    model's own trials: one load, one derivation.

    Raises:
        UsageError: a trial neither the model nor the registry knows, or one named that is text only
            (contract.md: "--trial naming a trial that is not computable is exit 2").
    """
    _add_registry_models(model, registry)
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
        if not entry["computable"]:
            raise UsageError(f"--trial {trial}: the registry holds {trial} as text only, not computable: blinakg "
                             "has no model of its criteria to screen against (draft a model of it in Turtle and "
                             "import it with `blinakg registry import MODEL.ttl`)")
        chosen.append(entry)
    return chosen
