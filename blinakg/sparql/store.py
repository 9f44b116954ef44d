"""Where screened cohorts live between runs: an embedded store, a remote SPARQL
endpoint, or input files loaded in memory.

Layout (the same in every kind of store)::

    <https://w3id.org/blinakg/graph/model>    the ontology (trial, criteria, terminology)
                                              as used by the latest run added
    <https://w3id.org/blinakg/graph/shapes>   the SHACL shapes
    <https://w3id.org/blinakg/graph/trials>   the other computable trials (ontology/trials/),
                                              as used by the latest run against several trials
    <…/graph/trials/shapes>                   the node shapes generated from every trial's checks
    <run>                                     one screening run's results: the W3C
                                              validation report and the per-criterion
                                              results (blinakg.report.to_graph, less
                                              the input triples it repeats), plus
                                              provenance on the run node
    <run>/data                                the patient data that run screened

``<run>`` is ``https://w3id.org/blinakg/run/<D>-<digest of the patient IRIs>``
(:func:`blinakg.report.run_iri`; against several trials the digest covers the
trials too, :func:`blinakg.reports.render.trials_run_iri`), so runs are kept apart by date and input;
adding a run whose graph already exists is refused unless ``replace`` is
asked for. Queries see the union of all graphs as their default graph, and
``GRAPH <run> { … }`` picks one run.

Provenance on the run node: ``bk:asOf`` (D), ``dct:created`` (when it was
added), ``dct:source`` (each input file, as named on the command line),
``prov:wasAttributedTo`` (the blinakg version, an ``prov:SoftwareAgent``) and
``prov:used`` (its data graph).

Kinds of store:

* :class:`EmbeddedStore` — pyoxigraph (RocksDB) on disk; no server. Default
  location ``.blinakg/store`` under the current folder, or ``$BLINAKG_STORE``.
  One process at a time may write; readers open it read-only.
* :class:`RemoteStore` — any SPARQL 1.1 endpoint (Fuseki, GraphDB, Oxigraph
  server, ``blinakg serve``): queries by the SPARQL 1.1 Protocol; runs are
  added by the SPARQL 1.1 Graph Store HTTP Protocol (``PUT ?graph=<iri>``).
  The endpoint must present the union of its graphs as the default graph
  (Fuseki ``tdb2:unionDefaultGraph true``; ``oxigraph serve
  --union-default-graph``; GraphDB does so by default).
* :class:`MemoryStore` — rdflib, in memory: the model, the shapes and the
  files given (a ``validate --format turtle`` report, patient RDF or FHIR).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol, Sequence

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD
from rdflib.term import Node

from .. import __version__
from ..engine.oxistore import to_ox, to_rdflib
from ..errors import InputError, UsageError
from ..readers.paths import path_text
from .parsed import local_query, query_dataset, rdflib_without_network, without_dataset_clause
from .query import ASK, CONSTRUCT, DESCRIBE, SELECT, QueryResult, check_is_query

GRAPH_BASE = "https://w3id.org/blinakg/graph/"
MODEL_GRAPH = URIRef(GRAPH_BASE + "model")
SHAPES_GRAPH = URIRef(GRAPH_BASE + "shapes")
TRIALS_GRAPH = URIRef(GRAPH_BASE + "trials")  # the other computable trials (runs against several trials)
TRIAL_SHAPES_GRAPH = URIRef(GRAPH_BASE + "trials/shapes")  # the shapes generated from every trial's checks
SOFTWARE = URIRef(f"https://w3id.org/blinakg/software/blinakg/{__version__}")
DEFAULT_STORE = Path(".blinakg") / "store"
STORE_ENV = "BLINAKG_STORE"
HTTP_TIMEOUT = 120.0


def default_store_path() -> Path:
    """``$BLINAKG_STORE`` if set, else ``.blinakg/store`` under the current folder."""
    value = os.environ.get(STORE_ENV)
    return Path(value) if value else DEFAULT_STORE


def data_graph_iri(run: URIRef) -> URIRef:
    """The named graph holding the patient data a run screened."""
    return URIRef(f"{run}/data")


# ---------------------------------------------------------------------------
#  A screening run as named graphs
# ---------------------------------------------------------------------------

@dataclass
class RunGraphs:
    """One screening run, ready to store: its IRI, results and data, the model and shapes it
    used, and other shared graphs written with it (a run against several trials: the other
    trials' definitions and the shapes generated from them)."""

    run: URIRef
    results: Graph
    data: Graph
    model: Graph
    shapes: Graph
    shared: list[tuple[URIRef, Graph]] = field(default_factory=list)

    def shared_graphs(self) -> list[tuple[URIRef, Graph]]:
        """The graphs a run shares with the other runs: the model, the shapes and any others."""
        return [(MODEL_GRAPH, self.model), (SHAPES_GRAPH, self.shapes), *self.shared]


def run_graphs(screening: Any, model: Graph, files: Sequence[Path | str] = (),
               created: dt.datetime | None = None) -> RunGraphs:
    """The graphs a screening run is stored as, with provenance on the run node.

    Args:
        screening: a :class:`blinakg.screen.Screening`.
        model: the ontology graph the run used (with any site terminology).
        files: the input files read.
        created: when the run is added (default: now, UTC).
    """
    from ..model import load_shapes
    from ..reports.render import run_iri, to_graph

    run = run_iri(screening)
    results, data = _with_provenance(run, to_graph(screening), screening, files, created)
    return RunGraphs(run=run, results=results, data=data, model=model, shapes=load_shapes())


def trials_run_graphs(screening: Any, catalogue: list[dict[str, Any]], model: Graph,
                      terminology: tuple[Path, ...] = (), files: Sequence[Path | str] = (),
                      created: dt.datetime | None = None) -> RunGraphs:
    """The graphs a run against several trials (``validate --trial … --store``) is stored as.

    The results are the several-trials Turtle report
    (:func:`blinakg.reports.render.trials_graph`: per patient and trial a
    ``bk:PatientResult`` with ``bk:trial``, its criterion results on that trial's
    criterion IRIs), with the provenance of :func:`run_graphs`. The model graph
    is NCT04604691's model with ``terminology``, as a single-trial run stores it,
    so runs of either kind share it; the other trials' definitions go to
    ``TRIALS_GRAPH`` and the node shapes generated from every trial's checks
    (those the run's validation report names) to ``TRIAL_SHAPES_GRAPH``.

    Args:
        screening: a screening against several trials (``screen_paths(trials=…)``), annotated.
        catalogue: the trials listed (:func:`blinakg.trials.select`).
        model: the model the run used (``load_model(terminology, trials=True)``).
        terminology: the site terminology files it was loaded with.
        files: the input files read.
        created: when the run is added (default: now, UTC).
    """
    from ..model import generated_node_shapes, load_model, load_shapes
    from ..reports.render import trials_graph, trials_run_iri

    run = trials_run_iri(screening)
    results, data = _with_provenance(run, trials_graph(screening, catalogue), screening, files, created)
    base = load_model(terminology)
    trials = Graph()
    trials += model
    trials -= base
    return RunGraphs(run=run, results=results, data=data, model=base, shapes=load_shapes(),
                     shared=[(TRIALS_GRAPH, trials), (TRIAL_SHAPES_GRAPH, generated_node_shapes(model))])


def _with_provenance(run: URIRef, results: Graph, screening: Any, files: Sequence[Path | str],
                     created: dt.datetime | None) -> tuple[Graph, Graph]:
    """(results with the run's provenance, data): the input triples the report repeats leave the results."""
    stamp = (created or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    created_at = stamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    results.add((run, DCTERMS.created, Literal(created_at, datatype=XSD.dateTime)))
    for path in files:
        results.add((run, DCTERMS.source, Literal(path_text(path))))
    results.add((run, PROV.wasAttributedTo, SOFTWARE))
    results.add((run, PROV.used, data_graph_iri(run)))
    results.add((SOFTWARE, RDF.type, PROV.SoftwareAgent))
    results.add((SOFTWARE, RDFS.label, Literal(f"blinakg {__version__}")))
    results.add((SOFTWARE, OWL.versionInfo, Literal(__version__)))
    data = Graph()
    data += screening.data_graph
    # The report repeats a few input triples (the patients' type and FHIR id, the
    # cited records' source and subject); in a store they stay in the data graph
    # only, so the union default graph does not match them twice.
    results -= data
    return results, data


# ---------------------------------------------------------------------------
#  Terms between rdflib and pyoxigraph
# ---------------------------------------------------------------------------

# One conversion for the whole package (lexical forms and blank node labels kept).
to_oxigraph = to_ox
from_oxigraph = to_rdflib



def run_update(graphs: RunGraphs) -> str:
    """One SPARQL update that replaces the run's graphs and the shared ones (the model, the shapes,
    any other), and adds their quads."""
    return graphs_update([(data_graph_iri(graphs.run), graphs.data), *graphs.shared_graphs(),
                          (graphs.run, graphs.results)])


def graphs_update(targets: Sequence[tuple[URIRef, Iterable[tuple[Node, Node, Node]]]]) -> str:
    """One SPARQL update that replaces each named graph by the triples given.

    Blank node labels are kept, so a blank node shared by two graphs stays one
    node (one ``INSERT DATA`` is one scope for labels). The triples are written
    by Oxigraph's N-Triples serializer, whose statements are valid SPARQL
    triples.
    """
    import pyoxigraph as ox

    parts = [f"DROP SILENT GRAPH <{name}> ;" for name, _ in targets]
    parts.append("INSERT DATA {")
    for name, graph in targets:
        triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        parts.append(f"GRAPH <{name}> {{")
        parts.append(body.decode("utf-8"))
        parts.append("}")
    parts.append("}")
    return "\n".join(parts)


def oxigraph_result(answer: Any, form: str) -> QueryResult:
    """A pyoxigraph query answer as a :class:`QueryResult`."""
    import pyoxigraph as ox

    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(form=ASK, boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows = [tuple(from_oxigraph(solution[v]) for v in variables) for solution in answer]
        return QueryResult(form=SELECT, variables=variables, rows=rows)
    graph = Graph()
    for triple in answer:
        s, p, o = (from_oxigraph(triple.subject), from_oxigraph(triple.predicate), from_oxigraph(triple.object))
        assert s is not None and p is not None and o is not None
        graph.add((s, p, o))
    return QueryResult(form=form if form in (CONSTRUCT, DESCRIBE) else CONSTRUCT, graph=graph)


def rdflib_result(answer: Any) -> QueryResult:
    """An rdflib query answer as a :class:`QueryResult`."""
    if answer.type == "ASK":
        return QueryResult(form=ASK, boolean=bool(answer.askAnswer))
    if answer.type == "SELECT":
        variables = [str(v) for v in answer.vars]
        rows = [tuple(_plain(term) for term in row) for row in answer]
        return QueryResult(form=SELECT, variables=variables, rows=rows)
    graph = Graph()
    for triple in answer:
        graph.add(triple)
    return QueryResult(form=answer.type, graph=graph)


def _plain(term: Node | None) -> Node | None:
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


# ---------------------------------------------------------------------------
#  Kinds of store
# ---------------------------------------------------------------------------

class Store(Protocol):
    """What the commands need of a store."""

    label: str

    def query(self, text: str) -> QueryResult:
        """Run a SPARQL query over the union of the store's graphs."""

    def close(self) -> None:
        """Release the store."""


def _exists_message(run: URIRef) -> str:
    return (f"already holds screening run {run} (same date and the same patients); "
            "pass --replace to replace it")


LOCK_FILE = "blinakg.lock"


class StoreLock:
    """An advisory lock on a store folder (``blinakg.lock`` in it).

    Adding a run takes it exclusively; readers that keep the store open (``blinakg
    serve``, ``blinakg query``) take it shared, so no run is added under them
    (RocksDB does not support a writer beside read-only readers). Where the OS
    has no ``fcntl`` (or the folder is read-only) the lock is a no-op.
    """

    def __init__(self, folder: Path, exclusive: bool):
        self.handle: Any = None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        try:
            self.handle = open(folder / LOCK_FILE, "a+")
        except OSError:
            return
        try:
            fcntl.flock(self.handle.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            self.handle = None
            if exclusive:
                raise InputError(folder, "the store is in use (a running `blinakg serve` or `blinakg query`, "
                                         "or another run being added); stop it and try again") from None
            raise InputError(folder, "a screening run is being added to the store; try again when it is done") from None

    def release(self) -> None:
        """Release the lock."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _check_store_folder(path: Path, must_exist: bool) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(path, "is a file, not a store folder")
    entries = {p.name for p in path.iterdir()} - {LOCK_FILE} if path.is_dir() else set()
    if entries and "CURRENT" not in entries:
        raise InputError(path, "is not a blinakg store (a folder with other files in it); "
                               "name a new or empty folder")
    if must_exist and not entries:
        raise InputError(path, "no store here; add a screening run first with "
                               "`blinakg validate PATHS --store` (or trials with `blinakg registry import PATHS`), "
                               "or query files with --data")


class EmbeddedStore:
    """A pyoxigraph store on disk.

    Args:
        path: the store's folder (created when writing to a new one).
        writable: open for adding runs, or read-only.

    Raises:
        InputError: no store there (read-only), not a store folder, or the
            store is in use.
    """

    def __init__(self, path: Path, writable: bool = False):
        import pyoxigraph as ox

        self.path = Path(path)
        self.label = str(self.path)
        _check_store_folder(self.path, must_exist=not writable)
        if writable:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise InputError(self.path, f"cannot create the store folder ({err.strerror})") from None
        self.lock = StoreLock(self.path, exclusive=writable)
        try:
            self.store = ox.Store(str(self.path)) if writable else ox.Store.read_only(str(self.path))
        except OSError as err:
            self.lock.release()
            if "lock" in str(err).lower():
                raise InputError(self.path, "the store is in use by another process; stop it and try again") from None
            raise InputError(self.path, f"cannot open the store ({err})") from None

    @staticmethod
    def reader_lock(path: Path) -> StoreLock:
        """A shared lock on an existing store, for a reader that opens it elsewhere (the server's workers).

        Raises:
            InputError: no store there, or a run is being added.
        """
        _check_store_folder(Path(path), must_exist=True)
        return StoreLock(Path(path), exclusive=False)

    def has_run(self, run: URIRef) -> bool:
        """Whether a run's results graph exists."""
        import pyoxigraph as ox

        return bool(self.store.contains_named_graph(ox.NamedNode(str(run))))

    def add_run(self, graphs: RunGraphs, replace: bool = False) -> None:
        """Add a run (its results, data, and the current model and shapes) atomically.

        Issue 12 (D1): "adding a run is atomic. A SIGKILL at any moment leaves
        the store as it was or with the whole run; shared graphs are never
        removed before their replacement is in." So every write is one
        Oxigraph transaction:

        * a new run whose model and shapes (and, against several trials, the
          trials and their shapes) are those already stored or not stored at
          all (the usual case, and a first run) only adds new graphs: one
          ``Store.extend`` (atomic), with the shared graphs that are absent;
        * otherwise (a changed model or terminology, ``replace``) the graphs
          replaced and the quads added are one SPARQL update: the old model
          and shapes stay until the new ones are in. It costs more (about 20 s
          for 200,000 quads here, against 8 s for ``extend``).

        Raises:
            InputError: the run is already there and ``replace`` is false.
        """
        exists = self.has_run(graphs.run)
        if exists and not replace:
            raise InputError(self.path, _exists_message(graphs.run))
        # The shared graphs (model, shapes; against several trials the trials and their shapes)
        # are written only when the store does not hold them as they are.
        changed = [(name, graph) for name, graph in graphs.shared_graphs() if not self._holds(name, graph)]
        self.replace_graphs([(data_graph_iri(graphs.run), graphs.data), *changed, (graphs.run, graphs.results)])

    def replace_graphs(self, targets: Sequence[tuple[URIRef, Iterable[tuple[Node, Node, Node]]]]) -> None:
        """Replace named graphs by the triples given, all in one Oxigraph transaction.

        Issue 12 (D1): a SIGKILL at any moment leaves the store as it was or
        with every graph written; no graph is removed before its replacement is
        in. When none of the graphs exists yet (a new run, new trials) the quads
        go in by one ``Store.extend``; otherwise by one SPARQL update (``DROP``
        and ``INSERT DATA``), which costs more.

        Raises:
            InputError: the store cannot be written.
        """
        import pyoxigraph as ox

        try:
            if not any(self.store.contains_named_graph(ox.NamedNode(str(name))) for name, _ in targets):
                self.store.extend(
                    ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(name)))
                    for name, graph in targets for s, p, o in graph
                )
            else:
                self.store.update(graphs_update(targets))
            self.store.flush()
        except OSError as err:
            raise InputError(self.path, f"cannot write to the store ({err})") from None

    def _holds(self, name: URIRef, graph: Graph) -> bool:
        """Whether the store's graph ``name`` is ``graph`` (isomorphic: blank node labels aside)."""
        import pyoxigraph as ox
        from rdflib.compare import isomorphic

        def read(store: Any) -> Graph:
            found = Graph()
            for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(str(name))):
                s, p, o = from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)
                if s is not None and p is not None and o is not None:
                    found.add((s, p, o))
            return found

        stored = read(self.store)
        if len(stored) != len(graph):
            return False
        # The new graph goes through an in-memory Oxigraph store too, so that
        # literals are compared in the form Oxigraph keeps them ("1.0" is "1").
        scratch = ox.Store()
        scratch.extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(name)))
                       for s, p, o in graph)
        return bool(isomorphic(stored, read(scratch)))

    def query(self, text: str) -> QueryResult:
        """Run a query over the store's dataset: the union of all graphs, or the graphs its
        ``FROM`` / ``FROM NAMED`` name (:func:`blinakg.sparql.parsed.query_dataset`).

        Raises:
            UsageError: the query holds ``SERVICE`` (pyoxigraph would call it:
                it has no option to turn federation off), or is not a query.
            InputError: a syntax error, or the store failed.
        """
        check_is_query(text, self.label)
        parsed = local_query(text, self.label)
        try:
            options = query_dataset(parsed).oxigraph_options()
            return oxigraph_result(self.store.query(text, **options), parsed.form)
        except ValueError as err:
            raise InputError(self.label, f"bad graph IRI in FROM: {err}") from None
        except SyntaxError as err:
            raise InputError(self.label, f"the store refused the query: {err}") from None
        except OSError as err:
            raise InputError(self.label, f"the query failed: {err}") from None

    def close(self) -> None:
        """Release the store and its lock."""
        if hasattr(self, "store"):
            del self.store
        self.lock.release()


class RemoteStore:
    """A SPARQL 1.1 endpoint, optionally with its Graph Store Protocol service.

    Args:
        endpoint: the query URL (``…/sparql``, ``…/query``).
        graph_store: the Graph Store Protocol URL (Fuseki ``…/data``, Oxigraph
            ``…/store``, GraphDB ``…/rdf-graphs/service``); needed to add runs.
    """

    def __init__(self, endpoint: str, graph_store: str | None = None):
        for url in (endpoint, graph_store):
            if url is not None and urllib.parse.urlparse(url).scheme not in ("http", "https"):
                raise UsageError(f"{url!r} is not an http(s) URL")
        self.endpoint = endpoint
        self.graph_store = graph_store
        self.label = endpoint

    def _request(self, url: str, method: str, body: bytes | None, headers: dict[str, str]) -> tuple[str, bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 (http(s) only)
                return response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace").strip().splitlines()
            raise InputError(url, f"the endpoint answered HTTP {err.code}"
                                  + (f": {detail[0][:300]}" if detail else "")) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise InputError(url, f"cannot reach the endpoint ({reason})") from None

    def query(self, text: str) -> QueryResult:
        """Run a query by the SPARQL 1.1 Protocol (POST, ``application/sparql-query``)."""
        form = check_is_query(text, self.label)
        accept = ("application/n-triples, text/turtle;q=0.9" if form in (CONSTRUCT, DESCRIBE)
                  else "application/sparql-results+json")
        content_type, body = self._request(self.endpoint, "POST", text.encode("utf-8"), {
            "Content-Type": "application/sparql-query; charset=utf-8", "Accept": accept})
        if form in (CONSTRUCT, DESCRIBE):
            graph = Graph()
            fmt = "nt" if "n-triples" in content_type else "turtle"
            try:
                graph.parse(data=body.decode("utf-8"), format=fmt)
            except Exception as err:  # rdflib's parsers raise many kinds; the endpoint is at fault
                raise InputError(self.endpoint, f"the endpoint's answer is not valid {fmt.upper()} "
                                                f"({type(err).__name__})") from None
            return QueryResult(form=form, graph=graph)
        try:
            return parse_results(body, content_type)
        except ValueError:
            raise InputError(self.endpoint, f"the endpoint did not answer SPARQL results ({content_type})") from None

    def has_run(self, run: URIRef) -> bool:
        """Whether the endpoint holds a run's results graph."""
        result = self.query(f"ASK WHERE {{ GRAPH <{run}> {{ ?s ?p ?o }} }}")
        return bool(result.boolean)

    def put_graph(self, name: URIRef, graph: Graph) -> None:
        """Replace one named graph by the Graph Store Protocol (``PUT ?graph=``)."""
        assert self.graph_store is not None
        separator = "&" if "?" in self.graph_store else "?"
        url = f"{self.graph_store}{separator}graph={urllib.parse.quote(str(name), safe='')}"
        body = graph.serialize(format="nt", encoding="utf-8")
        self._request(url, "PUT", body, {"Content-Type": "application/n-triples"})

    def add_run(self, graphs: RunGraphs, replace: bool = False) -> None:
        """Add a run: PUT its results and data graphs, and the model and shapes.

        Raises:
            UsageError: no Graph Store Protocol URL was given.
            InputError: the run is already there and ``replace`` is false, or
                the endpoint refused a request.
        """
        if self.graph_store is None:
            raise UsageError("adding a run to an endpoint needs --graph-store URL "
                             "(its SPARQL 1.1 Graph Store Protocol service)")
        if self.has_run(graphs.run) and not replace:
            raise InputError(self.endpoint, _exists_message(graphs.run))
        self.put_graph(graphs.run, graphs.results)
        self.put_graph(data_graph_iri(graphs.run), graphs.data)
        for name, graph in graphs.shared_graphs():
            self.put_graph(name, graph)

    def close(self) -> None:
        """Nothing to release."""


def parse_results(body: bytes, content_type: str = "application/sparql-results+json") -> QueryResult:
    """SPARQL results in any of the W3C formats, read by rdflib's parsers.

    Raises:
        ValueError: the body is not results in that format.
    """
    from rdflib.query import Result

    media = content_type.split(";")[0].strip().lower()
    fmt = {"application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
           "text/csv": "csv", "text/tab-separated-values": "tsv"}.get(media, "json")
    try:
        answer = Result.parse(io.BytesIO(body), format=fmt)
    except Exception as err:  # rdflib's parsers raise many kinds
        raise ValueError(f"not SPARQL {fmt.upper()} results ({type(err).__name__}: {err})") from None
    return rdflib_result(answer)


def parse_json_results(document: dict[str, Any]) -> QueryResult:
    """SPARQL 1.1 JSON results (already decoded) as a :class:`QueryResult`."""
    return parse_results(json.dumps(document).encode("utf-8"))


class MemoryStore:
    """An rdflib dataset in memory: the model, the shapes and the files given.

    Each file goes into a named graph of its own (its ``file:`` IRI); the
    default graph is the union, as in the other stores.

    Args:
        files: RDF files (a ``validate --format turtle`` report, patient RDF)
            or FHIR R4 JSON/NDJSON, or folders of them.
        terminology: extra terminology files for the model graph.

    Raises:
        InputError: a file cannot be read.
    """

    def __init__(self, files: Iterable[Path], terminology: tuple[Path, ...] = ()):
        from ..readers.loader import FHIR_SUFFIXES, expand, load_inputs
        from ..model import load_model, load_shapes
        from ..readers.rdfio import parse_rdf_file

        self.label = "the files given"
        self.dataset = Dataset(default_union=True)
        model = load_model(terminology)
        self._add(MODEL_GRAPH, model)
        self._add(SHAPES_GRAPH, load_shapes())
        for path in expand(list(files)):
            if path.suffix.lower() in FHIR_SUFFIXES:
                graph = load_inputs([path], model).graph
            else:
                graph = parse_rdf_file(path)
            self._add(URIRef(path.resolve().as_uri()), graph)

    def _add(self, name: URIRef, graph: Graph) -> None:
        target = self.dataset.graph(name)
        for triple in graph:
            target.add(triple)

    def query(self, text: str) -> QueryResult:
        """Run a query with rdflib over the files' dataset, by the same rules as the
        embedded store: the union of all graphs, or the graphs its ``FROM`` / ``FROM
        NAMED`` name among those loaded (never fetched).

        Raises:
            UsageError: the query holds ``SERVICE``, or is not a query.
            InputError: a syntax error, or rdflib failed.
        """
        check_is_query(text, self.label)
        parsed = local_query(text, self.label)
        dataset = query_dataset(parsed)
        target = self.dataset if dataset.union else self._view(dataset.default_graphs, dataset.named_graphs)
        try:
            with warnings.catch_warnings(), rdflib_without_network():
                # rdflib 7 warns about its own use of Dataset.default_context on every union lookup.
                warnings.simplefilter("ignore", DeprecationWarning)
                return rdflib_result(target.query(without_dataset_clause(parsed)))
        except (InputError, UsageError):
            raise
        except Exception as err:  # rdflib raises many kinds; the user gets one line
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise InputError(self.label, f"the query failed in rdflib: {message}") from None

    def _view(self, defaults: Sequence[str], named: Sequence[str]) -> Dataset:
        """A dataset whose default graph merges the graphs ``defaults`` and whose named graphs
        are ``named`` — those of them that were loaded; the others are empty (SPARQL 1.1 §13.2)."""
        view = Dataset(default_union=False)
        held = {str(graph.identifier): graph for graph in self.dataset.graphs()}
        for name in defaults:
            for triple in held.get(name, ()):
                view.default_graph.add(triple)
        for name in named:
            if name in held:
                target = view.graph(URIRef(name))
                for triple in held[name]:
                    target.add(triple)
        return view

    def close(self) -> None:
        """Nothing to release."""


# ---------------------------------------------------------------------------
#  Choosing a store from command-line options, and adding runs
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StoreTarget:
    """Where a command reads or writes runs: an embedded store path or an endpoint."""

    path: Path | None = None
    endpoint: str | None = None
    graph_store: str | None = None
    replace: bool = False

    def describe(self) -> str:
        """How messages name the store."""
        return self.endpoint if self.endpoint else str(self.path)

    def open(self, writable: bool = False) -> EmbeddedStore | RemoteStore:
        """Open the store this target names."""
        if self.endpoint is not None:
            return RemoteStore(self.endpoint, self.graph_store)
        return EmbeddedStore(self.path or default_store_path(), writable=writable)


def record_run(target: StoreTarget, screening: Any, model: Graph, files: Sequence[Path | str] = ()) -> URIRef:
    """Add a screening run to a store.

    Args:
        target: the store.
        screening: the :class:`blinakg.screen.Screening` to add.
        model: the ontology graph the run used.
        files: the input files it read (recorded as provenance).

    Returns:
        The run's IRI (its results graph).

    Raises:
        InputError: the run is already there (without ``replace``), or the store
            cannot be opened or written.
    """
    return store_run(target, run_graphs(screening, model, files))


def store_run(target: StoreTarget, graphs: RunGraphs) -> URIRef:
    """Add a run's graphs (:func:`run_graphs`, :func:`trials_run_graphs`) to a store; its IRI.

    Raises:
        InputError: as :func:`record_run`.
    """
    store = target.open(writable=True)
    try:
        store.add_run(graphs, replace=target.replace)
    finally:
        store.close()
    return graphs.run


__all__ = [
    "MODEL_GRAPH", "SHAPES_GRAPH", "DEFAULT_STORE", "STORE_ENV", "default_store_path", "data_graph_iri",
    "RunGraphs", "run_graphs", "trials_run_graphs", "store_run", "TRIALS_GRAPH", "TRIAL_SHAPES_GRAPH",
    "EmbeddedStore", "RemoteStore", "MemoryStore", "StoreTarget", "record_run",
    "to_oxigraph", "from_oxigraph", "oxigraph_result", "rdflib_result", "parse_json_results", "parse_results",
]
