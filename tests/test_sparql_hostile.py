"""Issue 19, point 2: no query reaches the network from a local store, whatever its spelling.

The attacks are data: ``tests/hostile/sparql/*.rq``, each saying on its first
line what must happen (``# expect: refused`` — a federated query, exit 2 / HTTP
400; ``# expect: runs`` — a ``FROM`` / ``FROM NAMED`` that names graphs of the
store and fetches nothing). ``LISTENER`` in them is replaced by the address of
a TCP listener on 127.0.0.1 that records every connection: whatever library
would call out (rdflib in Python, Oxigraph in Rust), nothing may arrive —
through ``query --data``, ``query --store``, ``serve`` and the syntax check.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from blinakg.cli import main
from blinakg.errors import InputError, UsageError
from blinakg.sparql import query as q

from .test_serve import ROOT, free_port, stop, subprocess_env, wait_until_up

ATTACKS_DIR = Path(__file__).parent / "hostile" / "sparql"
ATTACKS = sorted(ATTACKS_DIR.glob("*.rq"))
TURTLE_A = "<urn:x:a1> <urn:x:p> 1 .\n<urn:x:a2> <urn:x:p> 2 .\n"
TURTLE_B = "<urn:x:b1> <urn:x:p> 3 .\n"


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ").strip()


def test_the_attack_files_are_all_there() -> None:
    assert len(ATTACKS) == 28  # pinned: a glob cannot shrink the attacks silently
    assert sum(expectation(p) == "refused" for p in ATTACKS) == 24
    assert {expectation(p) for p in ATTACKS} == {"refused", "runs"}


class Listener:
    """A TCP listener on loopback that records every connection made to it."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = int(self.server.getsockname()[1])
        self.hits: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(1)
                try:
                    self.hits.append(connection.recv(200) or b"(connected)")
                except OSError:
                    self.hits.append(b"(connected)")

    def text(self, path: Path) -> str:
        return path.read_text(encoding="utf-8").replace("LISTENER", f"127.0.0.1:{self.port}")

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sparql-data")
    (folder / "a.ttl").write_text(TURTLE_A, encoding="utf-8")
    (folder / "b.ttl").write_text(TURTLE_B, encoding="utf-8")
    return folder / "a.ttl", folder / "b.ttl"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory, data_files: tuple[Path, Path]) -> Path:
    """The two data files as graphs of an embedded store, each named as ``--data`` names it (its file: IRI)."""
    path = tmp_path_factory.mktemp("sparql-store") / "store"
    store = ox.Store(str(path))
    for file in data_files:
        graph = ox.NamedNode(file.resolve().as_uri())
        store.extend(ox.Quad(t.subject, t.predicate, t.object, graph)
                     for t in ox.parse(path=str(file), format=ox.RdfFormat.TURTLE))
    store.flush()
    del store
    return path


def write_attack(listener: Listener, attack: Path, folder: Path) -> Path:
    target = folder / attack.name
    target.write_text(listener.text(attack), encoding="utf-8")
    return target


def assert_nothing_arrived(listener: Listener) -> None:
    time.sleep(0.3)
    assert listener.hits == []


def test_the_syntax_check_parses_and_never_evaluates(listener: Listener) -> None:
    for attack in ATTACKS:
        text = listener.text(attack)
        if expectation(attack) == "refused":
            with pytest.raises((UsageError, InputError)):
                q.check_syntax(text, attack.name)
        else:
            assert q.check_syntax(text, attack.name) is not None
        # the parse that gives Oxigraph's messages runs for --endpoint too: it never evaluates either
        try:
            q.check_syntax(text, attack.name, local=False)
        except (UsageError, InputError):
            pass
    assert_nothing_arrived(listener)


@pytest.mark.parametrize("where", ["data", "store"])
def test_blinakg_query_reaches_no_listener(where: str, listener: Listener, tmp_path: Path,
                                           data_files: tuple[Path, Path], small_store: Path) -> None:
    source = ["--data", str(data_files[0]), "--data", str(data_files[1])] if where == "data" else \
        ["--store", str(small_store)]
    for attack in ATTACKS:
        code, out, err = run("query", str(write_attack(listener, attack, tmp_path)), "--format", "json", *source)
        if expectation(attack) == "refused":
            assert code == 2 and out == "", (attack.name, err)
            assert ("SERVICE" in err or "syntax error" in err) and "Traceback" not in err, (attack.name, err)
        else:
            assert code == 0, (attack.name, err)
    assert_nothing_arrived(listener)


@pytest.fixture(scope="module")
def endpoint(small_store: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "blinakg.cli", "serve", "--store", str(small_store), "--port", str(port), "--quiet",
         "--timeout", "20", "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env(), cwd=str(ROOT),
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop(process)


def test_serve_reaches_no_listener(endpoint: str, listener: Listener) -> None:
    for attack in ATTACKS:
        response = httpx.post(endpoint, content=listener.text(attack).encode("utf-8"), timeout=60.0,
                              headers={"Content-Type": "application/sparql-query"})
        if expectation(attack) == "refused":
            assert response.status_code == 400, (attack.name, response.text)
        else:
            assert response.status_code == 200, (attack.name, response.text)
    assert_nothing_arrived(listener)


# ---------------------------------------------------------------------------
#  FROM / FROM NAMED: the same dataset rules in every local store
# ---------------------------------------------------------------------------

def rows(out: str) -> set[tuple[str, ...]]:
    import json

    document = json.loads(out)
    names = document["head"]["vars"]
    return {tuple(binding.get(n, {}).get("value", "") for n in names) for binding in document["results"]["bindings"]}


def test_from_and_from_named_name_local_graphs_the_same_way_everywhere(
        tmp_path: Path, data_files: tuple[Path, Path], small_store: Path, endpoint: str) -> None:
    a, b = (f.resolve().as_uri() for f in data_files)
    cases = {
        # FROM: the default graph is that graph alone
        f"SELECT ?s WHERE {{ ?s <urn:x:p> ?o }}": None,
        f"SELECT ?s FROM <{a}> WHERE {{ ?s <urn:x:p> ?o }}": {("urn:x:a1",), ("urn:x:a2",)},
        f"SELECT ?s FROM <{a}> FROM <{b}> WHERE {{ ?s <urn:x:p> ?o }}": {("urn:x:a1",), ("urn:x:a2",), ("urn:x:b1",)},
        # FROM only: no named graph is visible
        f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}": None,
        f"SELECT DISTINCT ?g FROM <{a}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}": set(),
        # FROM NAMED only: an empty default graph, only those named graphs
        f"SELECT ?s FROM NAMED <{b}> WHERE {{ ?s ?p ?o }}": set(),
        f"SELECT DISTINCT ?g FROM NAMED <{b}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}": {(b,)},
        # a graph the store does not hold is empty, never fetched
        "SELECT ?s FROM <http://127.0.0.1:9/nothing.ttl> WHERE { ?s ?p ?o }": set(),
        "SELECT ?g FROM NAMED <urn:x:missing> WHERE { GRAPH ?g { ?s ?p ?o } }": set(),
    }
    for number, (text, expected) in enumerate(cases.items()):
        path = tmp_path / f"q{number}.rq"
        path.write_text(text, encoding="utf-8")
        code, through_data, err = run("query", str(path), "--format", "json",
                                      "--data", str(data_files[0]), "--data", str(data_files[1]))
        assert code == 0, err
        code, through_store, err = run("query", str(path), "--format", "json", "--store", str(small_store))
        assert code == 0, err
        served = httpx.post(endpoint, content=text.encode(), headers={"Content-Type": "application/sparql-query"},
                            timeout=60.0)
        assert served.status_code == 200, served.text
        if expected is not None:
            assert rows(through_data) == expected, text
            assert rows(through_store) == expected, text
            assert rows(served.text) == expected, text
        else:  # the union: --data adds the model and shapes graphs, so only the store and serve agree
            assert rows(through_store) == rows(served.text)
            assert rows(through_store) <= rows(through_data)


# ---------------------------------------------------------------------------
#  Issue 19, point 6: no command writes over what it reads (one rule, cli_safety.output_option)
# ---------------------------------------------------------------------------

def test_no_command_writes_its_output_over_an_input(tmp_path: Path, data_files: tuple[Path, Path],
                                                    small_store: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    terminology = tmp_path / "site.ttl"
    terminology.write_text(TURTLE_B, encoding="utf-8")
    catalogue_file = q.resolve("trial-criteria").label
    attempts = [
        ("query", str(query_file), "--data", str(data_files[0]), "-o", str(query_file)),
        ("query", str(query_file), "--data", str(data_files[0]), "--output", str(data_files[0])),
        ("query", str(query_file), "--data", str(data_files[0]), "--terminology", str(terminology),
         "-o", str(terminology)),
        ("query", "trial-criteria", "--data", str(data_files[0]), "-o", catalogue_file),
        ("query", str(query_file), "--store", str(small_store), "-o", str(small_store / "CURRENT")),
        ("query", str(query_file), "--store", str(small_store), "-o", str(small_store / "answer.csv")),
        ("validate", str(data_files[1]), "--as-of", "2025-03-01", "--terminology", str(terminology),
         "-o", str(terminology)),
    ]
    for attempt in attempts:
        target = Path(attempt[-1])
        before = target.read_bytes() if target.exists() else None
        code, out, err = run(*attempt)
        assert code == 2 and out == "", (attempt, err)
        assert "input" in err or "store folder" in err, err
        assert (target.read_bytes() if target.exists() else None) == before, attempt
    code, _, err = run("query", str(query_file), "--data", str(data_files[0]), "-o", str(tmp_path / "answer.csv"))
    assert code == 0, err
