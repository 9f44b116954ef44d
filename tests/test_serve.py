"""`blinakg serve`: the SPARQL 1.1 Protocol over the embedded store, tested against a
live server on loopback (a subprocess) with real clients (httpx, SPARQLWrapper)."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from click.testing import CliRunner
from rdflib import Graph
from SPARQLWrapper import JSON, SPARQLWrapper

from blinakg.sparql import query as q
from blinakg.cli import main
from blinakg.model import load_model
from blinakg.reports.render import run_iri
from blinakg.engine.screen import Screening
from blinakg.sparql.server import ServerConfig, negotiate
from blinakg.sparql.store import EmbeddedStore, StoreTarget, parse_json_results, record_run

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2.0
MAX_RESULTS = 100
BK = "PREFIX bk: <https://w3id.org/blinakg/ontology#>\n"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 90.0) -> None:
    """Poll ``url`` until it answers, the process dies, or ``seconds`` pass (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process we started, and make sure it is gone."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, example_screening: Screening) -> Path:
    path = tmp_path_factory.mktemp("served") / "store"
    record_run(StoreTarget(path=path), example_screening, load_model(), ["examples/patients"])
    return path


SERVE_LOG: dict[str, Path] = {}


@pytest.fixture(scope="module")
def server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`blinakg serve` in a subprocess on a free loopback port; always stopped afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("log") / "serve.log"
    SERVE_LOG["path"] = log
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "blinakg.cli", "serve", "--store", str(store_path), "--port", str(port),
             "--timeout", str(TIMEOUT), "--max-results", str(MAX_RESULTS), "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=handle, env=subprocess_env(), cwd=str(ROOT),
        )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop(process)


def post(url: str, text: str, accept: str | None = None, **kwargs: object) -> httpx.Response:
    headers = {"Content-Type": "application/sparql-query"}
    if accept:
        headers["Accept"] = accept
    return httpx.post(url, content=text.encode("utf-8"), headers=headers, timeout=30.0, **kwargs)  # type: ignore[arg-type]


def embedded_answer(store_path: Path, name: str, *params: str) -> q.QueryResult:
    source = q.resolve(name)
    store = EmbeddedStore(store_path)
    try:
        return store.query(q.bind_parameters(source.text, q.parse_params(params), source.label, source.parameters))
    finally:
        store.close()


# ---------------------------------------------------------------------------
#  Queries and content negotiation
# ---------------------------------------------------------------------------

def test_sparqlwrapper_get_and_post_give_the_catalogue_answers(server: str, store_path: Path) -> None:
    source = q.resolve("criterion-tallies")
    expected = q.normal_rows(embedded_answer(store_path, "criterion-tallies"))
    for method in ("GET", "POST"):
        client = SPARQLWrapper(server)
        client.setMethod(method)
        client.setQuery(source.text)
        client.setReturnFormat(JSON)
        document = client.query().convert()
        assert isinstance(document, dict)
        answer = parse_json_results(document)
        assert len(answer.rows) == 20 and q.normal_rows(answer) == expected


def test_httpx_results_in_every_format(server: str, store_path: Path, example_screening: Screening) -> None:
    text = q.bind_parameters(q.resolve("failing-patients").text, q.parse_params(["criterion=I5"]))
    response = post(server, text, "application/sparql-results+json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    answer = parse_json_results(response.json())
    assert q.normal_rows(answer) == q.normal_rows(embedded_answer(store_path, "failing-patients", "criterion=I5"))
    assert [str(r[4]) for r in answer.rows] == ["pat-017"]

    response = post(server, text, "application/sparql-results+xml")
    assert response.headers["content-type"].startswith("application/sparql-results+xml")
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(response.content)
    assert [v.get("name") for v in root.findall("s:head/s:variable", ns)][:5] == [
        "run", "asOf", "trial", "criterion", "patient"]
    assert root.find("s:results/s:result/s:binding[@name='patient']/s:literal", ns).text == "pat-017"  # type: ignore[union-attr]

    response = post(server, text, "text/csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0][4] == "patient" and rows[1][4] == "pat-017" and rows[1][0] == str(run_iri(example_screening))

    response = post(server, text, "text/tab-separated-values")
    lines = response.text.splitlines()
    assert lines[0].split("\t")[4] == "?patient" and lines[1].split("\t")[4] == '"pat-017"'

    response = httpx.get(server, params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+xml"})
    assert "<boolean>true</boolean>" in response.text
    response = httpx.get(server, params={"query": "ASK { ?s ?p ?o }"})
    assert response.json() == {"head": {}, "boolean": True}


def test_construct_and_describe_as_turtle_or_n_triples(server: str) -> None:
    construct = BK + "CONSTRUCT { ?p a bk:Patient } WHERE { ?p a bk:Patient }"
    turtle = post(server, construct, "text/turtle")
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=turtle.text, format="turtle")) == 3
    ntriples = post(server, construct, "application/n-triples")
    assert ntriples.headers["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=ntriples.text, format="nt")) == 3
    default = post(server, construct)  # no Accept: Turtle
    assert default.headers["content-type"].startswith("text/turtle")
    describe = post(server, "DESCRIBE <https://w3id.org/blinakg/trial/NCT04604691/I5>", "application/n-triples")
    graph = Graph().parse(data=describe.text, format="nt")
    assert any("Absolute neutrophil count" in str(o) for o in graph.objects())


def test_form_post_and_dataset_parameters(server: str) -> None:
    count = BK + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a bk:Patient }"
    response = httpx.post(server, data={"query": count}, timeout=30.0)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "3"
    response = httpx.post(server, data={"query": count,
                                        "default-graph-uri": "https://w3id.org/blinakg/graph/model"}, timeout=30.0)
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "0"
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    names = {b["g"]["value"] for b in httpx.get(server, params={"query": graphs}).json()["results"]["bindings"]}
    assert {"https://w3id.org/blinakg/graph/model", "https://w3id.org/blinakg/graph/shapes"} <= names
    assert len([n for n in names if n.startswith("https://w3id.org/blinakg/run/")]) == 2  # results and data


def test_blinakg_query_against_the_endpoint(server: str, store_path: Path) -> None:
    result = CliRunner().invoke(main, ["query", "patient-statuses", "--param", "patient=pat-023",
                                       "--endpoint", server, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    answer = parse_json_results(json.loads(result.stdout))
    assert q.normal_rows(answer) == q.normal_rows(embedded_answer(store_path, "patient-statuses", "patient=pat-023"))
    assert {str(r[7]) for r in answer.rows} >= {"unknown", "review", "pass"}


# ---------------------------------------------------------------------------
#  Read-only, errors and limits
# ---------------------------------------------------------------------------

def count_triples(server: str) -> str:
    response = httpx.get(server, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
    return str(response.json()["results"]["bindings"][0]["n"]["value"])


def test_updates_are_refused_and_change_nothing(server: str) -> None:
    before = count_triples(server)
    update = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> <urn:x:o> } }"
    refused = [
        httpx.post(server, content=update, headers={"Content-Type": "application/sparql-update"}),
        httpx.post(server, data={"update": update}),
        httpx.get(server, params={"update": update}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all("read-only" in r.text for r in refused)
    as_query = post(server, update)
    assert as_query.status_code == 400
    for method in ("PUT", "DELETE", "PATCH"):
        response = httpx.request(method, server, content=b"<a:a> <a:b> <a:c> .")
        assert response.status_code == 405 and "GET" in response.headers["allow"]
    assert count_triples(server) == before


def test_malformed_queries_and_bad_requests(server: str) -> None:
    response = post(server, "SELECT ?s WHERE { ?s ?p }")
    assert response.status_code == 400 and "malformed query" in response.text
    assert httpx.get(server, params={"nothing": "here"}).status_code == 400
    assert post(server, "ASK { ?s ?p ?o }", "image/png").status_code == 406
    assert httpx.post(server, content=b"ASK {}", headers={"Content-Type": "text/plain"}).status_code == 415
    assert httpx.get(server.replace("/sparql", "/elsewhere")).status_code == 404
    big = "ASK { " + "?s ?p ?o . " * 120000 + "}"
    assert post(server, big).status_code == 413


def test_result_size_limit_is_refused_with_413_not_truncated(server: str) -> None:
    response = post(server, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 413
    assert f"more than {MAX_RESULTS} rows" in response.text and "LIMIT" in response.text
    assert response.headers["x-blinakg-max-results"] == str(MAX_RESULTS)
    assert post(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_RESULTS}").status_code == 200
    assert post(server, "CONSTRUCT WHERE { ?s ?p ?o }").status_code == 413


def test_time_limit_stops_a_runaway_query_and_the_server_goes_on(server: str) -> None:
    started = time.monotonic()
    response = post(server, SLOW)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and "time limit" in response.text
    assert elapsed < TIMEOUT + 5
    deadline = time.monotonic() + 60
    statuses = []
    while time.monotonic() < deadline:  # both workers answer again (the killed one is replaced)
        statuses = [post(server, "ASK { ?s ?p ?o }").status_code for _ in range(4)]
        if statuses == [200] * 4:
            break
        time.sleep(0.5)
    assert statuses == [200] * 4


def test_bound_to_loopback_by_default(server: str) -> None:
    assert ServerConfig(store=Path("x")).host == "127.0.0.1"
    assert server.startswith("http://127.0.0.1:")
    help_text = " ".join(CliRunner().invoke(main, ["serve", "--help"]).stdout.split())
    assert "[default: 127.0.0.1]" in help_text
    assert httpx.get(server.replace("/sparql", "/")).status_code == 200


def test_the_announcement_and_access_log(server: str) -> None:
    httpx.get(server, params={"query": "ASK {}"})
    log = SERVE_LOG["path"].read_text(encoding="utf-8")
    assert f"read-only at {server} (time limit {TIMEOUT:g} s, at most {MAX_RESULTS} results" in log
    assert '"GET /sparql?query=ASK' in log


def test_content_negotiation_rules() -> None:
    assert negotiate(None, graph=False) == ("application/sparql-results+json", "json")
    assert negotiate("text/csv;q=0.5, application/sparql-results+xml", graph=False)[1] == "xml"  # type: ignore[index]
    assert negotiate("text/*", graph=False)[1] == "csv"  # type: ignore[index]
    assert negotiate("application/n-triples;q=0.9, text/turtle", graph=True)[1] == "turtle"  # type: ignore[index]
    assert negotiate("application/sparql-results+json", graph=True) is None
    assert negotiate("*/*;q=0.1", graph=True) == ("text/turtle", "turtle")


def test_serve_without_a_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--store", str(tmp_path / "none"), "--port", "0"])
    assert result.exit_code == 2
    assert "no store here" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_other_folders(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a store")
    result = CliRunner().invoke(main, ["serve", "--store", str(tmp_path), "--port", "0"])
    assert result.exit_code == 2 and "is not a blinakg store" in result.stderr
