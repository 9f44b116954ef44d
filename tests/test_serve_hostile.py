"""Issue 12, the endpoint (S1–S3): ``SERVICE`` refused with a 400 that says
why, ``FROM`` / ``FROM NAMED`` honoured, a memory cap per query worker, slow
clients timed out, connections bounded. Issue 19, point 7: the ``Host`` header
checked (DNS rebinding), idle connections never keep a client out, slow
queries never make a cheap one wait (a bounded queue answering 503 at once).
Every server runs on 127.0.0.1 in a subprocess, with bounded waits, and is
always stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pyoxigraph as ox
import pytest

from .test_serve import ROOT, free_port, stop, subprocess_env, wait_until_up

CLIENT_TIMEOUT = 2
MAX_CONNECTIONS = 32


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two graphs of 300 quads each."""
    path = tmp_path_factory.mktemp("hostile-served") / "store"
    store = ox.Store(str(path))
    for graph in ("urn:x:g1", "urn:x:g2"):
        store.extend(ox.Quad(ox.NamedNode(f"{graph}:s{i}"), ox.NamedNode("urn:x:p"), ox.Literal(str(i)),
                             ox.NamedNode(graph)) for i in range(300))
    store.flush()
    del store
    return path


@pytest.fixture(scope="module")
def endpoint(small_store: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "blinakg.cli", "serve", "--store", str(small_store), "--port", str(port), "--quiet",
         "--timeout", "20", "--workers", "2", "--max-memory", "200", "--max-results", "100000",
         "--client-timeout", str(CLIENT_TIMEOUT), "--max-connections", str(MAX_CONNECTIONS),
         "--allow-host", "trusted.example"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env(), cwd=str(ROOT),
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_up(url, process)
        yield url, process
    finally:
        stop(process)


def select(url: str, query: str) -> httpx.Response:
    return httpx.post(url, content=query.encode(), timeout=60.0,
                      headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})


def values(response: httpx.Response, var: str) -> set[str]:
    assert response.status_code == 200, response.text
    return {b[var]["value"] for b in response.json()["results"]["bindings"]}


def test_s1_service_is_refused_with_a_400_that_says_why(endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = endpoint
    for query in ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                  "select * where { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"):
        response = select(url, query)
        assert response.status_code == 400 and "SERVICE" in response.text and "refused" in response.text
    response = httpx.get(url, params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert response.status_code == 400
    # the word in a string or an IRI is no SERVICE clause
    assert select(url, 'ASK { ?s ?p "SERVICE" }').status_code == 200
    assert select(url, "ASK { <urn:SERVICE> ?p ?o }").status_code == 200


def test_s3_from_and_from_named_are_honoured(endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = endpoint
    union = values(select(url, "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"), "s")
    assert len(union) == 600
    only_g1 = values(select(url, "SELECT DISTINCT ?s FROM <urn:x:g1> WHERE { ?s ?p ?o }"), "s")
    assert len(only_g1) == 300 and all(s.startswith("urn:x:g1:") for s in only_g1)
    named = values(select(url, "SELECT DISTINCT ?g FROM NAMED <urn:x:g2> WHERE { GRAPH ?g { ?s ?p ?o } }"), "g")
    assert named == {"urn:x:g2"}
    # the protocol's default-graph-uri wins over FROM (SPARQL 1.1 Protocol, 2.1.4)
    response = httpx.get(url, params={"query": "SELECT DISTINCT ?s FROM <urn:x:g1> WHERE { ?s ?p ?o }",
                                      "default-graph-uri": "urn:x:g2"})
    assert all(s.startswith("urn:x:g2:") for s in values(response, "s"))


def test_s2_a_query_past_the_memory_cap_gets_503_and_the_server_goes_on(
        endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = endpoint
    padding = "x" * 2000
    hungry = (f'SELECT (STRLEN(GROUP_CONCAT(?big)) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . '
              f'BIND(CONCAT(STR(?a), STR(?d), STR(?g), "{padding}") AS ?big) }}')
    response = select(url, hungry)
    assert response.status_code == 503, response.text[:300]
    assert "memory" in response.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select(url, "ASK { ?s ?p ?o }").status_code == 200:
            break
        time.sleep(0.5)
    assert select(url, "ASK { ?s ?p ?o }").status_code == 200


def test_s2_a_lying_content_length_holds_nothing_for_ever(endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = endpoint
    port = int(url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100000\r\n\r\nASK {")
        started = time.monotonic()
        while sock.recv(4096):  # the server closes the connection: recv returns b""
            pass
        waited = time.monotonic() - started
    assert waited < CLIENT_TIMEOUT + 6, waited


def test_s2_idle_connections_are_bounded_and_time_out(endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, process = endpoint
    port = int(url.split(":")[2].split("/")[0])
    idle = []
    try:
        for _ in range(3 * MAX_CONNECTIONS):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        threads = int(next(line.split()[1] for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                           if line.startswith("Threads:")))
        assert threads < 40, threads  # a fixed pool, not a thread per connection
        started = time.monotonic()
        response = httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=60.0)
        assert response.status_code == 200
        assert time.monotonic() - started < 4 * CLIENT_TIMEOUT + 10
    finally:
        for sock in idle:
            sock.close()


# ---------------------------------------------------------------------------
#  Issue 19, point 7
# ---------------------------------------------------------------------------

def raw_request(port: int, host: bytes | None, timeout: float = 20.0) -> bytes:
    """One GET over a bare socket, with the Host header given (or none), HTTP/1.1; the status line."""
    query = "ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
    head = f"GET /sparql?query={query} HTTP/1.1\r\n".encode()
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    head += b"Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


HOST_HEADERS = Path(__file__).parent / "hostile" / "host-headers.txt"


def host_cases(port: int) -> list[tuple[str, str]]:
    """(allow|refuse, Host header) from ``tests/hostile/host-headers.txt``."""
    cases = []
    for line in HOST_HEADERS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            verdict, value = line.split("\t", 1)
            cases.append((verdict, "" if value == "<empty>" else value.replace("PORT", str(port))))
    return cases


def test_host_allowed_follows_the_cases() -> None:
    from blinakg.sparql.server import ServerConfig, allowed_names, host_allowed

    cases = host_cases(7878)
    assert len(cases) == 24  # pinned
    names = allowed_names(ServerConfig(store=Path("."), allowed_hosts=("trusted.example",)))
    for verdict, value in cases:
        assert host_allowed(value, names) is (verdict == "allow"), value
    assert host_allowed("evil.example", frozenset({"*"}))
    assert not host_allowed(None, names)


def test_the_host_header_must_name_this_server(endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = endpoint
    port = port_of(url)
    for verdict, host in host_cases(port):
        status = raw_request(port, host.encode()).split(b" ")[1]
        assert status == b"200" if verdict == "allow" else status in (b"400", b"403"), (host, status)
    assert raw_request(port, None).split(b" ")[1] in (b"400", b"403")
    response = httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, headers={"Host": "evil.example"}, timeout=20.0)
    assert response.status_code == 403 and "--allow-host" in response.text


def test_a_trickling_client_is_closed_within_the_client_timeout(
        endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    """waitress's own timeout counts every byte as activity; a request must be whole within the time."""
    url, _ = endpoint
    with socket.create_connection(("127.0.0.1", port_of(url)), timeout=30) as sock:
        started = time.monotonic()
        request = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
        closed = False
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.25)
            if time.monotonic() - started > CLIENT_TIMEOUT + 8:
                break
        if not closed:
            sock.settimeout(5)
            try:
                closed = sock.recv(100) == b""
            except OSError:
                closed = True
        waited = time.monotonic() - started
    assert closed and waited < CLIENT_TIMEOUT + 8, waited


@pytest.fixture(scope="module")
def patient_endpoint(small_store: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server with a long client timeout (waitress would keep idle connections 60 s),
    few places, one worker and a queue of two."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "blinakg.cli", "serve", "--store", str(small_store), "--port", str(port), "--quiet",
         "--timeout", "6", "--workers", "1", "--queue", "2", "--client-timeout", "60", "--max-connections", "16"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env(), cwd=str(ROOT),
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_up(url, process)
        yield url, process
    finally:
        stop(process)


def test_idle_connections_never_keep_a_client_out(patient_endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = patient_endpoint
    idle = []
    try:
        for _ in range(100):  # six times the places; before issue 19 the query waited for the 60 s timeout
            idle.append(socket.create_connection(("127.0.0.1", port_of(url)), timeout=10))
        time.sleep(1.0)
        started = time.monotonic()
        response = httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30.0)
        assert response.status_code == 200
        assert time.monotonic() - started < 5, time.monotonic() - started
    finally:
        for sock in idle:
            sock.close()


def test_slow_queries_never_make_a_cheap_one_wait(patient_endpoint: tuple[str, subprocess.Popen[bytes]]) -> None:
    """One worker, a queue of two: of eight slow queries one runs, two wait and five get 503 at once;
    a cheap query then gets its answer or a 503 at once, never a wait for the runaways."""
    import concurrent.futures

    url, _ = patient_endpoint
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        def slow(_: int) -> tuple[int, float]:
            started = time.monotonic()
            response = select(url, SLOW_QUERY)
            return response.status_code, time.monotonic() - started

        futures = [pool.submit(slow, i) for i in range(8)]
        time.sleep(1.5)
        started = time.monotonic()
        cheap = httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30.0)
        cheap_wait = time.monotonic() - started
        answers = [f.result(timeout=120) for f in futures]
    assert cheap.status_code == 503 and "busy" in cheap.text and cheap.headers.get("Retry-After"), cheap.text
    assert cheap_wait < 3.5, cheap_wait  # before issue 19 it waited for a runaway: the 6 s limit
    # "at once": well before the 6 s limit (a loaded 2-core machine takes seconds to start eight clients)
    refused_at_once = [s for s, elapsed in answers if s == 503 and elapsed < 4.5]
    assert len(refused_at_once) >= 5, answers
    assert all(status == 503 for status, _ in answers), answers  # the others ran into the 6 s time limit
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the killed worker is replaced and the server goes on
        if httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30.0).status_code == 200:
            break
        time.sleep(0.5)
    assert httpx.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30.0).status_code == 200


SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
