"""SPARQL helpers shared by validation, explanation and the query command.

rdflib plans a query once, when it is prepared, ordering the triple patterns of
each basic graph pattern by how many of their variables are still unbound.
It does not know which variables the caller will pre-bind (``initBindings``:
pySHACL's ``$this`` and constraint parameters), so a pattern like
``?record a bk:Evidence`` is put before ``?record bk:subject $this`` and every
focus node scans every record of the cohort: the cost per patient grows with
the number of patients. :func:`prepared` plans with the pre-bound variables
known, which keeps per-patient validation cost flat.
"""

from __future__ import annotations

import collections
from functools import lru_cache
from typing import Any, Iterable

from rdflib import BNode, Graph, Variable
from rdflib.plugins.sparql import prepareQuery, prepareUpdate
from rdflib.plugins.sparql.algebra import _knownTerms
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query, Update

Triple = tuple[Any, Any, Any]


def _reorder(triples: list[Triple], known: frozenset[str]) -> list[Triple]:
    """rdflib's own greedy ordering (most bound terms first), seeded with ``known``."""
    varsknown: set[Any] = {Variable(name) for name in known}
    varscount: dict[Any, int] = collections.defaultdict(int)
    for triple in triples:
        for term in triple:
            if isinstance(term, (Variable, BNode)):
                varscount[term] += 1
    ordered: list[Triple] = []
    rest = list(triples)
    while rest:
        rest.sort(key=lambda t: (_knownTerms(t, varsknown, varscount), str(t)))
        chosen = rest.pop(0)
        ordered.append(chosen)
        varsknown.update(term for term in chosen if isinstance(term, (Variable, BNode)))
    return ordered


def _vars(node: Any) -> frozenset[str]:
    found = node["_vars"] if isinstance(node, CompValue) and "_vars" in node else None
    return frozenset(str(v) for v in found) if found else frozenset()


def _replan(node: Any, known: frozenset[str]) -> None:
    """Re-order every BGP, knowing the variables bound when rdflib evaluates it:
    the pre-bound ones, and for the right side of an OPTIONAL or lazy join, an
    EXISTS inside a FILTER or a BIND, those of the pattern evaluated before it."""
    if isinstance(node, CompValue):
        if node.name == "BGP" and "triples" in node and node["triples"]:
            node["triples"] = _reorder(list(node["triples"]), known)
            return
        if node.name in ("LeftJoin", "Join") and "p1" in node and "p2" in node:
            _replan(node["p1"], known)
            after = known | _vars(node["p1"])
            _replan(node["p2"], after)
            if "expr" in node and node["expr"] is not None:
                _replan(node["expr"], after | _vars(node["p2"]))
            return
        if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            # rdflib keeps the translated pattern as an attribute, not an item
            _replan(node.__dict__.get("graph", node["graph"]), known)
            return
        if node.name in ("Filter", "Extend") and "p" in node:
            _replan(node["p"], known)
            _replan(node["expr"], known | _vars(node["p"]))
            return
        for key, value in node.items():
            if key != "_vars":
                _replan(value, known)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _replan(item, known)


@lru_cache(maxsize=512)
def prepared(text: str, prebound: frozenset[str] = frozenset()) -> Query:
    """Parse, translate and plan a query once per set of pre-bound variables
    (rdflib's parser alone costs ~0.4 s for a validator, far more than
    evaluating it for one patient)."""
    query = prepareQuery(text)
    if prebound:
        _replan(query.algebra, prebound)
    return query


@lru_cache(maxsize=64)
def prepared_update(text: str) -> Update:
    """Parse and translate a SPARQL Update once."""
    return prepareUpdate(text)


def run_query(graph: Graph, text: str, bindings: dict[str, Any] | None = None) -> Iterable[Any]:
    """Run a (cached, planned) query with pre-bound variables."""
    bindings = bindings or {}
    return graph.query(prepared(text, frozenset(bindings)), initBindings=bindings)


class PreparedQueryGraph(Graph):
    """A graph whose ``query()`` reuses parsed queries, planned for the
    variables the caller pre-binds. pySHACL hands rdflib the text of each
    SPARQL validator once per shape and focus node."""

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str) and not kwargs.get("initNs") and not (len(args) > 2 and args[2]):
            bindings = kwargs.get("initBindings") or (args[3] if len(args) > 3 else None) or {}
            query_object = prepared(query_object, frozenset(str(k) for k in bindings))
        return super().query(query_object, *args, **kwargs)
