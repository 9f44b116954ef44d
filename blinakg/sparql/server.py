"""``blinakg serve``: a read-only SPARQL 1.1 Protocol endpoint over the embedded store.

* ``GET /sparql?query=…`` and ``POST /sparql`` (``application/sparql-query``
  body, or an ``application/x-www-form-urlencoded`` form with ``query=``);
  ``default-graph-uri`` / ``named-graph-uri`` are honoured, and so are the
  query's own ``FROM`` / ``FROM NAMED`` (the protocol's parameters replace the
  query's dataset). With neither, the default graph is the union of all
  graphs, as for ``blinakg query`` (:func:`blinakg.sparql.parsed.query_dataset`).
* ``SERVICE`` (a federated query) is refused with **400**: the endpoint
  fetches nothing from other servers (contract.md: no command reaches the
  network unless told to). Decided in the worker from rdflib's parse of the
  query, since pyoxigraph cannot be told not to federate.
* The ``Host`` header must name this server (localhost, an IP address, the
  ``--host`` given, ``--allow-host`` names): other names get **403** (DNS
  rebinding, issue 19).
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
  longer than the limit for a free worker also gets 503, and one that finds
  ``--queue`` others already waiting gets 503 at once.
* Result size limit (``--max-results``): a result with more rows (or, for a
  graph, more triples) gets **413** with a message instead of a silently
  truncated answer; page with ``LIMIT``/``OFFSET``. Every answer carries
  ``X-Blinakg-Max-Results``.
* Memory limit (``--max-memory``, MiB): each query worker's address space is
  capped; a query that needs more ends its worker and gets **503**.
* Served by waitress (a production WSGI server; ``http.server`` "is not
  recommended for production"): a fixed pool of request threads, at most
  ``--max-connections`` open connections with a listen backlog as large;
  a connection without a whole request ``--client-timeout`` seconds after it
  opened or was last answered is closed (a lying ``Content-Length`` or a
  trickling client holds nothing for ever), and when every place is taken
  the connections waiting longest for a request make room for new ones.
* Bound to 127.0.0.1 unless ``--host`` says otherwise; request bodies over
  1 MiB get 413.
"""

from __future__ import annotations

import ipaddress
import multiprocessing
import queue
import re
import signal
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

MAX_BODY = 1 << 20
#: Seconds after which a worker's query counts as long: when every worker runs one, new queries get 503 at once.
STALLED_AFTER = 1.0
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
        max_memory: bytes of memory each query worker may take beyond what it
            holds when idle (0: no cap).
        connection_limit: the most client connections open at once; more wait
            in the listen backlog.
        client_timeout: seconds a connection may stay idle, or a client take to
            send its request, before it is closed.
        queue: how many queries may wait for a free worker; one more is
            answered 503 at once.
        allowed_hosts: host names the ``Host`` header may carry besides
            localhost, IP addresses and ``host`` (``*``: any).
    """

    store: Path
    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0
    max_results: int = 10000
    workers: int = 2
    max_memory: int = 1 << 30
    connection_limit: int = 128
    client_timeout: int = 30
    queue: int = 16
    allowed_hosts: tuple[str, ...] = ()


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

_RESULT_FORMATS = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}


def _parse(job: dict[str, Any]) -> tuple[Any, dict[str, Any]] | Reply:
    """The query's form and ``Store.query`` dataset options, or the 400 that refuses it.

    Decided in the worker (under the time and memory limits) from rdflib's parse
    of exactly the text Oxigraph will run: a ``SERVICE`` anywhere in the algebra
    is refused, since pyoxigraph has no option to turn federation off; the
    dataset follows :func:`blinakg.sparql.parsed.query_dataset` (the protocol's
    ``default-graph-uri``/``named-graph-uri``, else ``FROM``/``FROM NAMED``,
    else the union of all graphs).
    """
    from ..errors import InputError, UsageError
    from .parsed import parse_query, query_dataset

    try:
        parsed = parse_query(job["query"], "query")
    except (InputError, UsageError) as err:
        return _text(400, f"malformed query: {err}")
    if parsed.federated:
        return _text(400, "SERVICE (a federated query) is refused: this endpoint fetches nothing from other "
                          "servers; query each endpoint yourself")
    try:
        options = query_dataset(parsed, job["default_graphs"], job["named_graphs"]).oxigraph_options()
    except ValueError as err:
        return _text(400, f"bad graph IRI: {err}")
    return parsed, options


def _run_query(store: Any, job: dict[str, Any]) -> Reply:
    """Evaluate one query in a worker; the answer is written by pyoxigraph's serializers."""
    import pyoxigraph as ox

    limit = int(job["max_results"])
    limit_header = {"X-Blinakg-Max-Results": str(limit)}
    checked = _parse(job)
    if isinstance(checked, Reply):
        return checked
    _, kwargs = checked
    try:
        answer = store.query(job["query"], **kwargs)
    except SyntaxError as err:
        return _text(400, f"malformed query: {err}")
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
    if isinstance(answer, ox.QuerySolutions):
        # Count first (stopping past the limit), then evaluate again to write:
        # pyoxigraph serializes a live answer, not a list of rows.
        for count, _ in enumerate(answer, start=1):
            if count > limit:
                return _text(413, f"the answer holds more than {limit} rows (the server's limit); "
                                  "narrow the query or page it with LIMIT and OFFSET", **limit_header)
        answer = store.query(job["query"], **kwargs)
    body = answer.serialize(format=getattr(ox.QueryResultsFormat, _RESULT_FORMATS[chosen[1]])) or b""
    media = chosen[0] if chosen[0] not in ("application/json", "application/xml", "text/xml") else \
        (JSON if chosen[1] == "json" else XML)
    return Reply(200, f"{media}; charset=utf-8", body, limit_header)


def _cap_memory(max_memory: int) -> None:
    """Cap this worker's address space at what it uses now plus ``max_memory`` bytes
    (issue 12, S2: one 847-byte query took 1.2 GB). An allocation past the cap
    fails, the worker dies, and the pool answers 503 and starts another."""
    if max_memory <= 0:
        return
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            in_use = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
        limit = in_use + max_memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not Linux: no cap
        pass


def _worker_main(conn: Connection, store_path: str, max_memory: int = 0) -> None:
    """A worker: open the store read-only, cap its memory, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(store_path)
    except OSError as err:
        conn.send(("error", str(err)))
        return
    # rdflib's SPARQL grammar is built on import (about a second): before the first query's clock starts.
    from .parsed import parse_query

    parse_query("ASK {}", "warm-up")
    _cap_memory(max_memory)
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _run_query(store, job)
        except MemoryError:
            reply = _text(503, "the query needed more memory than the server's limit; narrow it")
        except OSError as err:
            reply = _text(500, f"the query failed: {err}")
        except Exception as err:  # never let a worker die on one query
            reply = _text(500, f"internal error: {type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, context: Any, store_path: str, max_memory: int = 0, start_timeout: float = 120.0):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, store_path, max_memory), daemon=True,
                                       name="blinakg-query-worker")
        self.process.start()
        child.close()
        try:
            if not self.conn.poll(start_timeout):
                raise EOFError
            status, detail = self.conn.recv()
        except (EOFError, OSError):  # it died on the way up (the server is stopping, the store went away)
            self.kill()
            raise RuntimeError("a query worker did not start") from None
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

    def __init__(self, store_path: Path, size: int = 2, max_memory: int = 0, queue_limit: int = 16):
        self.context = multiprocessing.get_context("spawn")
        self.store_path = str(store_path)
        self.max_memory = max_memory
        self.queue_limit = queue_limit
        self.waiting = 0
        self.running: dict[_Worker, float] = {}  # each busy worker: when its query started
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.closed = False
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        for _ in range(max(1, size)):
            self._release(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.context, self.store_path, self.max_memory)
        with self._lock:
            self._all.add(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self.running.pop(worker, None)
        self.idle.put(worker)

    def stalled(self, now: float) -> bool:
        """Every worker is busy, each with a query that has run longer than :data:`STALLED_AFTER`:
        a query queued now would wait for runaways. Called with the lock held."""
        return self.idle.empty() and bool(self.running) and \
            min(now - started for started in self.running.values()) > STALLED_AFTER

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
            self.running.pop(worker, None)
        worker.kill()
        if self.closed:
            return
        try:
            self._release(self._spawn())
        except RuntimeError as err:
            print(f"blinakg: {err}", file=sys.stderr)

    def run(self, job: dict[str, Any], timeout: float) -> Reply:
        """Run one query job within ``timeout`` seconds.

        A query waits for a free worker only while fewer than ``queue_limit``
        others wait, and only while the workers are turning over (issue 19, 7):
        when every worker has been on its query for more than
        :data:`STALLED_AFTER` seconds (runaways), or the queue is full, it gets
        503 at once, so slow queries make the next client retry instead of
        hanging until its own timeout; a burst of cheap queries still queues.
        """
        with self._lock:
            now = time.monotonic()
            if self.idle.empty() and (self.waiting >= self.queue_limit or self.stalled(now)):
                return _text(503, f"the server is busy: every query worker is running a long query and "
                                  f"{self.waiting} queries are waiting; try again shortly", **{"Retry-After": "2"})
            self.waiting += 1
        try:
            worker = self.idle.get(timeout=timeout)
        except queue.Empty:
            return _text(503, f"the server is busy: no query slot came free within {timeout:g} s; try again",
                         **{"Retry-After": "5"})
        finally:
            with self._lock:
                self.waiting -= 1
        with self._lock:
            self.running[worker] = time.monotonic()
        try:
            worker.conn.send(job)
            if worker.conn.poll(timeout):
                reply: Reply = worker.conn.recv()
                self._release(worker)
                return reply
        except (EOFError, OSError):
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            limit = f" (its memory limit is {self.max_memory >> 20} MiB)" if self.max_memory else ""
            return _text(503, f"the query worker stopped while answering{limit}; narrow the query or try again")
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
#  HTTP: a WSGI application served by waitress
# ---------------------------------------------------------------------------

INDEX = """blinakg SPARQL endpoint (read-only)

  GET  {path}?query=...                      SPARQL 1.1 Protocol query
  POST {path}  (application/sparql-query, or a form with query=...)

SELECT/ASK answers: application/sparql-results+json (default), application/sparql-results+xml,
text/csv, text/tab-separated-values. CONSTRUCT/DESCRIBE: text/turtle (default), application/n-triples.
The default graph is the union of all graphs unless default-graph-uri or FROM is given.
SERVICE (federated queries) is refused. Time limit {timeout:g} s; at most {max_results} rows or
triples per answer. Updates are refused.
"""

LOOPBACK_NAMES = ("localhost",)


def _host_name(header: str) -> str | None:
    """The name in a ``Host`` header (``name``, ``name:port``, ``[v6]:port``), lower-cased,
    without a trailing dot; None when it is not a host name at all."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or (value[end + 1:] and not re.fullmatch(r":[0-9]{1,5}", value[end + 1:])):
            return None
        return value[1:end]
    name, sep, port = value.rpartition(":")
    if sep and port.isdigit() and len(port) <= 5:
        value = name
    value = value.rstrip(".")
    return value if value and re.fullmatch(r"[a-z0-9._:-]+", value) else None


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """Whether a request's ``Host`` header names this server (issue 19, 7: DNS rebinding).

    A page on ``evil.example`` whose name is re-pointed at 127.0.0.1 reaches a
    loopback server with ``Host: evil.example``; the names it may carry are
    ``allowed`` (localhost, the ``--host`` given, each ``--allow-host``; ``*``:
    any). An IP address is always allowed, as Jupyter does: rebinding needs a
    DNS name. Any port is accepted (an SSH tunnel changes it).
    """
    if "*" in allowed:
        return True
    if not header:
        return False
    name = _host_name(header)
    if name is None:
        return False
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
        return True
    except ValueError:
        return name in allowed


def allowed_names(config: ServerConfig) -> frozenset[str]:
    """The host names a ``Host`` header may carry for this server."""
    names = {*LOOPBACK_NAMES, config.host.strip("[]").lower().rstrip(".")}
    names.update(h.strip().lower().rstrip(".") for h in config.allowed_hosts)
    return frozenset(n for n in names if n)


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            406: "Not Acceptable", 413: "Content Too Large", 415: "Unsupported Media Type",
            500: "Internal Server Error", 503: "Service Unavailable"}

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class SparqlApp:
    """The endpoint as a WSGI application; queries go to a :class:`QueryPool`.

    Args:
        config: limits and address (for the index page).
        pool: the query workers.
        quiet: no access log on standard error.
    """

    def __init__(self, config: ServerConfig, pool: QueryPool, quiet: bool = False):
        self.config = config
        self.pool = pool
        self.quiet = quiet
        self.allowed = allowed_names(config)
        self._log_lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        try:
            reply = self.route(environ)
        except Exception as err:  # a defect: the client gets 500, the server goes on
            reply = _text(500, f"internal error: {type(err).__name__}")
        head_only = environ.get("REQUEST_METHOD") == "HEAD"
        headers = [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body))),
                   ("Cache-Control", "no-store")]
        if reply.content_type.startswith(("application/sparql-results", "text/csv", "text/tab", "text/turtle",
                                          "application/n-triples")):
            headers.append(("Vary", "Accept"))
        headers += list(reply.headers.items())
        start_response(f"{reply.status} {_REASONS.get(reply.status, 'Status')}", headers)
        self.log(environ, reply.status, len(reply.body))
        return [b""] if head_only else [reply.body]

    def log(self, environ: Environ, status: int, size: int) -> None:
        """One access-log line a request, in the Common Log Format."""
        if self.quiet:
            return
        target = urllib.parse.quote(environ.get("PATH_INFO", ""), safe="/")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        stamp = time.strftime("%d/%b/%Y %H:%M:%S")
        line = (f'{environ.get("REMOTE_ADDR", "-")} - - [{stamp}] "{environ.get("REQUEST_METHOD", "-")} {target} '
                f'{environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" {status} {size}')
        with self._log_lock:
            print(line, file=sys.stderr, flush=True)

    def index(self) -> Reply:
        config = self.config
        return _text(200, INDEX.format(path=SPARQL_PATH, timeout=config.timeout, max_results=config.max_results))

    def route(self, environ: Environ) -> Reply:
        host = environ.get("HTTP_HOST")
        if not host_allowed(host, self.allowed):
            # Jupyter answers 403 too; the message says how to allow a name on purpose.
            return _text(403, f"this endpoint does not answer for the host {str(host or '(none)')[:100]!r}; "
                              "start it with --allow-host NAME to allow that name")
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        params = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method not in ("GET", "HEAD", "POST"):
            return _text(405, "this endpoint is read-only: only GET and POST queries are allowed",
                         Allow="GET, HEAD, POST")
        if method == "HEAD":
            return Reply(200 if path in ("/", SPARQL_PATH) else 404, "text/plain; charset=utf-8", b"", {})
        if path != SPARQL_PATH:
            if method == "GET" and path == "/":
                return self.index()
            return _text(404, f"not found; the SPARQL endpoint is {SPARQL_PATH}")
        if method == "GET":
            return self.index() if not params else self.answer(params, None, environ)
        return self.post(params, environ)

    def post(self, params: dict[str, list[str]], environ: Environ) -> Reply:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _text(400, "bad Content-Length")
        if length < 0:
            return _text(400, "bad Content-Length")
        if length > MAX_BODY:
            return _text(413, f"the request body is larger than {MAX_BODY} bytes")
        body = environ["wsgi.input"].read(length) if length else b""
        content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            return _refused_update()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _text(400, "the request body is not UTF-8")
        if content_type == "application/sparql-query":
            return self.answer(params, text, environ)
        if content_type == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qs(text, keep_blank_values=True)
            for key, values in params.items():
                form.setdefault(key, []).extend(values)
            return self.answer(form, None, environ)
        return _text(415, "send the query as application/sparql-query, or as a form "
                          "(application/x-www-form-urlencoded) with query=...")

    def answer(self, params: dict[str, list[str]], query_text: str | None, environ: Environ) -> Reply:
        if "update" in params:
            return _refused_update()
        if query_text is None:
            queries = params.get("query", [])
            if len(queries) != 1:
                return _text(400, "expected exactly one query parameter (query=...)")
            query_text = queries[0]
        job = {
            "query": query_text,
            "accept": environ.get("HTTP_ACCEPT"),
            "default_graphs": params.get("default-graph-uri", []),
            "named_graphs": params.get("named-graph-uri", []),
            "max_results": self.config.max_results,
        }
        return self.pool.run(job, self.config.timeout)


def _refused_update() -> Reply:
    return _text(403, "this endpoint is read-only: SPARQL updates are refused")


def _waitress_options(config: ServerConfig) -> dict[str, Any]:
    """waitress's limits (issue 12, S2; issue 19, 7): connections are bounded and the listen
    backlog holds every connection allowed; idle or slow clients time out; every
    query that may wait for a worker (``queue``) has a request thread of its own,
    so waitress's own, unbounded, task queue stays empty and the bounded queue of
    :class:`QueryPool` is the one that answers 503 when full."""
    return {
        "threads": config.workers + config.queue + 4,
        "connection_limit": config.connection_limit,
        "backlog": max(64, config.connection_limit),
        "channel_timeout": config.client_timeout,
        "cleanup_interval": 1,  # how often timed-out channels are looked for
        "max_request_body_size": MAX_BODY,
        "max_request_header_size": 64 * 1024,
        "asyncore_use_poll": True,
        "expose_tracebacks": False,
        "ident": "blinakg",
        "clear_untrusted_proxy_headers": True,
    }


#: A connection must have waited this long for a request before it may be closed to admit another.
EVICT_AFTER = 0.5


def _server_classes() -> tuple[type, type]:
    """waitress's channel and server, taught to end connections that hold a place without asking.

    waitress serves every socket from one event loop, so an idle connection
    holds no thread, but it holds one of ``connection_limit`` places: 255 idle
    connections made a query wait 44 s (issue 19, 7), until waitress's inactivity
    timeout freed them. Here:

    * a connection that has not sent a whole request ``client_timeout`` seconds
      after it opened or after its last answer is closed, even if it trickles a
      byte at a time (waitress's own timeout counts any byte as activity);
    * when every place is taken, the connections that have waited longest for a
      request (at least :data:`EVICT_AFTER` s) are closed to admit new ones, so
      idle connections can never keep a client out.
    """
    import time as clock

    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer

    class Channel(HTTPChannel):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.waiting_since = self.creation_time

        def service(self) -> None:
            super().service()
            self.waiting_since = clock.time()

        def waited(self, now: float) -> float | None:
            """How long it has waited for a request; None while a request is in hand or it is closing."""
            if self.requests or self.total_outbufs_len or self.will_close or self.close_when_flushed:
                return None
            return now - self.waiting_since

    class Server(TcpWSGIServer):  # type: ignore[misc]
        channel_class = Channel

        def maintenance(self, now: float) -> None:
            super().maintenance(now)
            for channel in list(self.active_channels.values()):
                waited = channel.waited(now)
                if waited is not None and waited > self.adj.channel_timeout:
                    channel.will_close = True

        def readable(self) -> bool:
            if self.accepting:
                self.evict(clock.time())
            return bool(super().readable())

        def evict(self, now: float) -> None:
            if len(self._map) < self.adj.connection_limit:  # the usual case: room to spare, nothing to look at
                return
            channels = list(self.active_channels.values())
            closing = sum(1 for c in channels if c.will_close)
            excess = len(self._map) - closing - self.adj.connection_limit + 1
            if excess <= 0:
                return
            waiting = [(w, c) for c in channels if (w := c.waited(now)) is not None and w >= EVICT_AFTER]
            waiting.sort(key=lambda pair: pair[0], reverse=True)
            for _, channel in waiting[:excess]:
                channel.will_close = True

    return Channel, Server


def make_server(config: ServerConfig, pool: QueryPool, quiet: bool = False) -> Any:
    """A waitress server bound to ``config.host:config.port`` (not yet serving).

    Raises:
        OSError: the address cannot be bound.
    """
    import logging

    from waitress.adjustments import Adjustments
    from waitress.server import MultiSocketServer
    from waitress.task import ThreadedTaskDispatcher

    # waitress logs to "waitress" (queue depth, bad requests); the access log is ours.
    logging.getLogger("waitress").setLevel(logging.ERROR if not quiet else logging.CRITICAL)
    if not logging.getLogger("waitress").handlers:
        logging.getLogger("waitress").addHandler(logging.StreamHandler(sys.stderr))
    adjustments = Adjustments(host=config.host, port=config.port, **_waitress_options(config))
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adjustments.threads)
    _, server_class = _server_classes()
    app = SparqlApp(config, pool, quiet=quiet)
    sockets: dict[int, Any] = {}
    servers = [server_class(app, sockets, dispatcher=dispatcher, adj=adjustments, sockinfo=info)
               for info in adjustments.listen]
    if len(servers) == 1:
        return servers[0]
    multi = MultiSocketServer(sockets, adjustments, [(s.effective_host, s.effective_port) for s in servers],
                              dispatcher)
    multi.effective_host, multi.effective_port = servers[0].effective_host, servers[0].effective_port
    return multi


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
    server: Any = None
    previous = signal.getsignal(signal.SIGTERM)

    def _stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        try:
            pool = QueryPool(config.store, config.workers, config.max_memory, config.queue)
        except RuntimeError as err:
            from ..errors import InputError

            raise InputError(config.store, str(err)) from None
        try:
            server = make_server(config, pool, quiet=quiet)
        except OSError as err:
            raise UsageError(f"cannot listen on {config.host}:{config.port} ({err.strerror or err})") from None
        host, port = server.effective_host, server.effective_port
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        if announce is not None:
            announce(f"http://{shown}:{port}{SPARQL_PATH}")
        signal.signal(signal.SIGTERM, _stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.close()
        if pool is not None:
            pool.close()
        lock.release()


__all__ = ["ServerConfig", "QueryPool", "SparqlApp", "make_server", "serve", "negotiate", "Reply"]
