"""The registry shared (issue 9, part 5): imported into an external SPARQL 1.1 store
through the Graph Store Protocol (a real `oxigraph serve`), and served by
`blinakg serve` before any screening run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from blinakg.sparql import catalogue
from blinakg.sparql import query as q
from blinakg.sparql.store import parse_json_results

from ..conftest import ROOT
from ..test_serve import free_port, stop, subprocess_env, wait_until_up
from ..test_store import external_endpoint  # noqa: F401  (a fixture: `oxigraph serve`)
from .conftest import DATA, run

INPUTS = [str(DATA / "xml"), str(DATA / "v2" / "NCT99999901.json"), str(DATA / "models" / "NCT99999902.ttl")]


def test_import_into_an_external_store_through_the_graph_store_protocol(
        external_endpoint: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    endpoint, graph_store = external_endpoint
    code, _, err = run("registry", "import", *INPUTS, "--endpoint", endpoint, "--graph-store", graph_store)
    assert code == 0, err
    assert "5 added, 0 replaced, 0 unchanged" in err

    local = tmp_path / "store"
    assert run("registry", "import", *INPUTS, "--store", str(local))[0] == 0
    code, remote_list, err = run("registry", "list", "--endpoint", endpoint, "--format", "json")
    assert code == 0, err
    code, local_list, err = run("registry", "list", "--store", str(local), "--format", "json")
    assert code == 0, err
    assert json.loads(remote_list) == json.loads(local_list)
    assert len(json.loads(remote_list)) == 5

    # One named graph per trial, with its provenance, in the external store.
    graphs = httpx.post(endpoint, content=b"SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a "
                                          b"<http://www.w3.org/ns/prov#Entity> } }",
                        headers={"Content-Type": "application/sparql-query",
                                 "Accept": "application/sparql-results+json"}, timeout=30)
    names = {b["g"]["value"] for b in graphs.json()["results"]["bindings"]}
    assert names == {f"https://w3id.org/blinakg/graph/trial/{n}" for n in
                     ("NCT00077493", "NCT02101853", "NCT04604691", "NCT99999901", "NCT99999902")} | {
        f"https://w3id.org/blinakg/graph/registration/{n}" for n in ("NCT00077493", "NCT02101853")} | {
        f"https://w3id.org/blinakg/graph/terminology/{n}" for n in ("terminology", "age-limits")}

    code, _, err = run("registry", "import", *INPUTS, "--endpoint", endpoint, "--graph-store", graph_store)
    assert code == 0 and "0 added, 0 replaced, 5 unchanged" in err

    changed = tmp_path / "NCT00077493.xml"
    changed.write_text((DATA / "xml" / "NCT00077493.xml").read_text(encoding="utf-8")
                       .replace("<phase>Phase 1</phase>", "<phase>Phase 2</phase>"), encoding="utf-8")
    code, _, err = run("registry", "import", str(changed), "--endpoint", endpoint, "--graph-store", graph_store)
    assert code == 2 and "NCT00077493" in err and "--replace" in err
    code, _, err = run("registry", "import", str(changed), "--endpoint", endpoint, "--graph-store", graph_store,
                       "--replace")
    assert code == 0 and "1 replaced" in err, err

    # The catalogue queries answer the same from the external store.
    for name, params in [("trials-open-to", ("age=1", "sex=male")), ("data-element-thresholds", ()),
                         ("criterion-text-search", ("phrase=bilirubin",))]:
        code, out, err = run("query", name, "--endpoint", endpoint, "--format", "json",
                             *(f"--param={p}" for p in params))
        assert code == 0, err
        code, mine, err = run("query", name, "--store", str(local), "--format", "json",
                              *(f"--param={p}" for p in params))
        assert code == 0, err
        assert q.normal_rows(parse_json_results(json.loads(out))) == q.normal_rows(
            parse_json_results(json.loads(mine))), name


@pytest.fixture()
def registry_only_server(tmp_path: Path) -> Iterator[str]:
    """`blinakg serve` over a store that holds the registry and no screening run."""
    store = tmp_path / "store"
    code, _, err = run("registry", "import", *INPUTS, "--store", str(store))
    assert code == 0, err
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "blinakg.cli", "serve", "--store", str(store), "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env(), cwd=str(ROOT))
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop(process)


def test_serve_starts_with_only_the_registry(registry_only_server: str) -> None:
    answer = httpx.post(registry_only_server, content=catalogue.get("registry-trials").text.encode("utf-8"),
                        headers={"Content-Type": "application/sparql-query",
                                 "Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    trials = {b["trial"]["value"]: b["computable"]["value"] for b in answer.json()["results"]["bindings"]}
    assert trials["NCT04604691"] == "true" and trials["NCT02101853"] == "true" and len(trials) == 5
    # ... and the model: NCT04604691's criteria and checks.
    code, out, err = run("query", "trial-criteria", "--endpoint", registry_only_server, "--format", "json",
                         "--param", "criterion=I5")
    assert code == 0, err
    rows = parse_json_results(json.loads(out)).rows
    # I5 of the computable model (3 checks), and I5 of the models of AALL1331 and NCT00077493 that come with
    # their records (whose own text is registered items, never criteria).
    assert {str(r[0]) for r in rows} == {"NCT04604691", "NCT02101853", "NCT00077493"}
    assert any(str(r[0]) == "NCT04604691" and str(r[6]) == "3" for r in rows)


def test_trial_models_in_an_external_store_answer_as_the_model_does(
        external_endpoint: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    """The computable trials and their terminology through the Graph Store Protocol: `registry list`
    and the trial catalogue queries answer the same from the endpoint, the embedded store, and
    the model files themselves (`--data ontology/trials/`)."""
    endpoint, graph_store = external_endpoint
    trials = str(ROOT / "ontology" / "trials")
    code, _, err = run("registry", "import", trials, "--endpoint", endpoint, "--graph-store", graph_store)
    terminology = set((ROOT / "ontology" / "trials").glob("*.ttl")) - set((ROOT / "ontology" / "trials").glob("NCT*.ttl"))
    assert code == 0 and f"terminology: {len(terminology)} added" in err, err
    local = tmp_path / "store"
    assert run("registry", "import", trials, "--store", str(local))[0] == 0
    code, remote_list, err = run("registry", "list", "--endpoint", endpoint, "--format", "json")
    assert code == 0, err
    code, local_list, err = run("registry", "list", "--store", str(local), "--format", "json")
    assert code == 0, err
    assert json.loads(remote_list) == json.loads(local_list)
    assert all(t["computable"] for t in json.loads(remote_list))
    for name in ("trial-thresholds", "trial-criteria"):
        answers = []
        for where in (("--endpoint", endpoint), ("--store", str(local)), ("--data", trials)):
            code, out, err = run("query", name, *where, "--format", "json")
            assert code == 0, err
            answers.append(q.normal_rows(parse_json_results(json.loads(out))))
        assert answers[0] and answers[0] == answers[1] == answers[2], name
