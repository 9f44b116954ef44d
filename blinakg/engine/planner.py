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

from rdflib import BNode, Graph, URIRef, Variable
from rdflib.plugins.sparql import prepareQuery, prepareUpdate
from rdflib.plugins.sparql.algebra import _knownTerms
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query, Update

Triple = tuple[Any, Any, Any]


# Among patterns with as many unbound variables, one that links a record to its
# patient selects a handful of records; one that links it to a value set or a
# date selects that kind of record of every patient. Patient links go first.
PATIENT_LINKS = frozenset({URIRef("https://w3id.org/blinakg/ontology#subject")})


def _reorder(triples: list[Triple], known: frozenset[str]) -> list[Triple]:
    """rdflib's own greedy ordering (most bound terms first), seeded with ``known``,
    preferring patient links among equals."""
    varsknown: set[Any] = {Variable(name) for name in known}
    varscount: dict[Any, int] = collections.defaultdict(int)
    for triple in triples:
        for term in triple:
            if isinstance(term, (Variable, BNode)):
                varscount[term] += 1
    ordered: list[Triple] = []
    rest = list(triples)
    while rest:
        rest.sort(key=lambda t: (_knownTerms(t, varsknown, varscount)[0], t[1] not in PATIENT_LINKS,
                                 _knownTerms(t, varsknown, varscount)[1:], str(t)))
        chosen = rest.pop(0)
        ordered.append(chosen)
        varsknown.update(term for term in chosen if isinstance(term, (Variable, BNode)))
    return ordered


def _vars(node: Any) -> frozenset[str]:
    """Variables a pattern binds (rdflib's ``_vars`` where translation set it)."""
    if isinstance(node, CompValue):
        if "_vars" in node and node["_vars"]:
            return frozenset(str(v) for v in node["_vars"])
        found: set[str] = set()
        if node.name == "BGP":
            found.update(str(t) for triple in node["triples"] for t in triple if isinstance(t, Variable))
        if node.name == "Extend":
            found.add(str(node["var"]))
        for key in ("p", "p1", "p2"):
            if key in node:
                found |= _vars(node[key])
        return frozenset(found)
    return frozenset()


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
    """Parse, translate and plan a SPARQL Update once."""
    update = prepareUpdate(text)
    for operation in update.algebra:
        _replan(operation, frozenset())
    return update


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
