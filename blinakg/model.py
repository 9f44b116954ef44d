"""The trial model: ontology files (``ontology/*.ttl``) and shapes (``shapes/*.ttl``).

Every Turtle file in ``ontology/`` is part of the model, so a site adds its own
code mappings by dropping a Turtle file there (or passing ``--terminology``).

The other computable trials (issue 10) are ``ontology/trials/*.ttl``: loaded
only when screening against several trials (``load_model(trials=True)``), so
that a run without ``--trial`` reads exactly NCT04604691's model. Their shapes,
and NCT04604691's in that mode, are generated from the checks by
``queries/shapes/generate-shapes.rq`` (:func:`generated_shapes`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from .errors import InputError
from .namespaces import BK, ONTOLOGY_DIR, SHAPES_DIR

TRIALS_DIR = ONTOLOGY_DIR / "trials"
from .readers.rdfio import parse_rdf_file


def _load_dir(folder: Path) -> Graph:
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph += parse_rdf_file(path)
    return graph


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    return _load_dir(ONTOLOGY_DIR)


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    return _load_dir(SHAPES_DIR)


@lru_cache(maxsize=1)
def _trials() -> Graph:
    return _load_dir(TRIALS_DIR)


def load_model(extra: tuple[Path, ...] = (), trials: bool = False) -> Graph:
    """Return a fresh copy of the ontology graph, plus any extra terminology files.

    Args:
        extra: Turtle (or other RDF) files with site-specific code mappings.
        trials: add the other computable trials (``ontology/trials/*.ttl``).

    Raises:
        InputError: an extra file cannot be parsed.
    """
    graph = Graph()
    graph += _ontology()
    if trials:
        graph += _trials()
    for path in extra:
        if not path.is_file():
            raise InputError(path, "terminology file not found")
        graph += parse_rdf_file(path)
    return graph


def load_shapes() -> Graph:
    """Return a fresh copy of the shapes graph."""
    graph = Graph()
    graph += _shapes()
    return graph


def generated_shapes(model: Graph) -> Graph:
    """The components of ``shapes/components.ttl`` plus the node shapes generated
    from every check of every trial in ``model`` (``generate-shapes``)."""
    graph = parse_rdf_file(SHAPES_DIR / "components.ttl")
    graph += generated_node_shapes(model)
    return graph


def generated_node_shapes(model: Graph) -> Graph:
    """The node shapes ``generate-shapes`` makes from every check of every trial in ``model``
    (no blank node: ``bksh:<NCT>/<check>-<status>``), without the components.

    The CONSTRUCTs run on pyoxigraph: on rdflib they took ~40 s over the seven
    trials and the published terminology, on pyoxigraph ~0.5 s (same triples)."""
    import pyoxigraph as ox

    from .engine.oxistore import graph_to_ntriples, new_store, to_rdflib
    from .sparql import catalogue

    store = new_store(graph_to_ntriples(model))
    graph = Graph()

    def construct(name: str) -> None:
        answer = store.query(catalogue.get(name).text)
        assert isinstance(answer, ox.QueryTriples)
        for triple in answer:
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))  # type: ignore[arg-type]

    construct("generate-shapes")
    if (None, RDF.type, BK.AnyOfCheck) in model:
        # An any-of's shapes are logical shapes over its alternatives' generated shapes (issue 18).
        store.bulk_load(graph_to_ntriples(graph), ox.RdfFormat.N_TRIPLES)
        construct("generate-any-of-shapes")
    return graph
