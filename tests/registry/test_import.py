"""`blinakg registry import` and `registry list` (issue 9, parts 1, 2, 5, 6;
contract.md "The registry"): one named graph per trial with provenance, all or
nothing, unchanged trials left alone, changed ones only with --replace, Turtle
trial models checked by the trial-definition shapes."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from blinakg.sparql.store import EmbeddedStore

from .conftest import DATA, run

CONTRACT_KEYS = ["trial", "title", "phase", "status", "min_age", "max_age", "computable", "criteria"]


def listed(store: Path) -> list[dict[str, object]]:
    code, out, err = run("registry", "list", "--store", str(store), "--format", "json")
    assert code == 0, err
    trials: list[dict[str, object]] = json.loads(out)
    return trials


def quads(store: Path) -> set[tuple[str, ...]]:
    embedded = EmbeddedStore(store)
    try:
        return {tuple(str(t) for t in q) for q in embedded.store}
    finally:
        embedded.close()


def test_all_196_records_and_nct04604691_are_listed(registry_store: Path) -> None:
    trials = listed(registry_store)
    assert len(trials) == 197
    assert all(list(t) == CONTRACT_KEYS for t in trials)
    assert all(isinstance(t["criteria"], int) and isinstance(t["computable"], bool) for t in trials)
    by_id = {t["trial"]: t for t in trials}
    assert by_id["NCT04604691"] == {
        "trial": "NCT04604691",
        "title": "Blinatumomab in Pediatric B-cell Acute Lymphoblastic Leukemia (ALL) With Minimal Residual Disease (MRD)",
        "phase": "Phase 1", "status": "Not yet recruiting", "min_age": None, "max_age": "17 Years",
        "computable": True, "criteria": 20}
    assert by_id["NCT02101853"] == {
        "trial": "NCT02101853",
        "title": "Blinatumomab in Treating Younger Patients With Relapsed B-cell Acute Lymphoblastic Leukemia",
        "phase": "Phase 3", "status": "Active, not recruiting", "min_age": "1 Year", "max_age": "30 Years",
        "computable": True, "criteria": 29}
    assert by_id["NCT02435849"]["min_age"] is None and by_id["NCT02435849"]["max_age"] == "25 Years"
    # NCT04604691 and the five trials blinakg has a model of (ontology/trials/): one trial each,
    # the model's criteria with the record's registration facts (docs/registry.md).
    assert sum(1 for t in trials if t["computable"]) == 6


def test_list_as_table_and_csv(registry_store: Path) -> None:
    code, out, err = run("registry", "list", "--store", str(registry_store))
    assert code == 0, err
    assert out.splitlines()[0].split() == CONTRACT_KEYS and len(out.splitlines()) == 198
    code, out, err = run("registry", "list", "--store", str(registry_store), "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == ",".join(CONTRACT_KEYS)
    assert any(line.startswith("NCT04604691,") and line.endswith(",,17 Years,true,20") for line in out.splitlines())


def test_each_trial_is_a_named_graph_with_provenance(registry_store: Path) -> None:
    store = EmbeddedStore(registry_store)
    try:
        result = store.query("""
            PREFIX bk: <https://w3id.org/blinakg/ontology#>
            PREFIX dct: <http://purl.org/dc/terms/>
            PREFIX prov: <http://www.w3.org/ns/prov#>
            SELECT ?g ?source ?format ?date ?at ?hash ?from WHERE { GRAPH ?g {
              ?g a prov:Entity ; dct:subject ?trial ; dct:source ?source ; bk:sourceFormat ?format ;
                 prov:generatedAtTime ?at ; bk:contentHash ?hash ; prov:wasAttributedTo ?software .
              OPTIONAL { ?g bk:recordDate ?date } OPTIONAL { ?g prov:wasDerivedFrom ?from } } }""")
    finally:
        store.close()
    rows = {str(r[0]): r for r in result.rows}
    # 197 trial graphs, and the registration graphs of the five records blinakg has a model of.
    assert len(rows) == 197 + 5
    assert str(rows["https://w3id.org/blinakg/graph/trial/NCT02101853"][2]) == "Turtle trial model"
    row = rows["https://w3id.org/blinakg/graph/registration/NCT02101853"]
    assert str(row[1]).endswith("ctgov-pediatric-acute-leukemia-2021-05-11.zip!"
                                "ctgov-pediatric-acute-leukemia-2021-05-11/NCT02101853.xml")
    assert str(row[2]) == "ClinicalTrials.gov classic XML" and str(row[3]) == "2021-05-11"
    assert str(row[5]).startswith("sha256:") and str(row[6]) == "https://clinicaltrials.gov/study/NCT02101853"
    builtin = rows["https://w3id.org/blinakg/graph/trial/NCT04604691"]
    assert str(builtin[2]) == "Turtle trial model" and str(builtin[1]).endswith("ontology/registry/NCT04604691.ttl")


def test_importing_an_unchanged_trial_again_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, _, err = run("registry", "import", str(DATA / "xml"), str(DATA / "v2" / "NCT99999901.json"),
                       "--store", str(store))
    assert code == 0, err
    assert "4 added, 0 replaced, 0 unchanged" in err
    before = quads(store)
    code, _, err = run("registry", "import", str(DATA / "xml"), str(DATA / "v2" / "NCT99999901.json"),
                       "--store", str(store))
    assert code == 0, err
    assert "0 added, 0 replaced, 4 unchanged" in err
    assert quads(store) == before  # not even the import time


def test_a_changed_trial_needs_replace(tmp_path: Path) -> None:
    store, folder = tmp_path / "store", tmp_path / "records"
    folder.mkdir()
    shutil.copy(DATA / "xml" / "NCT00077493.xml", folder)
    shutil.copy(DATA / "xml" / "NCT02101853.xml", folder)
    assert run("registry", "import", str(folder), "--store", str(store))[0] == 0
    before = quads(store)
    record = folder / "NCT00077493.xml"
    record.write_text(record.read_text(encoding="utf-8").replace("<overall_status>Suspended</overall_status>",
                                                                "<overall_status>Completed</overall_status>"),
                      encoding="utf-8")
    code, out, err = run("registry", "import", str(folder), "--store", str(store))
    assert code == 2 and out == ""
    assert "NCT00077493" in err and "--replace" in err and "Traceback" not in err
    assert quads(store) == before
    code, _, err = run("registry", "import", str(folder), "--store", str(store), "--replace")
    assert code == 0, err
    assert "0 added, 1 replaced, 2 unchanged" in err
    status = {t["trial"]: t["status"] for t in listed(store)}
    assert status["NCT00077493"] == "Completed" and status["NCT02101853"] == "Active, not recruiting"


def test_the_same_trial_twice_in_one_import_is_refused(tmp_path: Path) -> None:
    code, _, err = run("registry", "import", str(DATA / "xml" / "NCT02101853.xml"),
                       str(DATA / "v2" / "NCT02101853.json"), "--store", str(tmp_path / "store"))
    assert code == 2 and "NCT02101853 is also given by" in err
    assert not (tmp_path / "store").exists()


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("notes.xml", b"<notes><note>hello</note></notes>", "not a ClinicalTrials.gov study record"),
    ("NCT0.xml", b"<clinical_study><brief_title>x</brief_title></clinical_study>", "without an NCT ID"),
    ("broken.xml", b"<clinical_study><id_info><nct_id>NCT00000001</nct_id>", "not well-formed XML"),
    ("bundle.json", b'{"resourceType": "Bundle", "entry": []}', "not a ClinicalTrials.gov study record"),
    ("nonct.json", b'{"protocolSection": {"identificationModule": {}}}', "without an NCT ID"),
    ("notxml.xml", b"NCT00000001 is a trial", "not XML"),
    ("entity.xml", b'<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><clinical_study>&x;</clinical_study>',
     "refused"),
])
def test_a_zip_with_one_bad_member_adds_nothing(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    good = (DATA / "xml" / "NCT02101853.xml").read_bytes()
    archive = write_zip(tmp_path / "records.zip", {"records/NCT02101853.xml": good, f"records/{name}": data})
    store = tmp_path / "store"
    code, out, err = run("registry", "import", str(archive), "--store", str(store))
    assert code == 2 and out == ""
    assert f"records.zip!records/{name}" in err and reason in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not store.exists()


def test_a_folder_with_one_bad_file_adds_nothing_to_an_existing_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run("registry", "import", str(DATA / "v2" / "NCT99999901.json"), "--store", str(store))[0] == 0
    before = quads(store)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA / "xml" / "NCT02101853.xml", folder)
    (folder / "zz.json").write_text('{"protocolSection": {}}', encoding="utf-8")
    code, _, err = run("registry", "import", str(folder), "--store", str(store))
    assert code == 2 and "zz.json" in err and "without an NCT ID" in err
    assert quads(store) == before


@pytest.mark.parametrize(("name", "reason"), [
    ("missing.xml", "no such file or folder"), ("notes.txt", "not a study record or trial model")])
def test_files_that_are_not_records(tmp_path: Path, name: str, reason: str) -> None:
    if name.endswith(".txt"):
        (tmp_path / name).write_text("hello", encoding="utf-8")
    code, _, err = run("registry", "import", str(tmp_path / name), "--store", str(tmp_path / "store"))
    assert code == 2 and name in err and reason in err


def test_a_turtle_trial_model_slots_in_beside_imported_records(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, _, err = run("registry", "import", str(DATA / "models" / "NCT99999902.ttl"), str(DATA / "xml"),
                       "--store", str(store))
    assert code == 0, err
    by_id = {t["trial"]: t for t in listed(store)}
    assert by_id["NCT99999902"] == {"trial": "NCT99999902", "title": "Synthetic Turtle Trial Model (not a real trial)",
                                    "phase": "Phase 2", "status": "Recruiting", "min_age": "1 Year",
                                    "max_age": "21 Years", "computable": True, "criteria": 2}
    assert by_id["NCT00077493"]["computable"] is True  # blinakg's own model of it (ontology/trials/)
    assert by_id["NCT02101853"]["computable"] is True


def test_a_broken_trial_model_names_the_file_the_node_and_what_is_missing(tmp_path: Path) -> None:
    path = DATA / "models" / "broken-NCT99999903.ttl"
    code, out, err = run("registry", "import", str(path), "--store", str(tmp_path / "store"))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"blinakg: {path}: not a valid trial definition")
    trial = "https://w3id.org/blinakg/trial/NCT99999903"
    assert f"<{trial}/I1>: the criterion has no text" in err
    assert f"<{trial}/I1>: the criterion has no kind" in err
    assert f"<{trial}/I1-anc>: the latest-result check has no rule" in err
    assert f"<{trial}/I2-platelets>: the check reads a value set that does not exist" in err
    assert not (tmp_path / "store").exists()


def test_a_model_file_must_define_a_trial(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.ttl"
    path.write_text("@prefix ex: <https://example.org/> . ex:a ex:b ex:c .\n", encoding="utf-8")
    code, _, err = run("registry", "import", str(path), "--store", str(tmp_path / "store"))
    assert code == 2 and "no bk:ClinicalTrial" in err
    path.write_text("@prefix ex: <https://example.org/> . ex:a ex:b \n", encoding="utf-8")
    code, _, err = run("registry", "import", str(path), "--store", str(tmp_path / "store"))
    assert code == 2 and "not valid" in err and str(path) in err


def test_list_without_a_store_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("registry", "list", "--store", str(tmp_path / "none"))
    assert code == 2 and "no store here" in err and "registry import" in err


def test_options_that_do_not_go_together(tmp_path: Path) -> None:
    code, _, err = run("registry", "import", str(DATA / "xml"), "--endpoint", "http://127.0.0.1:9/q")
    assert code == 2 and "--graph-store" in err
    code, _, err = run("registry", "import", str(DATA / "xml"), "--store", str(tmp_path), "--endpoint", "http://x/q")
    assert code == 2 and "not both" in err


def test_a_model_with_blank_nodes_is_unchanged_when_imported_again(tmp_path: Path) -> None:
    model = tmp_path / "NCT99999904.ttl"
    model.write_text((DATA / "models" / "NCT99999902.ttl").read_text(encoding="utf-8")
                     .replace("NCT99999902", "NCT99999904")
                     .replace('bk:overallStatus "Recruiting" ;',
                              'bk:overallStatus "Recruiting" ; rdfs:seeAlso [ rdfs:label "a note"@en ] ;')
                     .replace("@prefix bk:", "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix bk:"),
                     encoding="utf-8")
    store = tmp_path / "store"
    code, _, err = run("registry", "import", str(model), "--store", str(store))
    assert code == 0, err
    code, _, err = run("registry", "import", str(model), "--store", str(store))
    assert code == 0 and "0 added, 0 replaced, 2 unchanged" in err, err
    assert any("/graph/trial/NCT99999904/genid/" in q[2] for q in quads(store))


def test_a_model_whose_trial_iri_is_its_own(tmp_path: Path) -> None:
    model = tmp_path / "own.ttl"
    model.write_text((DATA / "models" / "NCT99999902.ttl").read_text(encoding="utf-8")
                     .replace("<https://w3id.org/blinakg/trial/NCT99999902>", "<https://example.org/trials/synthetic>"),
                     encoding="utf-8")
    store = tmp_path / "store"
    assert run("registry", "import", str(model), "--store", str(store))[0] == 0
    assert "NCT99999902" in {t["trial"] for t in listed(store)}


def test_deeply_nested_json_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    code, _, err = run("registry", "import", str(path), "--store", str(tmp_path / "store"))
    assert code == 2 and "deep.json" in err and "Traceback" not in err


def test_blinakgs_own_entry_follows_the_installed_version(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from blinakg.registry import importer

    store = tmp_path / "store"
    assert run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"), "--store", str(store))[0] == 0
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    (builtin / "NCT04604691.ttl").write_text(
        (importer.BUILTIN_DIR / "NCT04604691.ttl").read_text(encoding="utf-8")
        .replace('"Not yet recruiting"', '"Recruiting"'), encoding="utf-8")
    monkeypatch.setattr(importer, "BUILTIN_DIR", builtin)
    code, _, err = run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"), "--store", str(store))
    assert code == 0 and "0 added, 1 replaced, 1 unchanged" in err, err
    assert {t["trial"]: t["status"] for t in listed(store)}["NCT04604691"] == "Recruiting"


def test_the_default_store_is_the_one_validate_and_query_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLINAKG_STORE", raising=False)
    code, _, err = run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"))
    assert code == 0 and "registry .blinakg/store: 2 added" in err, err
    code, out, err = run("query", "registry-trials", "--format", "csv")
    assert code == 0 and "NCT00077493" in out and "NCT04604691" in out
