"""Imported graphs confined to their trial (issue 19.1; docs/registry.md, "What an imported model may state").

A model holding one triple about another trial's check is refused at import,
naming the foreign subject; and screening reads each trial's model from its
own graph only, so a store written by another tool cannot rewrite a trial
either (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from ..conftest import EXAMPLES
from .conftest import DATA, run

MODEL = (DATA / "models" / "NCT99999902.ttl").read_text(encoding="utf-8")
FOREIGN = "<https://w3id.org/blinakg/trial/NCT04604691/I5-anc> a bk:InvestigatorJudgementCheck .\n"
BK = "https://w3id.org/blinakg/ontology#"

# (name, what is appended to a valid model, what the message names): each an attack of the audit or its kin.
ATTACKS = [
    ("another trial's check", FOREIGN, "<https://w3id.org/blinakg/trial/NCT04604691/I5-anc>"),
    ("a shared value set", "<https://w3id.org/blinakg/valueset/anc> bk:code [ bk:system <http://loinc.org> ] .\n",
     "<https://w3id.org/blinakg/valueset/anc>"),
    ("an ontology term", "bk:LatestResultCheck bk:label \"x\" .\n", f"<{BK}LatestResultCheck>"),
    ("a trial IRI that only starts like its own",
     "<https://w3id.org/blinakg/trial/NCT999999021/I1> bk:label \"x\" .\n",
     "<https://w3id.org/blinakg/trial/NCT999999021/I1>"),
    ("a schema statement on its own node",
     "<https://w3id.org/blinakg/trial/NCT99999902/I2-anc> <http://www.w3.org/2002/07/owl#sameAs> "
     "<https://w3id.org/blinakg/trial/NCT04604691/I5-anc> .\n", "owl#sameAs"),
    ("a class of its own", "<https://w3id.org/blinakg/trial/NCT99999902/Pass> a "
                           "<http://www.w3.org/2002/07/owl#Class> ; "
                           "<http://www.w3.org/2000/01/rdf-schema#subClassOf> bk:Pass .\n", "subClassOf"),
]


@pytest.mark.parametrize(("name", "extra", "named"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_a_model_stating_what_is_not_its_trial_is_refused(tmp_path: Path, name: str, extra: str, named: str) -> None:
    model = tmp_path / "NCT99999902.ttl"
    model.write_text(MODEL + extra, encoding="utf-8")
    store = tmp_path / "store"
    code, out, err = run("registry", "import", str(model), "--store", str(store))
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert err.startswith(f"blinakg: {model}: a model of NCT99999902 may state only") and named in err, err
    assert len(err.strip().splitlines()) == 1 and not store.exists()


def test_terminology_may_not_rewrite_the_models_value_sets(tmp_path: Path) -> None:
    terms = tmp_path / "site.ttl"
    terms.write_text("@prefix bk: <https://w3id.org/blinakg/ontology#> .\n"
                     "<https://example.org/vs/ferritin> a bk:ValueSet ; bk:label \"ferritin\" .\n"
                     "<https://w3id.org/blinakg/valueset/anc> bk:label \"not ANC\" .\n", encoding="utf-8")
    code, _, err = run("registry", "import", str(terms), "--store", str(tmp_path / "store"))
    assert code == 2 and "<https://w3id.org/blinakg/valueset/anc>" in err and str(terms) in err, err
    assert "ferritin" not in err and not (tmp_path / "store").exists()


def _anc_statuses(report: dict) -> list[str]:
    """NCT04604691's I5 (ANC) status for every patient of a several-trials report."""
    return [c["status"] for p in report["patients"] for t in p["trials"] if t["trial"] == "NCT04604691"
            for c in t["criteria"] if c["id"] == "I5"]


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_screening_reads_each_trial_from_its_own_graph_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            engine: str) -> None:
    """A store written by another tool: the foreign triple is in NCT99999902's graph, and does nothing."""
    store = tmp_path / "store"
    monkeypatch.setenv("BLINAKG_STORE", str(store))
    assert run("registry", "import", str(DATA / "models" / "NCT99999902.ttl"))[0] == 0
    args = ("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "json", "--jobs", "1",
            "--engine", engine, "--trial", "NCT04604691", "--trial", "NCT99999902")
    code, out, err = run(*args)
    assert code == 1, err
    before = _anc_statuses(json.loads(out))
    assert "fail" in before  # the patient with ANC 800/µL
    raw = ox.Store(str(store))
    graph = ox.NamedNode("https://w3id.org/blinakg/graph/trial/NCT99999902")
    raw.add(ox.Quad(ox.NamedNode("https://w3id.org/blinakg/trial/NCT04604691/I5-anc"),
                    ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode(f"{BK}InvestigatorJudgementCheck"), graph))
    raw.flush()
    del raw
    code, out, err = run(*args)
    assert code == 1, err
    assert _anc_statuses(json.loads(out)) == before
