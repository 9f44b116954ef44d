"""The working store of a screening: pyoxigraph (Rust) holding the model and one
chunk of patients, and the few helpers the engines need over it.

Terms cross between rdflib (the model, RDF inputs, reports) and pyoxigraph
(the hot path) as N-Triples text, which both read and write exactly: lexical
forms are kept (``0.0001`` stays ``0.0001``), blank node labels too.
"""

from __future__ import annotations

from typing import Any, Mapping

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

XSD_STRING = str(XSD.string)


def new_store(*ntriples: bytes | str) -> ox.Store:
    """An in-memory store holding these N-Triples documents in its default graph."""
    store = ox.Store()
    for text in ntriples:
        if text:
            store.bulk_load(text.encode("utf-8") if isinstance(text, str) else text, ox.RdfFormat.N_TRIPLES)
    return store


def graph_to_ntriples(graph: Graph) -> bytes:
    """An rdflib graph as N-Triples bytes (its blank node labels kept)."""
    return graph.serialize(format="nt", encoding="utf-8")


def store_to_graph(store: ox.Store) -> Graph:
    """The store's default graph as an rdflib graph."""
    graph = Graph()
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        # term by term, so that blank nodes keep their labels (an N-Triples parse would rename them)
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))  # type: ignore[arg-type]
    return graph


def to_ox(term: Node) -> Any:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def to_rdflib(term: Any) -> Node | None:
    """A pyoxigraph term as an rdflib term (lexical forms kept; xsd:string as a plain literal)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        # pyoxigraph holds only valid IRIs: skip URIRef's own check (~25 µs an IRI,
        # a good part of assembling a chunk's results); it only logs a warning anyway.
        return str.__new__(URIRef, term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    raise TypeError(f"unsupported term: {term!r}")


def select(store: ox.Store, text: str, bindings: Mapping[str, Node] | None = None) -> ox.QuerySolutions:
    """Run a SELECT; ``bindings`` pre-bind variables (SEP-0007 substitution, as
    SHACL-SPARQL pre-binding is specified)."""
    substitutions = {ox.Variable(name): to_ox(value) for name, value in (bindings or {}).items()}
    answer = store.query(text, substitutions=substitutions or None)
    if not isinstance(answer, ox.QuerySolutions):
        raise TypeError("not a SELECT query")
    return answer


def value(term: Any) -> str | None:
    """The lexical value of a pyoxigraph term (None when unbound)."""
    return None if term is None else str(term.value)
