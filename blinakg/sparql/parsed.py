"""What a query asks of the store, read from a real parse of it (issue 19, point 2).

blinakg decides two things about a query before any store sees it, and both
come from rdflib's SPARQL 1.1 parser and its algebra, never from scanning the
text for keywords:

* whether it is **federated** — a ``SERVICE`` pattern anywhere in the algebra
  (in a sub-query, a ``FILTER EXISTS``, a projected ``EXISTS``, …). A local
  store (the embedded store, files in memory, ``blinakg serve``) refuses such
  a query: contract.md, "No command reaches the network unless told to by
  ``--endpoint`` … no … SPARQL ``SERVICE``". A query rdflib cannot parse is
  refused too (fail closed), even if Oxigraph would take it.
* its **dataset** — ``FROM`` / ``FROM NAMED`` (SPARQL 1.1 §13.2), resolved the
  same way for every local store by :func:`query_dataset`: ``FROM`` names
  graphs *of the store* (their merge is the default graph; a graph the store
  does not hold is simply empty, as in Oxigraph), ``FROM NAMED`` the graphs
  ``GRAPH`` may see, and nothing is ever fetched. With neither, the default
  graph is the union of all graphs and every named graph is visible. The
  SPARQL 1.1 Protocol's ``default-graph-uri`` / ``named-graph-uri`` replace the
  query's dataset as a whole.

The stores then run exactly the text (Oxigraph) or exactly the algebra
(rdflib) that was inspected.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from ..errors import InputError, UsageError

SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
_FORMS = {"SelectQuery": SELECT, "AskQuery": ASK, "ConstructQuery": CONSTRUCT, "DescribeQuery": DESCRIBE}
#: How many algebra nodes a query may have; a larger one is refused rather than walked.
MAX_ALGEBRA_NODES = 1_000_000


@dataclass(frozen=True)
class ParsedQuery:
    """A query as rdflib parsed it.

    Attributes:
        form: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``.
        federated: a ``SERVICE`` pattern occurs somewhere in it.
        default_graphs: the IRIs of its ``FROM`` clauses; None when it names no dataset.
        named_graphs: the IRIs of its ``FROM NAMED`` clauses.
        prepared: rdflib's translated query (``rdflib.plugins.sparql.sparql.Query``).
    """

    form: str
    federated: bool
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...]
    prepared: Any


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset a query runs over.

    Attributes:
        union: the default graph is the union of all graphs, and all named graphs are visible.
        default_graphs: otherwise, the graphs merged into the default graph (none: an empty one).
        named_graphs: otherwise, the graphs ``GRAPH`` may see (none: no named graph).
    """

    union: bool
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def oxigraph_options(self) -> dict[str, Any]:
        """The dataset as ``pyoxigraph.Store.query`` keyword arguments.

        Raises:
            ValueError: a graph name is not an IRI.
        """
        import pyoxigraph as ox

        if self.union:
            return {"use_default_graph_as_union": True}
        return {"default_graph": [ox.NamedNode(g) for g in self.default_graphs],
                "named_graphs": [ox.NamedNode(g) for g in self.named_graphs]}


def query_dataset(parsed: ParsedQuery, protocol_default: Sequence[str] = (),
                  protocol_named: Sequence[str] = ()) -> QueryDataset:
    """The dataset of a query: the protocol's graph IRIs, else its ``FROM`` / ``FROM NAMED``, else the union.

    SPARQL 1.1 Protocol §2.1.4: a dataset given in the request takes precedence
    over the one in the query. SPARQL 1.1 §13.2: with ``FROM NAMED`` but no
    ``FROM`` the default graph is empty; with ``FROM`` but no ``FROM NAMED``
    no named graph is visible.
    """
    if protocol_default or protocol_named:
        return QueryDataset(False, tuple(protocol_default), tuple(protocol_named))
    if parsed.default_graphs is None:
        return QueryDataset(True)
    return QueryDataset(False, parsed.default_graphs, parsed.named_graphs)


def _located(err: Any, label: str) -> InputError:
    """rdflib's (pyparsing's) parse error as one located line."""
    found = str(err).split(", found ", 1)
    near = found[1].split("  (at char", 1)[0].strip() if len(found) > 1 else ""
    detail = f"unexpected {near}" if near and near != "end of text" else "the query stops too early"
    return InputError(label, f"SPARQL syntax error at line {err.lineno}, column {err.col}: {detail}")


def _is_federated(*roots: Any) -> bool:
    """Whether a ``ServiceGraphPattern`` occurs anywhere in rdflib's parse tree or algebra.

    Walked with a stack (a deeply nested query cannot exhaust Python's recursion
    limit here), visiting every container rdflib builds: ``CompValue`` (a dict),
    pyparsing's ``ParseResults``, lists, tuples, sets.
    """
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack: list[Any] = list(roots)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_ALGEBRA_NODES:
            raise UsageError("the query is too large to check (more than a million parts)")
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            return True
        if isinstance(node, ParseResults):
            stack.extend(list(node))
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)
    return False


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> ParsedQuery | Exception:
    """rdflib's parse of ``text`` (cached: the command checks a query, then the store runs it)."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(text)
        prepared = translateQuery(tree)
    except ParseException as err:
        return err
    except RecursionError:
        return UsageError("the query is nested too deeply to parse")
    except Exception as err:  # rdflib's translation raises plain exceptions (an unknown prefix, …)
        return err
    algebra = prepared.algebra
    form = _FORMS.get(algebra.name)
    if form is None:
        return UsageError(f"not a SPARQL query ({algebra.name})")
    defaults: list[str] = []
    named: list[str] = []
    for clause in algebra.get("datasetClause") or ():
        # CompValue.get answers for keys it does not hold: ask the dict itself.
        if dict.get(clause, "default") is not None:
            defaults.append(str(dict.__getitem__(clause, "default")))
        elif dict.get(clause, "named") is not None:
            named.append(str(dict.__getitem__(clause, "named")))
    has_dataset = bool(algebra.get("datasetClause"))
    try:
        federated = _is_federated(algebra, tree)
    except UsageError as err:
        return err
    return ParsedQuery(form, federated, tuple(defaults) if has_dataset else None, tuple(named), prepared)


def parse_query(text: str, label: str) -> ParsedQuery:
    """The query as rdflib parses it.

    Raises:
        InputError: a syntax error (line and column where rdflib knows them).
        UsageError: not a query, or too large or nested too deeply to check.
    """
    from pyparsing import ParseException

    from .query import _undeclared_prefix

    parsed = _parse(text)
    if isinstance(parsed, ParsedQuery):
        return parsed
    if isinstance(parsed, ParseException):
        raise _located(parsed, label)
    if isinstance(parsed, UsageError):
        raise UsageError(f"{label}: {parsed}")
    message = " ".join(str(parsed).split()) or type(parsed).__name__
    if "Unknown namespace prefix" in message:
        undeclared = _undeclared_prefix(text, label)
        if undeclared is not None:
            raise undeclared
    raise InputError(label, f"SPARQL syntax error: {message[:300]}")


def local_query(text: str, label: str) -> ParsedQuery:
    """The parsed query, for a store that runs it here: a federated query is refused.

    Raises:
        UsageError: the query holds a ``SERVICE`` pattern.
        InputError, UsageError: as :func:`parse_query`.
    """
    parsed = parse_query(text, label)
    if parsed.federated:
        raise UsageError(f"{label}: the query uses SERVICE (a federated query); blinakg reaches no other "
                         "server unless told to with --endpoint")
    return parsed


def _refuse_service(_ctx: Any, part: Any) -> Any:
    """An rdflib custom evaluation (``CUSTOM_EVALS``) that stops every ``SERVICE`` call."""
    if getattr(part, "name", None) == "ServiceGraphPattern":
        raise UsageError("SERVICE is not evaluated here: blinakg reaches no other server")
    raise NotImplementedError


@contextlib.contextmanager
def rdflib_without_network() -> Iterator[None]:
    """rdflib's SPARQL engine, unable to reach the network while the block runs.

    rdflib has no switch for ``SERVICE``; its documented extension point,
    ``CUSTOM_EVALS``, sees every algebra part before the engine does, so one
    that refuses ``ServiceGraphPattern`` stops the call (a second lock behind
    :func:`local_query`). ``SPARQL_LOAD_GRAPHS = False`` stops ``FROM`` /
    ``FROM NAMED`` from loading graphs from their IRIs (four HTTP GETs each
    otherwise). Registered only for the block, so rdflib's evaluation
    elsewhere (the pySHACL engine) pays nothing for it.
    """
    import rdflib.plugins.sparql as sparql

    sparql.SPARQL_LOAD_GRAPHS = False
    key = "blinakg-no-service"
    sparql.CUSTOM_EVALS[key] = _refuse_service
    try:
        yield
    finally:
        sparql.CUSTOM_EVALS.pop(key, None)


def without_dataset_clause(parsed: ParsedQuery) -> Any:
    """rdflib's query with its ``FROM`` / ``FROM NAMED`` taken out: the caller builds the dataset itself."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.plugins.sparql.sparql import Query

    algebra = parsed.prepared.algebra
    stripped = CompValue(algebra.name, **{k: v for k, v in algebra.items() if k != "datasetClause"})
    return Query(parsed.prepared.prologue, stripped)


__all__ = ["ParsedQuery", "QueryDataset", "parse_query", "local_query", "query_dataset",
           "rdflib_without_network", "without_dataset_clause"]
