"""`blinakg validate --trial … --store` / `--endpoint` (issue 10): a run against several
trials added to a store, its results linked to each trial's criterion IRIs, and the
catalogue answering over it as over the several-trials Turtle report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from blinakg.cli import main
from blinakg.model import TRIALS_DIR
from blinakg.sparql import query as q
from blinakg.sparql.store import (MODEL_GRAPH, TRIAL_SHAPES_GRAPH, TRIALS_GRAPH, EmbeddedStore, MemoryStore,
                                  parse_json_results)

from .conftest import EXAMPLES
from .test_store import external_endpoint  # noqa: F401 (a fixture)

COMPUTABLE = ["NCT04604691", "NCT00077493", "NCT00098839", "NCT00382109", "NCT01700946", "NCT02101853",
              "NCT06607419"]
SIZES = {"NCT04604691": 20, "NCT00077493": 36, "NCT00098839": 36, "NCT00382109": 23, "NCT01700946": 15,
         "NCT02101853": 29, "NCT06607419": 16}
ADDED = "blinakg: added screening run <"


@pytest.fixture(autouse=True)
def no_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No registry store read for text-only trials (never the developer's .blinakg/store)."""
    monkeypatch.setenv("BLINAKG_STORE", str(tmp_path / "no-registry"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def validate(*args: str) -> tuple[int, str, str]:
    return run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--jobs", "1", *args)


def added_run(err: str) -> str:
    line = next(line for line in err.splitlines() if line.startswith(ADDED))
    return line[len(ADDED):line.index(">")]


def rows(name: str, *args: str) -> list[tuple[str, ...]]:
    code, out, err = run("query", name, "--format", "json", *args)
    assert code == 0, err
    return sorted(tuple("" if v is None else str(v) for v in row) for row in parse_json_results(json.loads(out)).rows)


def test_a_run_against_several_trials_is_stored_beside_the_single_trial_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = validate("--trial", "all", "--format", "json", f"--store={store}")
    assert code == 1, err
    several = added_run(err)
    assert [t["trial"] for t in json.loads(out)["trials"]] == COMPUTABLE  # the report is written as without --store
    code, _, err = validate(f"--store={store}")
    assert code == 1, err
    single = added_run(err)
    assert several != single  # the same patients and date: two runs, kept apart

    # One verdict per patient and trial, on that trial's criterion IRIs; NCT04604691's as in the single-trial run.
    verdicts = rows("patient-verdicts", "--store", str(store))
    assert len(verdicts) == 3 + 3 * len(COMPUTABLE)
    assert {r[3] for r in verdicts if r[0] == several} == set(COMPUTABLE)
    alone = {(r[2], r[4:]) for r in verdicts if r[0] == single}
    together = {(r[2], r[4:]) for r in verdicts if r[0] == several and r[3] == "NCT04604691"}
    assert alone == together and ("pat-017", ("ineligible", "1", "0", "1")) in alone
    tallies = rows("criterion-tallies", "--store", str(store), "--param", f"run={several}")
    assert {(t, sum(r[2] == t for r in tallies)) for t in COMPUTABLE} == set(SIZES.items())
    assert all(r[-1] == "3" for r in tallies)

    # The shared graphs: NCT04604691's model as a single-trial run stores it, the other trials
    # and the generated shapes in their own graphs (so a later single-trial run leaves them).
    backend = EmbeddedStore(store)
    try:
        for graph in (MODEL_GRAPH, TRIALS_GRAPH, TRIAL_SHAPES_GRAPH):
            assert backend.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").boolean, graph
        # Every criterion result names a criterion of its patient result's trial, and that criterion has its
        # order and kind in the store (the other trials' from the trials graph).
        orphans = backend.query(f"""PREFIX bk: <https://w3id.org/blinakg/ontology#>
            SELECT ?result WHERE {{ ?pr bk:screening <{several}> ; bk:trial ?trial ; bk:result ?result .
              ?result bk:criterion ?c .
              FILTER NOT EXISTS {{ GRAPH ?g {{ ?trial bk:criterion ?c }} GRAPH ?h {{ ?c bk:order ?o }} }} }}""")
        assert orphans.rows == []
        # Each failing check of the validation report names a shape the store holds.
        missing = backend.query(f"""PREFIX sh: <http://www.w3.org/ns/shacl#>
            PREFIX prov: <http://www.w3.org/ns/prov#>
            SELECT DISTINCT ?shape WHERE {{ <{several}> prov:generated ?report . ?report sh:result ?r .
              ?r sh:sourceShape ?shape . FILTER NOT EXISTS {{ GRAPH <{TRIAL_SHAPES_GRAPH}> {{ ?shape a sh:NodeShape }} }} }}""")
        assert missing.rows == []
    finally:
        backend.close()

    attrition = rows("cohort-attrition", "--store", str(store), "--param", "trial=NCT01700946")
    assert [r[4] for r in sorted(attrition, key=lambda r: int(r[3]))] == [
        *(f"I{i}" for i in range(1, 9)), "E1", "E2", "E3", "E4", "D1", "D2", "R1"]  # R1: the registered ages


def test_adding_the_same_run_twice_is_refused_unless_replace(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, _, err = validate("--trial", "NCT01700946", "--trial", "NCT04604691", f"--store={store}")
    assert code == 1, err
    first = added_run(err)
    # The same trials named in another order: the same run.
    code, out, err = validate("--trial", "NCT04604691", "--trial", "NCT01700946", "--format", "json",
                              f"--store={store}")
    assert code == 2 and out == "" and "already holds screening run" in err and "--replace" in err
    code, _, err = validate("--trial", "NCT04604691", "--trial", "NCT01700946", f"--store={store}", "--replace")
    assert code == 1 and added_run(err) == first
    # Other trials: another run.
    code, _, err = validate("--trial", "NCT01700946", f"--store={store}")
    assert code == 1 and added_run(err) != first  # no shortening fraction on record: indeterminate for ALLR18
    runs = rows("screening-runs", "--store", str(store))
    assert sorted((r[0] == first, r[2]) for r in runs) == [
        (False, "NCT01700946"), (True, "NCT01700946"), (True, "NCT04604691")]


def test_stored_run_answers_as_the_turtle_report(tmp_path: Path) -> None:
    """The catalogue over the stored run gives what it gives over the `--format turtle` report in memory."""
    store, report = tmp_path / "store", tmp_path / "trials.ttl"
    code, _, err = validate("--trial", "all", "--format", "turtle", "--output", str(report), f"--store={store}")
    assert code == 1, err
    cases = [("trial-matches", ("patient=pat-017",)), ("trial-matches", ("verdict=eligible",)),
             ("trial-alternatives", ("patient=pat-017", "ineligibleFor=NCT04604691")),
             ("patient-verdicts", ()), ("criterion-tallies", ("criterion=I5",)),
             ("failing-patients", ("criterion=I5",)), ("patient-statuses", ("patient=pat-023", "trial=NCT02101853")),
             ("cohort-attrition", ("trial=NCT06607419",))]
    memory = MemoryStore([report, EXAMPLES, TRIALS_DIR])  # the other trials' criteria: their order and kind
    for name, params in cases:
        stored = rows(name, "--store", str(store), *(f"--param={p}" for p in params))
        source = q.resolve(name)
        answer = memory.query(q.bind_parameters(source.text, q.parse_params(params), declared=source.parameters))
        expected = sorted(tuple("" if v is None else str(v) for v in row) for row in answer.rows)
        assert stored == expected and stored, (name, params)
    matches = rows("trial-matches", "--store", str(store), "--param", "patient=pat-017")
    assert [(r[1], r[2]) for r in matches] == [
        ("NCT00077493", "indeterminate"), ("NCT00098839", "indeterminate"),
        ("NCT00382109", "eligible"),  # issue 18: total bilirubin in umol/L compared exactly
        ("NCT01700946", "indeterminate"),  # issue 20.3: no shortening fraction on record
        ("NCT02101853", "indeterminate"), ("NCT04604691", "ineligible"), ("NCT06607419", "eligible")]


def test_validate_trial_adds_a_run_to_an_external_endpoint(
        external_endpoint: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811 (the fixture)
    endpoint, graph_store = external_endpoint
    code, _, err = validate("--trial", "all", "--endpoint", endpoint, "--graph-store", graph_store)
    assert code == 1, err
    several = added_run(err)
    code, out, err = validate("--trial", "all", "--endpoint", endpoint, "--graph-store", graph_store)
    assert code == 2 and out == "" and "already holds screening run" in err
    embedded = tmp_path / "store"
    code, _, err = validate("--trial", "all", f"--store={embedded}")
    assert code == 1 and added_run(err) == several
    for name, params in [("trial-matches", ()), ("cohort-attrition", ("trial=NCT00098839",)),
                         ("trial-alternatives", ("patient=pat-017", "ineligibleFor=NCT04604691"))]:
        args = [f"--param={p}" for p in params]
        assert rows(name, "--endpoint", endpoint, *args) == rows(name, "--store", str(embedded), *args), name


def test_a_store_that_cannot_be_written_writes_nothing(tmp_path: Path) -> None:
    """Bad input: one message naming the store, exit 2, no report written."""
    not_a_store, out = tmp_path / "file.txt", tmp_path / "trials.html"
    not_a_store.write_text("not a store", encoding="utf-8")
    code, stdout, err = validate("--trial", "all", "--format", "html", "--output", str(out), f"--store={not_a_store}")
    assert code == 2 and stdout == "" and str(not_a_store) in err and "Traceback" not in err
    assert not out.exists()
