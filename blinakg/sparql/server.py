"""``blinakg serve``: a read-only SPARQL 1.1 Protocol endpoint over the embedded store.

* ``GET /sparql?query=…`` and ``POST /sparql`` (``application/sparql-query``
  body, or an ``application/x-www-form-urlencoded`` form with ``query=``);
  ``default-graph-uri`` / ``named-graph-uri`` are honoured. Without
  ``default-graph-uri`` the default graph is the union of all graphs, as for
  ``blinakg query``.
* Results by content negotiation (``Accept``): ``SELECT``/``ASK`` as
  ``application/sparql-results+json`` (the default), ``…+xml``, ``text/csv``,
  ``text/tab-separated-values``; ``CONSTRUCT``/``DESCRIBE`` as ``text/turtle``
  (the default) or ``application/n-triples``. Nothing acceptable: 406.
* Read-only: an update (``POST`` with ``application/sparql-update``, or an
  ``update=`` parameter) is refused with **403**; other methods with **405**.
  The store is opened read-only, and held under a shared lock so no run can be
  added while it is served.
* A malformed query: **400** with the parser's message.
* Time limit (``--timeout``, seconds): every query runs in a worker process;
  one that runs longer is killed and the client gets **503** with a message
  (so a runaway query cannot hold a core or memory). A request that waits
  longer than the limit for a free worker also gets 503.
* Result size limit (``--max-results``): a result with more rows (or, for a
  graph, more triples) gets **413** with a message instead of a silently
  truncated answer; page with ``LIMIT``/``OFFSET``. Every answer carries
  ``X-Blinakg-Max-Results``.
* Bound to 127.0.0.1 unless ``--host`` says otherwise; request bodies over
  1 MiB get 413.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

MAX_BODY = 1 << 20
SPARQL_PATH = "/sparql"

JSON, XML, CSV, TSV = ("application/sparql-results+json", "application/sparql-results+xml",
                       "text/csv", "text/tab-separated-values")
TURTLE, NTRIPLES = "text/turtle", "application/n-triples"
RESULT_TYPES = {JSON: "json", XML: "xml", CSV: "csv", TSV: "tsv",
                "application/json": "json", "application/xml": "xml", "text/xml": "xml"}
GRAPH_TYPES = {TURTLE: "turtle", NTRIPLES: "nt", "text/plain": "nt", "application/x-turtle": "turtle"}


@dataclass(frozen=True)
class ServerConfig:
    """How ``blinakg serve`` runs.

    Attributes:
        store: the embedded store's folder.
        host: the address to bind (loopback by default).
        port: the TCP port (0: any free port).
        timeout: the query time limit, in seconds.
        max_results: the most rows (or triples) an answer may hold.
        workers: how many queries may run at once.
    """

    store: Path
    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0
    max_results: int = 10000
    workers: int = 2


@dataclass
class Reply:
    """An HTTP answer."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


def _text(status: int, message: str, **headers: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"), dict(headers))


# ---------------------------------------------------------------------------
#  Content negotiation
# ---------------------------------------------------------------------------

def _accepted(accept: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header, best first (order kept among equals)."""
    ranges: list[tuple[str, float, int]] = []
    for index, part in enumerate((accept or "*/*").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((media, quality, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, quality) for media, quality, _ in ranges]


def negotiate(accept: str | None, graph: bool) -> tuple[str, str] | None:
    """The media type and writer to answer with, or ``None`` (406).

    Args:
        accept: the request's Accept header.
        graph: the answer is an RDF graph (``CONSTRUCT``/``DESCRIBE``).
    """
    offered = GRAPH_TYPES if graph else RESULT_TYPES
    default = TURTLE if graph else JSON
    for media, _ in _accepted(accept):
        if media in offered:
            return media, offered[media]
        if media in ("*/*", "application/*"):
            return default, offered[default]
        if media == "text/*":
            chosen = TURTLE if graph else CSV
            return chosen, offered[chosen]
    return None


# ---------------------------------------------------------------------------
#  Worker processes (each opens the store read-only)
# ---------------------------------------------------------------------------

def _run_query(store: Any, job: dict[str, Any]) -> Reply:
    """Evaluate one query in a worker and serialize its answer."""
    import pyoxigraph as ox

    from .query import ASK, SELECT, QueryResult, render
    from .store import from_oxigraph

    limit = int(job["max_results"])
    limit_header = {"X-Blinakg-Max-Results": str(limit)}
    kwargs: dict[str, Any] = {}
    try:
        if job["default_graphs"]:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job["default_graphs"]]
        else:
            kwargs["use_default_graph_as_union"] = True
        if job["named_graphs"]:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
    except ValueError as err:
        return _text(400, f"bad graph IRI: {err}")
    try:
        answer = store.query(job["query"], **kwargs)
    except SyntaxError as err:
        return _text(400, f"malformed query: {err}")
    try:
        if isinstance(answer, ox.QueryTriples):
            chosen = negotiate(job["accept"], graph=True)
            if chosen is None:
                return _text(406, f"a graph answer is available as {TURTLE} or {NTRIPLES}")
            triples = []
            for triple in answer:
                triples.append(triple)
                if len(triples) > limit:
                    return _text(413, f"the answer holds more than {limit} triples (the server's limit); "
                                      "narrow the query or page it with LIMIT and OFFSET", **limit_header)
            fmt = ox.RdfFormat.TURTLE if chosen[1] == "turtle" else ox.RdfFormat.N_TRIPLES
            body = ox.serialize(triples, format=fmt) or b""
            return Reply(200, f"{chosen[0]}; charset=utf-8", body, limit_header)
        chosen = negotiate(job["accept"], graph=False)
        if chosen is None:
            return _text(406, f"results are available as {JSON}, {XML}, {CSV} or {TSV}")
        if isinstance(answer, ox.QueryBoolean):
            result = QueryResult(form=ASK, boolean=bool(answer))
        else:
            variables = [v.value for v in answer.variables]
            rows = []
            for solution in answer:
                rows.append(tuple(from_oxigraph(solution[v]) for v in variables))
                if len(rows) > limit:
                    return _text(413, f"the answer holds more than {limit} rows (the server's limit); "
                                      "narrow the query or page it with LIMIT and OFFSET", **limit_header)
            result = QueryResult(form=SELECT, variables=variables, rows=rows)
        media = chosen[0] if chosen[0] not in ("application/json", "application/xml", "text/xml") else \
            (JSON if chosen[1] == "json" else XML)
        return Reply(200, f"{media}; charset=utf-8", render(result, chosen[1]).encode("utf-8"), limit_header)
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        return _text(500, f"the query failed: {err}")


def _worker_main(conn: Connection, store_path: str) -> None:
    """A worker: open the store read-only, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(store_path)
    except OSError as err:
        conn.send(("error", str(err)))
        return
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _run_query(store, job)
        except Exception as err:  # never let a worker die on one query
            reply = _text(500, f"internal error: {type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, context: Any, store_path: str, start_timeout: float = 120.0):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, store_path), daemon=True,
                                       name="blinakg-query-worker")
        self.process.start()
        child.close()
        if not self.conn.poll(start_timeout):
            self.kill()
            raise RuntimeError("a query worker did not start")
        status, detail = self.conn.recv()
        if status != "ready":
            self.kill()
            raise RuntimeError(f"a query worker could not open the store: {detail}")

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryPool:
    """Worker processes that run queries, each killed when it overruns the time limit.

    Args:
        store_path: the store folder (opened read-only by each worker).
        size: the number of workers.
    """

    def __init__(self, store_path: Path, size: int = 2):
        self.context = multiprocessing.get_context("spawn")
        self.store_path = str(store_path)
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.closed = False
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        for _ in range(max(1, size)):
            self._release(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.context, self.store_path)
        with self._lock:
            self._all.add(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        self.idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        if self.closed:
            return
        try:
            self._release(self._spawn())
        except RuntimeError as err:
            print(f"blinakg: {err}", file=sys.stderr)

    def run(self, job: dict[str, Any], timeout: float) -> Reply:
        """Run one query job within ``timeout`` seconds."""
        try:
            worker = self.idle.get(timeout=timeout)
        except queue.Empty:
            return _text(503, f"the server is busy: no query slot came free within {timeout:g} s; try again",
                         **{"Retry-After": "5"})
        try:
            worker.conn.send(job)
            if worker.conn.poll(timeout):
                reply: Reply = worker.conn.recv()
                self._release(worker)
                return reply
        except (EOFError, OSError):
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            return _text(500, "the query worker failed; try again")
        threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
        return _text(503, f"the query ran longer than the time limit of {timeout:g} s and was stopped; "
                          "narrow it (LIMIT, more specific patterns)")

    def close(self) -> None:
        """Stop every worker."""
        self.closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


# ---------------------------------------------------------------------------
#  HTTP
# ---------------------------------------------------------------------------

INDEX = """blinakg SPARQL endpoint (read-only)

  GET  {path}?query=...                      SPARQL 1.1 Protocol query
  POST {path}  (application/sparql-query, or a form with query=...)

SELECT/ASK answers: application/sparql-results+json (default), application/sparql-results+xml,
text/csv, text/tab-separated-values. CONSTRUCT/DESCRIBE: text/turtle (default), application/n-triples.
The default graph is the union of all graphs unless default-graph-uri is given.
Time limit {timeout:g} s; at most {max_results} rows or triples per answer. Updates are refused.
"""


class SparqlHandler(BaseHTTPRequestHandler):
    """The request handler; ``server`` is a :class:`SparqlServer`."""

    server: SparqlServer
    server_version = "blinakg"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, reply: Reply, head_only: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        if reply.content_type.startswith(("application/sparql-results", "text/csv", "text/tab", "text/turtle",
                                          "application/n-triples")):
            self.send_header("Vary", "Accept")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head_only:
            self.wfile.write(reply.body)

    def _refuse_update(self) -> None:
        self._send(_text(403, "this endpoint is read-only: SPARQL updates are refused"))

    def _answer(self, params: dict[str, list[str]], query_text: str | None) -> None:
        if "update" in params:
            self._refuse_update()
            return
        if query_text is None:
            queries = params.get("query", [])
            if len(queries) != 1:
                self._send(_text(400, "expected exactly one query parameter (query=...)"))
                return
            query_text = queries[0]
        job = {
            "query": query_text,
            "accept": self.headers.get("Accept"),
            "default_graphs": params.get("default-graph-uri", []),
            "named_graphs": params.get("named-graph-uri", []),
            "max_results": self.server.config.max_results,
        }
        self._send(self.server.pool.run(job, self.server.config.timeout))

    def _path(self) -> tuple[str, dict[str, list[str]]]:
        parts = urllib.parse.urlsplit(self.path)
        return parts.path, urllib.parse.parse_qs(parts.query, keep_blank_values=True)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path, params = self._path()
        if path in ("/", ""):
            config = self.server.config
            self._send(_text(200, INDEX.format(path=SPARQL_PATH, timeout=config.timeout,
                                               max_results=config.max_results)))
            return
        if path != SPARQL_PATH:
            self._send(_text(404, f"not found; the SPARQL endpoint is {SPARQL_PATH}"))
            return
        if not params:
            config = self.server.config
            self._send(_text(200, INDEX.format(path=SPARQL_PATH, timeout=config.timeout,
                                               max_results=config.max_results)))
            return
        self._answer(params, None)

    def do_HEAD(self) -> None:  # noqa: N802
        path, _ = self._path()
        status = 200 if path in ("/", "", SPARQL_PATH) else 404
        self._send(Reply(status, "text/plain; charset=utf-8", b"", {}), head_only=True)

    def do_POST(self) -> None:  # noqa: N802
        path, params = self._path()
        if path != SPARQL_PATH:
            self._send(_text(404, f"not found; the SPARQL endpoint is {SPARQL_PATH}"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(_text(400, "bad Content-Length"))
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._send(_text(413, f"the request body is larger than {MAX_BODY} bytes"))
            return
        body = self.rfile.read(length)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            self._refuse_update()
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self._send(_text(400, "the request body is not UTF-8"))
            return
        if content_type == "application/sparql-query":
            self._answer(params, text)
        elif content_type == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(text, keep_blank_values=True)
            for key, values in params.items():
                form.setdefault(key, []).extend(values)
            self._answer(form, None)
        else:
            self._send(_text(415, "send the query as application/sparql-query, or as a form "
                                  "(application/x-www-form-urlencoded) with query=..."))

    def _not_allowed(self) -> None:
        self._send(_text(405, "this endpoint is read-only: only GET and POST queries are allowed",
                         Allow="GET, HEAD, POST"))

    do_PUT = do_DELETE = do_PATCH = _not_allowed  # noqa: N815


class SparqlServer(ThreadingHTTPServer):
    """A threading HTTP server that hands queries to a :class:`QueryPool`."""

    daemon_threads = True

    def __init__(self, config: ServerConfig, pool: QueryPool, quiet: bool = False):
        self.config = config
        self.pool = pool
        self.quiet = quiet
        super().__init__((config.host, config.port), SparqlHandler)


def serve(config: ServerConfig, announce: Callable[[str], None] | None = None, quiet: bool = False) -> None:
    """Serve the store until interrupted (Ctrl-C or SIGTERM).

    Args:
        config: store, address and limits.
        announce: called with the endpoint URL once the server accepts queries.
        quiet: no access log on standard error.

    Raises:
        InputError: no store at ``config.store``, or a run is being added to it.
        UsageError: the address cannot be bound.
    """
    from ..errors import UsageError
    from .store import EmbeddedStore

    lock = EmbeddedStore.reader_lock(config.store)
    pool: QueryPool | None = None
    server: SparqlServer | None = None
    previous = signal.getsignal(signal.SIGTERM)

    def _stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        try:
            pool = QueryPool(config.store, config.workers)
        except RuntimeError as err:
            from ..errors import InputError

            raise InputError(config.store, str(err)) from None
        try:
            server = SparqlServer(config, pool, quiet=quiet)
        except OSError as err:
            raise UsageError(f"cannot listen on {config.host}:{config.port} ({err.strerror or err})") from None
        address, port = server.server_address[:2]
        host = address.decode() if isinstance(address, bytes) else str(address)
        shown = f"[{host}]" if ":" in host else host
        if announce is not None:
            announce(f"http://{shown}:{port}{SPARQL_PATH}")
        signal.signal(signal.SIGTERM, _stop)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.server_close()
        if pool is not None:
            pool.close()
        lock.release()


__all__ = ["ServerConfig", "QueryPool", "SparqlServer", "serve", "negotiate", "Reply"]
