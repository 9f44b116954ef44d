"""Where the registered text comes from: the registry store, or study records read directly.

Both give, per trial, its criterion nodes exactly as ``registry import``
stores them (IDs, kinds, verbatim text, registered order) and the trial's
graph content (registration facts and criteria), which a Turtle draft
carries over so that importing the draft keeps what the record registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from ..errors import InputError, UsageError
from ..namespaces import BK

KINDS = {BK.InclusionCriterion: "inclusion", BK.ExclusionCriterion: "exclusion",
         BK.UnclassifiedCriterion: "unclassified"}


@dataclass
class CriterionText:
    """One criterion node: ID, kind, verbatim text, registered order."""

    id: str
    kind: str
    text: str
    order: int


@dataclass
class TrialText:
    """One trial's registered text, and its graph content (for a Turtle draft)."""

    nct: str
    title: str | None
    criteria: list[CriterionText]
    graph: Graph = field(default_factory=Graph)
    authored: bool = False


def from_graph(nct: str, graph: Graph, authored: bool = False) -> TrialText:
    """The criteria of a trial's graph, in registered order."""
    trial = next((s for s in graph.subjects(DCTERMS.identifier, Literal(nct))
                  if (s, RDF.type, BK.ClinicalTrial) in graph), None)
    criteria = []
    title = None
    if trial is not None:
        value = graph.value(trial, DCTERMS.title)
        title = None if value is None else str(value)
        for node in graph.objects(trial, BK.criterion):
            kind = next((KINDS[URIRef(str(t))] for t in graph.objects(node, RDF.type) if t in KINDS),
                        "unclassified")
            criteria.append(CriterionText(id=str(graph.value(node, BK.criterionId) or ""), kind=kind,
                                          text=str(graph.value(node, BK.verbatimText) or ""),
                                          order=int(str(graph.value(node, BK.order) or 0))))
    criteria.sort(key=lambda c: c.order)
    return TrialText(nct=nct, title=title, criteria=criteria, graph=graph, authored=authored)


def from_records(paths: Iterable[Path]) -> list[TrialText]:
    """Trials read straight from ClinicalTrials.gov records (files, folders, .zip), as ``registry import``
    would store them.

    Raises:
        InputError: bad input.
    """
    from ..registry.importer import collect, read_records
    from ..registry.trial_rdf import as_graph

    trials = []
    for source in collect(paths):
        if source.suffix == ".ttl":
            continue
        for entry in read_records(source):
            trials.append(from_graph(entry.nct, as_graph(entry.content)))
    return sorted(trials, key=lambda t: t.nct)


_GRAPHS = """
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?g ?id ?format ?drafted WHERE {
  GRAPH ?g { ?g dct:subject ?trial ; bk:sourceFormat ?format . ?trial dct:identifier ?id .
             OPTIONAL { ?trial <http://www.w3.org/ns/prov#wasGeneratedBy> ?drafted } }
}"""

_CONTENT = ("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} "
            'FILTER (?s != <{g}> && !STRSTARTS(STR(?s), "https://w3id.org/blinakg/software/")) }}')


def from_store(path: Path, wanted: list[str] | None) -> list[TrialText]:
    """The trials of the embedded store at ``path`` (all, or those named, in the order named).

    Raises:
        InputError: no store there, or it cannot be read.
        UsageError: a named trial is not in the registry.
    """
    from ..sparql.store import EmbeddedStore

    if not path.exists():
        raise InputError(path, "no registry store here; fill one with 'blinakg registry import' first")
    backend = EmbeddedStore(path)
    try:
        rows = backend.query(_GRAPHS).rows
        graphs: dict[str, tuple[str, bool]] = {}
        for row in rows:
            graph_iri, nct, fmt, drafted = (row[0], row[1], row[2], row[3])
            authored = str(fmt) == "Turtle trial model" and drafted is None
            graphs[str(nct)] = (str(graph_iri), authored)
        names = sorted(graphs) if wanted is None else list(dict.fromkeys(w.strip().upper() for w in wanted))
        missing = [n for n in names if n not in graphs]
        if missing:
            raise UsageError(f"not in the registry: {', '.join(missing)} (see 'blinakg registry list')")
        trials = []
        for name in names:
            iri, is_authored = graphs[name]
            content = backend.query(_CONTENT.format(g=iri)).graph
            trials.append(from_graph(name, content if content is not None else Graph(), authored=is_authored))
    finally:
        backend.close()
    return trials


def node_iri(trial: TrialText, criterion: CriterionText) -> URIRef:
    """The criterion node's IRI, as ``registry import`` made it."""
    for node in trial.graph.subjects(BK.criterionId, Literal(criterion.id)):
        return URIRef(str(node))
    return URIRef(f"https://w3id.org/blinakg/trial/{trial.nct}/{criterion.id}")


__all__ = ["CriterionText", "TrialText", "from_records", "from_store", "from_graph", "node_iri"]
