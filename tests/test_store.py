"""The store: screening runs kept between runs in the embedded pyoxigraph store
(and in an external endpoint), never overwritten silently."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from blinakg.sparql import query as q
from blinakg.cli import main
from blinakg.errors import InputError
from blinakg.model import load_model
from blinakg.reports.render import render_turtle, run_iri
from blinakg.engine.screen import Screening
from blinakg.sparql.store import (MODEL_GRAPH, SHAPES_GRAPH, EmbeddedStore, MemoryStore, StoreTarget, data_graph_iri,
                           default_store_path, parse_json_results, record_run)

from .conftest import EXAMPLES
from .test_serve import free_port, stop, wait_until_up

BK = "PREFIX bk: <https://w3id.org/blinakg/ontology#>\n"
PAT001 = EXAMPLES / "pat-001-eligible.ttl"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def comparable(report: dict[str, object]) -> str:
    """A JSON report with each evidence list sorted (the engine does not fix their order)."""
    for patient in report["patients"]:  # type: ignore[attr-defined]
        for criterion in patient["criteria"]:
            criterion["evidence"] = sorted(criterion["evidence"], key=json.dumps)
    return json.dumps(report, sort_keys=True)


def ask(store: EmbeddedStore, text: str) -> bool:
    return bool(store.query(text).boolean)


def later(screening: Screening, days: int) -> Screening:
    """The same cohort screened D + days later (for the layout only: statuses are not recomputed)."""
    return dataclasses.replace(screening, as_of=screening.as_of + dt.timedelta(days=days))


@pytest.fixture()
def store_path(tmp_path: Path, example_screening: Screening) -> Path:
    path = tmp_path / "store"
    record_run(StoreTarget(path=path), example_screening, load_model(), [EXAMPLES / "pat-001-eligible.ttl"])
    return path


def test_a_run_is_stored_as_named_graphs_with_provenance(store_path: Path, example_screening: Screening) -> None:
    run = run_iri(example_screening)
    store = EmbeddedStore(store_path)
    try:
        names = {str(g.value) for g in store.store.named_graphs()}
        assert names == {str(MODEL_GRAPH), str(SHAPES_GRAPH), str(run), str(data_graph_iri(run))}
        assert ask(store, BK + f"ASK {{ GRAPH <{run}> {{ ?r a bk:CriterionResult ; bk:statusOf bk:Fail }} }}")
        assert ask(store, BK + f"ASK {{ GRAPH <{data_graph_iri(run)}> {{ ?o bk:sourceRecord \"Observation/obs-9\" }} }}")
        assert ask(store, BK + f"ASK {{ GRAPH <{MODEL_GRAPH}> {{ ?c bk:criterionId \"I5\" }} }}")
        assert ask(store, f"ASK {{ GRAPH <{SHAPES_GRAPH}> {{ ?s a <http://www.w3.org/ns/shacl#NodeShape> }} }}")
        assert not ask(store, "ASK { ?s ?p ?o MINUS { GRAPH ?g { ?s ?p ?o } } }")  # nothing in the default graph
        provenance = store.query(f"""
            PREFIX dct: <http://purl.org/dc/terms/>
            PREFIX prov: <http://www.w3.org/ns/prov#>
            PREFIX owl: <http://www.w3.org/2002/07/owl#>
            SELECT ?asOf ?created ?source ?version ?data WHERE {{ GRAPH <{run}> {{
              <{run}> <https://w3id.org/blinakg/ontology#asOf> ?asOf ; dct:created ?created ; dct:source ?source ;
                      prov:wasAttributedTo ?software ; prov:used ?data .
              ?software owl:versionInfo ?version }} }}""")
        [(as_of, created, source, version, data)] = provenance.rows
        assert str(as_of) == "2025-03-01" and str(source).endswith("pat-001-eligible.ttl")
        assert str(version) == "0.1.0" and str(data) == str(data_graph_iri(run))
        assert dt.datetime.fromisoformat(str(created)).tzinfo is not None
    finally:
        store.close()


def test_adding_a_run_twice_is_refused_unless_replace(store_path: Path, example_screening: Screening) -> None:
    with pytest.raises(InputError, match="already holds screening run .* pass --replace"):
        record_run(StoreTarget(path=store_path), example_screening, load_model())
    record_run(StoreTarget(path=store_path, replace=True), example_screening, load_model(), ["again.ttl"])
    record_run(StoreTarget(path=store_path), later(example_screening, 7), load_model())
    store = EmbeddedStore(store_path)
    try:
        runs = store.query(q.resolve("screening-runs").text)
        assert [(str(r[1]), int(str(r[5]))) for r in runs.rows] == [("2025-03-01", 1), ("2025-03-08", 0)]
        sources = store.query("SELECT ?s WHERE { ?run <http://purl.org/dc/terms/source> ?s "
                              "FILTER (STRSTARTS(STR(?run), 'https://w3id.org/blinakg/run/')) }")
        assert [str(r[0]) for r in sources.rows] == ["again.ttl"]  # replaced, not merged
        count = store.query(BK + "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?run { ?r a bk:CriterionResult } }")
        assert str(count.rows[0][0]) == "120"  # two runs kept apart: 2 x 3 patients x 20 criteria
    finally:
        store.close()


def test_validate_store_adds_a_run_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    store = tmp_path / "runs"
    plain = run("validate", str(PAT001), "--as-of", "2025-03-01", "--format", "json")
    code, out, err = run("validate", str(PAT001), "--as-of", "2025-03-01", "--format", "json", f"--store={store}")
    assert code == 0 and comparable(json.loads(out)) == comparable(json.loads(plain[1]))  # the report is unchanged
    assert "added screening run <https://w3id.org/blinakg/run/2025-03-01-" in err and str(store) in err

    code, out, err = run("validate", str(PAT001), "--as-of", "2025-03-01", "--store", str(store))
    assert code == 2 and out == ""  # nothing written, as for any bad input
    assert err.startswith(f"blinakg: {store}: already holds screening run") and "--replace" in err

    code, out, err = run("validate", str(PAT001), "--as-of", "2025-03-01", "--store", str(store), "--replace")
    assert code == 0 and "ELIGIBLE" in out

    code, out, err = run("query", "patient-verdicts", "--store", str(store), "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[1].endswith(",https://example.org/hospital/pat-001,NCT04604691,eligible,0,0,1")


def test_default_store_location_and_environment(store_path: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLINAKG_STORE", raising=False)
    assert default_store_path() == Path(".blinakg/store")
    code, out, err = run("query", "trial-criteria", env={"BLINAKG_STORE": str(store_path)})
    assert code == 0 and "(20 rows)" in out, err

    work = tmp_path / "work"
    (work / ".blinakg").mkdir(parents=True)
    shutil.copytree(store_path, work / ".blinakg" / "store", ignore=shutil.ignore_patterns("LOCK", "blinakg.lock"))
    monkeypatch.chdir(work)
    code, out, err = run("query", "criterion-tallies", "--param", "criterion=I5")
    assert code == 0, err
    assert out.splitlines()[2].split()[-5:] == ["2", "1", "0", "0", "3"]


def test_missing_or_foreign_store_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLINAKG_STORE", raising=False)
    code, out, err = run("query", "trial-criteria")
    assert code == 2 and out == ""
    assert err.strip() == ("blinakg: .blinakg/store: no store here; add a screening run first with "
                           "`blinakg validate PATHS --store` (or trials with `blinakg registry import PATHS`), "
                           "or query files with --data")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    code, _, err = run("query", "trial-criteria", "--store", str(tmp_path / "notes"))
    assert code == 2 and "is not a blinakg store" in err
    with pytest.raises(InputError, match="is a file"):
        EmbeddedStore(tmp_path / "notes" / "todo.txt", writable=True)


def test_no_run_is_added_while_the_store_is_read(store_path: Path, example_screening: Screening) -> None:
    reader = EmbeddedStore(store_path)
    try:
        with pytest.raises(InputError, match="in use"):
            record_run(StoreTarget(path=store_path, replace=True), example_screening, load_model())
    finally:
        reader.close()
    record_run(StoreTarget(path=store_path, replace=True), example_screening, load_model())


def test_store_answers_equal_the_report_and_data_in_memory(store_path: Path, example_screening: Screening,
                                                           tmp_path: Path) -> None:
    """Named graphs in a store, or one report file plus the data: the same answers
    (apart from the provenance only a store records)."""
    report, patients = tmp_path / "report.ttl", tmp_path / "patients.nt"
    report.write_text(render_turtle(example_screening), encoding="utf-8")
    example_screening.data_graph.serialize(patients, format="nt", encoding="utf-8")
    memory = MemoryStore([report, patients])
    store = EmbeddedStore(store_path)
    try:
        for query in q.listed_queries():
            if query.id == "screening-runs":
                continue
            assert q.normal_rows(store.query(query.text)) == q.normal_rows(memory.query(query.text)), query.id
    finally:
        store.close()


# ---------------------------------------------------------------------------
#  An external SPARQL 1.1 store: an `oxigraph serve` process
# ---------------------------------------------------------------------------

def oxigraph_binary() -> str | None:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which("oxigraph", path=path)


@pytest.fixture()
def external_endpoint(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`oxigraph serve` on a free loopback port, union default graph; always stopped."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server (PyPI package `oxigraph`) is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "oxigraph"), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/query?query=ASK%7B%7D", process)
        yield f"{base}/query", f"{base}/store"
    finally:
        stop(process)


def test_validate_and_query_against_an_external_endpoint(external_endpoint: tuple[str, str],
                                                         example_screening: Screening, tmp_path: Path) -> None:
    endpoint, graph_store = external_endpoint
    code, _, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--endpoint", endpoint,
                       "--graph-store", graph_store)
    assert code == 1, err
    assert f"added screening run <{run_iri(example_screening)}> to {endpoint}" in err

    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--endpoint", endpoint,
                         "--graph-store", graph_store)
    assert code == 2 and out == "" and "already holds screening run" in err

    embedded = tmp_path / "store"
    record_run(StoreTarget(path=embedded), example_screening, load_model())
    local = EmbeddedStore(embedded)
    try:
        for name, params in [("criterion-tallies", ()), ("failing-patients", ("criterion=I5",)),
                             ("records-ignored", ()), ("patient-statuses", ("patient=pat-023",))]:
            code, out, err = run("query", name, "--endpoint", endpoint, "--format", "json",
                                 *(f"--param={p}" for p in params))
            assert code == 0, err
            source = q.resolve(name)
            expected = local.query(q.bind_parameters(source.text, q.parse_params(params), declared=source.parameters))
            assert q.normal_rows(parse_json_results(json.loads(out))) == q.normal_rows(expected), name
    finally:
        local.close()


def test_endpoint_options_that_do_not_go_together(tmp_path: Path) -> None:
    code, _, err = run("validate", str(PAT001), "--graph-store", "http://127.0.0.1:9/store")
    assert code == 2 and "--graph-store goes with --endpoint" in err
    code, _, err = run("validate", str(PAT001), "--replace")
    assert code == 2 and "--replace goes with --store or --endpoint" in err
    code, _, err = run("validate", str(PAT001), "--as-of", "2025-03-01", "--endpoint", "http://127.0.0.1:9/query")
    assert code == 2 and "needs --graph-store" in err
    code, _, err = run("query", "trial-criteria", "--endpoint", f"http://127.0.0.1:{free_port()}/sparql")
    assert code == 2 and "cannot reach the endpoint" in err


def test_oxigraph_store_terms_round_trip() -> None:
    from blinakg.sparql.store import from_oxigraph, to_oxigraph
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import XSD

    for term in (URIRef("urn:x:1"), BNode("b1"), Literal("x"), Literal("x", lang="en"),
                 Literal("1.50", datatype=XSD.decimal, normalize=False)):
        back = from_oxigraph(to_oxigraph(term))
        assert back == term and str(back) == str(term)
    assert isinstance(to_oxigraph(Literal("x")), ox.Literal)


def test_attrition_and_eligible_by_date_over_stored_runs(store_path: Path, example_screening: Screening) -> None:
    """Issue 11: cohort attrition and the patients eligible by a date, over every run a store holds."""
    record_run(StoreTarget(path=store_path), later(example_screening, 7), load_model())
    store = EmbeddedStore(store_path)
    try:
        rows = store.query(q.resolve("cohort-attrition").text).rows
        assert len(rows) == 40 and {str(r[1]) for r in rows} == {"2025-03-01", "2025-03-08"}
        assert all(int(str(r[11])) == 3 for r in rows)
        i5 = [int(str(r[6])) for r in rows if str(r[4]) == "I5"]
        assert i5 == [2, 2]
        eligible = store.query(q.bind_parameters(q.resolve("eligible-by-date").text,
                                                 q.parse_params(["date=2025-03-01"]))).rows
        assert sorted(str(r[1]) for r in eligible) == ["2025-03-01", "2025-03-08"]
        assert {str(r[3]) for r in eligible} == {"https://example.org/hospital/pat-001"}
    finally:
        store.close()
