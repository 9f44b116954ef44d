"""Trial models in Turtle, and the terminology they read (issue 9, part 6; issue 10).

A trial model's checks read value sets (and concepts, code rules). They come
from the model (``ontology/*.ttl``) or from a *terminology file*: a Turtle file
that defines value sets or concepts but no trial, such as
``ontology/trials/terminology.ttl`` (the value sets of blinakg's own
computable trials). docs/registry.md, "Trial models and their terminology":

* a terminology file is imported as a named graph of its own,
  ``graph/terminology/<file name>``, once however many trials read it, with the
  same provenance, hash and ``--replace`` rules as a trial;
* a trial model is checked by the trial-definition shapes together with the
  model and the terminology files of the same import; blinakg's own
  (``ontology/trials/``) are always at hand and are added to the store with
  the first trial that reads them;
* the trial's graph names the terminology graphs it reads with ``dct:requires``
  (on the graph IRI, beside the provenance) and never repeats their triples.
"""

from __future__ import annotations

import urllib.parse
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from ..errors import InputError
from ..namespaces import BK, ONTOLOGY_DIR
from .canonical import canonical
from .entries import (GRAPH_BASE, TERMINOLOGY_FORMAT, TERMINOLOGY_KEY, TURTLE_FORMAT, Source, TrialEntry,
                      trial_graph_iri)
from .trial_rdf import content_hash, slug

TRIALS_DIR = ONTOLOGY_DIR / "trials"

Terminology = list[tuple[TrialEntry, Graph]]


def parse_turtle(source: Source) -> Graph:
    """A Turtle input parsed by Oxigraph with blinakg's guards (:mod:`blinakg.readers.rdfio`).

    Raises:
        InputError: naming the file (or ``archive.zip!member``), line and column.
    """
    from ..readers.rdfio import parse_rdf_bytes, parse_rdf_file

    if source.path is not None:
        return parse_rdf_file(source.path)
    archive, _, member = source.label.rpartition("!")
    base = Path(archive).resolve().as_uri() + "!/" + urllib.parse.quote(member, safe="/")
    return parse_rdf_bytes(source.data, source.suffix, source.label, base)


def defines_trial(graph: Graph) -> bool:
    """Whether a file describes a bk:ClinicalTrial (a trial model)."""
    return (None, RDF.type, BK.ClinicalTrial) in graph


#: What a terminology file defines: reference data that trial models read but do not own
#: (value sets, concepts, and the age-banded tables of limits that "ULN for age" checks read).
TERMINOLOGY_CLASSES = (BK.ValueSet, SKOS.Concept, BK.AgeLimitTable)


def defines_terminology(graph: Graph) -> bool:
    """Whether a file defines value sets, concepts or tables of limits (a terminology file)."""
    return any((None, RDF.type, kind) in graph for kind in TERMINOLOGY_CLASSES)


def terminology_entry(graph: Graph, label: str, model: Graph, builtin: bool = False) -> TrialEntry:
    """A terminology file as an entry: ``graph/terminology/<its file name>``, less the model's triples.

    Raises:
        InputError: the file defines neither a trial nor value sets or concepts.
    """
    if not defines_terminology(graph):
        raise InputError(label, "neither a trial model (no bk:ClinicalTrial with a dct:identifier, its NCT ID) "
                                "nor terminology (no bk:ValueSet, skos:Concept or bk:AgeLimitTable)")
    from .confine import check_terminology

    name = TERMINOLOGY_KEY + slug(Path(label.rpartition("!")[2]).stem)
    content = {t for t in graph if t not in model}
    check_terminology(content, model, label)
    content = canonical(content, URIRef(GRAPH_BASE + name), label)
    return TrialEntry(nct=name, trial=None, content=content, hash=content_hash(content), source=label,
                      source_format=TERMINOLOGY_FORMAT, builtin=builtin)


@lru_cache(maxsize=1)
def _builtin_terminology() -> tuple[tuple[Path, Graph], ...]:
    from ..readers.rdfio import parse_rdf_file

    found = []
    for path in sorted(TRIALS_DIR.glob("*.ttl")):
        graph = parse_rdf_file(path)
        if not defines_trial(graph) and defines_terminology(graph):
            found.append((path, graph))
    return tuple(found)


def builtin_terminology(model: Graph, given: set[str]) -> Terminology:
    """blinakg's own terminology files (``ontology/trials/``) not given by name in the import."""
    pool = []
    for path, graph in _builtin_terminology():
        entry = terminology_entry(graph, str(path), model, builtin=True)
        if entry.nct not in given:
            pool.append((entry, graph))
    return pool


def _reads(graph: Graph, terminology: Graph) -> bool:
    """Whether a trial model refers to a node the terminology file describes."""
    return any(isinstance(o, URIRef) and (o, None, None) in terminology for o in set(graph.objects()))


def model_entry(graph: Graph, label: str, model: Graph, terminology: Terminology, builtin: bool = False) -> TrialEntry:
    """A Turtle trial model as an entry, checked by the trial-definition shapes (one trial a file).

    The trial's graph holds the file's triples less those already in the model
    graph or in the terminology graphs it reads (so the union of the store's
    graphs never states a triple twice).

    blinakg's own models (``builtin``) are not run through the definition shapes
    again at each import (pySHACL, ~1.5 s a model): the suite checks them
    (``tests/registry/test_models.py``). They are confined like any other.

    Raises:
        InputError: no trial or several, or a broken definition (each offending node and what it lacks).
    """
    from .confine import check_trial_model
    from .definitions import check_definition, trials_in

    trials = trials_in(graph, label)
    if len(trials) > 1:
        raise InputError(label, "defines several trials (" + ", ".join(n for n, _ in trials)
                                + "); put one trial in each file")
    nct, trial = trials[0]
    used = [(entry, extra) for entry, extra in terminology if _reads(graph, extra)]
    content = {t for t in graph if t not in model and not any(t in extra for _, extra in used)}
    # Confined first: the definition shapes would otherwise validate another trial's nodes it rewrites.
    check_trial_model(content, trial, nct, label)
    if not builtin:
        context = Graph()
        for _, extra in terminology:
            context += extra
        check_definition(graph, label, context)
    content = canonical(content, trial_graph_iri(nct), label)
    return TrialEntry(nct=nct, trial=trial, content=content, hash=content_hash(content), source=label,
                      source_format=TURTLE_FORMAT, requires=[entry.graph_iri for entry, _ in used])


__all__ = ["parse_turtle", "defines_trial", "defines_terminology", "terminology_entry", "builtin_terminology",
           "model_entry", "TRIALS_DIR", "Terminology"]
