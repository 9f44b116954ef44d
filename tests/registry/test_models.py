"""Trial models in Turtle and the terminology they read, in the registry (issue 9,
part 6; issue 10): blinakg's computable trials (``ontology/trials/``) import and
list as computable with their criteria; a model's value sets may live in a
terminology file, imported as a graph of its own; a broken model is refused
naming the file and what is wrong, and adds nothing."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

from blinakg.namespaces import BK
from blinakg.readers.rdfio import parse_rdf_file
from blinakg.sparql.store import EmbeddedStore

from ..conftest import EXAMPLES, ROOT
from .conftest import DATA, run
from .test_import import listed, quads

TRIALS = ROOT / "ontology" / "trials"
TRIAL_MODELS = sorted(TRIALS.glob("NCT*.ttl"))
TERMINOLOGY_FILES = sorted(set(TRIALS.glob("*.ttl")) - set(TRIAL_MODELS))  # value sets, tables of limits
TERMINOLOGY = URIRef("https://w3id.org/blinakg/graph/terminology/terminology")


def criteria_of(path: Path) -> tuple[str, int]:
    """The NCT ID and the number of criteria a model file gives its trial (counted from the file)."""
    graph = parse_rdf_file(path)
    (trial,) = set(graph.subjects(RDF.type, BK.ClinicalTrial))
    return str(graph.value(trial, DCTERMS.identifier)), len(set(graph.objects(trial, BK.criterion)))


def stored_graph(store: Path, name: URIRef) -> Graph:
    embedded = EmbeddedStore(store)
    try:
        result = embedded.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")
    finally:
        embedded.close()
    assert result.graph is not None
    return result.graph


def test_the_computable_trials_import_and_list_as_computable_with_their_criteria(tmp_path: Path) -> None:
    assert len(TRIAL_MODELS) >= 5
    store = tmp_path / "store"
    code, out, err = run("registry", "import", str(TRIALS), "--store", str(store))
    assert code == 0 and out == "", err
    assert f"{len(TRIAL_MODELS) + 1} added, 0 replaced, 0 unchanged; terminology: {len(TERMINOLOGY_FILES)} added" in err
    by_id = {t["trial"]: t for t in listed(store)}
    expected = dict(criteria_of(path) for path in TRIAL_MODELS)
    expected["NCT04604691"] = criteria_of(ROOT / "ontology" / "nct04604691.ttl")[1]
    assert {nct: (t["computable"], t["criteria"]) for nct, t in by_id.items()} == \
        {nct: (True, count) for nct, count in expected.items()}
    # One terminology graph, however many trials read it; each trial names it and repeats none of it.
    terminology = stored_graph(store, TERMINOLOGY)
    assert (None, RDF.type, BK.ValueSet) in terminology
    for nct in expected:
        if nct == "NCT04604691":
            continue
        graph = stored_graph(store, URIRef(f"https://w3id.org/blinakg/graph/trial/{nct}"))
        assert (URIRef(f"https://w3id.org/blinakg/graph/trial/{nct}"), DCTERMS.requires, TERMINOLOGY) in graph
        assert not set(graph.subjects(RDF.type, BK.ValueSet))


@pytest.mark.parametrize("path", TRIAL_MODELS, ids=lambda p: p.stem)
def test_each_trial_model_alone_brings_the_terminology_it_reads(tmp_path: Path, path: Path) -> None:
    store = tmp_path / "store"
    code, _, err = run("registry", "import", str(path), "--store", str(store))
    assert code == 0, err
    nct, count = criteria_of(path)
    trial = {t["trial"]: t for t in listed(store)}[nct]
    assert trial["computable"] is True and trial["criteria"] == count
    assert len(stored_graph(store, TERMINOLOGY)) > 0


def test_imported_again_nothing_changes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run("registry", "import", str(TRIALS), "--store", str(store))[0] == 0
    before = quads(store)
    code, _, err = run("registry", "import", str(TRIALS), "--store", str(store))
    assert code == 0 and f"0 added, 0 replaced, {len(TRIAL_MODELS) + 1} unchanged; terminology: 0 added, " \
                          f"0 replaced, {len(TERMINOLOGY_FILES)} unchanged" in err, err
    assert quads(store) == before


def test_nct04604691s_model_keeps_its_registration_facts(tmp_path: Path) -> None:
    builtin, model = tmp_path / "builtin", tmp_path / "model"
    assert run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"), "--store", str(builtin))[0] == 0
    code, _, err = run("registry", "import", str(ROOT / "ontology" / "nct04604691.ttl"), "--store", str(model))
    assert code == 0, err
    own = {t["trial"]: t for t in listed(builtin)}["NCT04604691"]
    assert listed(model) == [own]
    assert own["computable"] is True and own["criteria"] == criteria_of(ROOT / "ontology" / "nct04604691.ttl")[1]
    # The same content as blinakg's own entry: the built-in one is then unchanged.
    code, _, err = run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"), "--store", str(model))
    assert code == 0 and "1 added, 0 replaced, 1 unchanged" in err, err


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "trials"
    shutil.copytree(TRIALS, folder)
    path = folder / "NCT02101853.ttl"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "reason"), [
    ("bk:valueSet vs:direct-bilirubin", "bk:valueSet vs:direct-bilirubine",
     "the check reads a value set that does not exist (no bk:ValueSet of that IRI in the model, the file, or a "
     "terminology file of the import): <https://w3id.org/blinakg/valueset/direct-bilirubine>"),
    ('bk:criterionId "I1" ; bk:order 1 ;', 'bk:criterionId "I1" ;', "the criterion has no order"),
])
def test_a_broken_trial_model_is_refused_and_adds_nothing(tmp_path: Path, old: str, new: str, reason: str) -> None:
    path = _broken_copy(tmp_path, old, new)
    store = tmp_path / "store"
    assert run("registry", "import", str(DATA / "xml"), "--store", str(store))[0] == 0
    before = quads(store)
    code, out, err = run("registry", "import", str(path.parent), "--store", str(store))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"blinakg: {path}: not a valid trial definition: <https://w3id.org/blinakg/trial/NCT02101853/")
    assert reason in err
    assert quads(store) == before


SITE_TERMS = """@prefix bk: <https://w3id.org/blinakg/ontology#> .
@prefix vs: <https://example.org/site/valueset/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix loinc: <https://loinc.org/> .
vs:ferritin a bk:ValueSet ; rdfs:label "ferritin" ; bk:canonicalUnit "ng/mL" ; bk:includesConcept loinc:2276-4 .
"""


def test_a_model_reading_a_terminology_file_of_its_own(tmp_path: Path) -> None:
    model = tmp_path / "NCT99999905.ttl"
    model.write_text((DATA / "models" / "NCT99999902.ttl").read_text(encoding="utf-8")
                     .replace("NCT99999902", "NCT99999905")
                     .replace("bk:valueSet vs:anc", "bk:valueSet <https://example.org/site/valueset/ferritin>"),
                     encoding="utf-8")
    terms = tmp_path / "site-terms.ttl"
    terms.write_text(SITE_TERMS, encoding="utf-8")
    store = tmp_path / "store"
    code, _, err = run("registry", "import", str(model), "--store", str(store))
    assert code == 2 and str(model) in err and "<https://example.org/site/valueset/ferritin>" in err
    assert not store.exists()
    code, _, err = run("registry", "import", str(model), str(terms), "--store", str(store))
    assert code == 0 and "terminology: 1 added" in err, err
    site = URIRef("https://w3id.org/blinakg/graph/terminology/site-terms")
    trial_graph = stored_graph(store, URIRef("https://w3id.org/blinakg/graph/trial/NCT99999905"))
    assert (URIRef("https://w3id.org/blinakg/graph/trial/NCT99999905"), DCTERMS.requires, site) in trial_graph
    assert {t["trial"]: t["computable"] for t in listed(store)}["NCT99999905"] is True
    # Given again, the terminology is unchanged; changed, it needs --replace like a trial.
    terms.write_text(SITE_TERMS.replace('"ferritin"', '"serum ferritin"'), encoding="utf-8")
    code, _, err = run("registry", "import", str(model), str(terms), "--store", str(store))
    assert code == 2 and "terminology/site-terms" in err and "--replace" in err
    code, _, err = run("registry", "import", str(terms), "--store", str(store), "--replace")
    assert code == 0 and "terminology: 0 added, 1 replaced" in err, err
    # Replaced by one that no longer has the value set a stored trial reads: refused, unless the trial comes too.
    before = quads(store)
    terms.write_text(SITE_TERMS.replace("vs:ferritin a", "vs:transferrin a"), encoding="utf-8")
    code, _, err = run("registry", "import", str(terms), "--store", str(store), "--replace")
    assert code == 2 and err.startswith(f"blinakg: {terms}: replaces terminology/site-terms but no longer describes "
                                        "<https://example.org/site/valueset/ferritin> (read by NCT99999905)"), err
    assert quads(store) == before
    code, _, err = run("registry", "import", str(terms), str(model), "--store", str(store), "--replace")
    assert code == 2 and str(model) in err and "<https://example.org/site/valueset/ferritin>" in err


def _graph_formats(store: Path, nct: str) -> dict[str, str]:
    """The stored graphs about one trial (its trial and registration graphs) and their source formats."""
    embedded = EmbeddedStore(store)
    try:
        result = embedded.query("PREFIX bk: <https://w3id.org/blinakg/ontology#> SELECT ?g ?f WHERE { GRAPH ?g { "
                                f'?g bk:sourceFormat ?f }} FILTER (STRENDS(STR(?g), "/{nct}")) }}')
    finally:
        embedded.close()
    return {str(g).rsplit("/", 2)[1]: str(f) for g, f in result.rows}


def _criteria_of_trial(store: Path, nct: str) -> tuple[int, int, int]:
    """(bk:criterion, bk:registeredCriterion, prov:wasDerivedFrom links) of a trial in the union graph."""
    embedded = EmbeddedStore(store)
    try:
        result = embedded.query(
            "PREFIX bk: <https://w3id.org/blinakg/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#> "
            "SELECT (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?r) AS ?m) (COUNT(DISTINCT ?l) AS ?k) WHERE { "
            f"?t <http://purl.org/dc/terms/identifier> \"{nct}\" . "
            "{ ?t bk:criterion ?c } UNION { ?t bk:registeredCriterion ?r } UNION "
            "{ ?t bk:criterion ?l . ?l prov:wasDerivedFrom ?item } }")
    finally:
        embedded.close()
    (row,) = result.rows
    return int(str(row[0])), int(str(row[1])), int(str(row[2]))


def test_a_record_of_a_trial_blinakg_models_is_one_trial_with_the_models_criteria(tmp_path: Path) -> None:
    """Issue 18.5: the record's registration facts and text, the model's criteria, counted once."""
    store = tmp_path / "store"
    nct, count = criteria_of(TRIALS / "NCT00077493.ttl")
    code, _, err = run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"), "--store", str(store))
    assert code == 0 and "2 added" in err, err  # the record, and NCT04604691
    assert _graph_formats(store, nct) == {"trial": "Turtle trial model",
                                          "registration": "ClinicalTrials.gov classic XML"}
    entry = {t["trial"]: t for t in listed(store)}[nct]
    assert entry["criteria"] == count == 36 and entry["computable"] is True
    assert entry["status"] == "Suspended" and entry["min_age"] == "6 Months"  # the record's facts
    criteria, registered, linked = _criteria_of_trial(store, nct)
    assert criteria == count and registered == 48 and 0 < linked <= count
    # The models imported over it: accepted, and unchanged (it is blinakg's own model already).
    before = quads(store)
    code, _, err = run("registry", "import", str(TRIALS), "--store", str(store))
    assert code == 0 and f"{len(TRIAL_MODELS) - 1} added, 0 replaced, 2 unchanged" in err, err
    assert {q for q in quads(store) if nct in str(q[3])} == {q for q in before if nct in str(q[3])}
    code, _, err = run("registry", "import", str(TRIALS), "--store", str(store))
    assert code == 0 and f"0 added, 0 replaced, {len(TRIAL_MODELS) + 1} unchanged" in err, err
    # A record and its model in one import: one trial too.
    other = tmp_path / "other"
    code, _, err = run("registry", "import", str(DATA / "xml" / "NCT00077493.xml"), str(TRIALS / "NCT00077493.ttl"),
                       "--store", str(other))
    assert code == 0 and "2 added" in err, err
    assert {t["trial"]: t["criteria"] for t in listed(other)}[nct] == count


def test_a_model_imported_over_a_stored_record_moves_the_record(tmp_path: Path) -> None:
    """A user's model of a trial whose record is stored: no --replace needed, the record is kept beside it."""
    record = tmp_path / "NCT99999902.json"
    record.write_text((DATA / "v2" / "NCT99999901.json").read_text(encoding="utf-8")
                      .replace("NCT99999901", "NCT99999902"), encoding="utf-8")
    store = tmp_path / "store"
    assert run("registry", "import", str(record), "--store", str(store))[0] == 0
    text_only = {t["trial"]: t for t in listed(store)}["NCT99999902"]
    assert text_only["computable"] is False and text_only["criteria"] > 2
    code, _, err = run("registry", "import", str(DATA / "models" / "NCT99999902.ttl"), "--store", str(store))
    assert code == 0 and "1 replaced" in err, err
    assert _graph_formats(store, "NCT99999902") == {"trial": "Turtle trial model",
                                                    "registration": "ClinicalTrials.gov API v2 JSON"}
    entry = {t["trial"]: t for t in listed(store)}["NCT99999902"]
    assert entry["computable"] is True and entry["criteria"] == 2
    assert _criteria_of_trial(store, "NCT99999902")[:2] == (2, text_only["criteria"])
    # Both again: unchanged, whichever comes first.
    code, _, err = run("registry", "import", str(record), str(DATA / "models" / "NCT99999902.ttl"),
                       "--store", str(store))
    assert code == 0 and "0 added, 0 replaced, 2 unchanged" in err, err


def test_attrition_and_tallies_count_each_criterion_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18.5: after records of modelled trials and `validate --trial all --store`, one row a criterion."""
    store = tmp_path / "store"
    monkeypatch.setenv("BLINAKG_STORE", str(store))
    assert run("registry", "import", str(DATA / "xml"))[0] == 0
    code, _, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "json", "--jobs", "1",
                       "--trial", "all", "--store", str(store), "-o", str(tmp_path / "report.json"))
    assert code == 1, err
    expected = dict(criteria_of(p) for p in TRIAL_MODELS)
    for name in ("cohort-attrition", "criterion-tallies"):
        code, out, err = run("query", name, "--store", str(store), "--format", "json")
        assert code == 0, err
        rows = [{k: v["value"] for k, v in b.items()} for b in json.loads(out)["results"]["bindings"]]
        for nct, count in expected.items():
            mine = [r["criterion"] for r in rows if r["trial"] == nct]
            assert len(mine) == len(set(mine)) == count, (name, nct)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_models_in_a_zip_are_read_by_the_guarded_parser(tmp_path: Path) -> None:
    members = {f"trials/{p.name}": p.read_bytes() for p in sorted(TRIALS.glob("*.ttl"))}
    archive = _zip(tmp_path / "trials.zip", members)
    code, _, err = run("registry", "import", str(archive), "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert sum(1 for t in listed(tmp_path / "store") if t["computable"]) == len(TRIAL_MODELS) + 1
    bad = _zip(tmp_path / "bad.zip", {**members, "trials/cut.ttl": b'@prefix bk: <https://w3id.org/blinakg/ontology#> .\n'
                                                                  b'bk:a bk:b "never closed .\n'})
    code, _, err = run("registry", "import", str(bad), "--store", str(tmp_path / "other"))
    assert code == 2 and err.startswith(f"blinakg: {bad}!trials/cut.ttl:2:") and "not valid TURTLE" in err
    ill = _zip(tmp_path / "ill.zip", {"x.ttl": b'@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n'
                                               b'<urn:a> <urn:b> "many"^^xsd:integer .\n'})
    code, _, err = run("registry", "import", str(ill), "--store", str(tmp_path / "other"))
    assert code == 2 and f"{ill}!x.ttl:2:" in err and "is not a valid xsd:integer" in err
    assert not (tmp_path / "other").exists()


def test_validate_trial_all_screens_what_the_registry_calls_computable(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("BLINAKG_STORE", str(store))
    code, _, err = run("registry", "import", str(TRIALS), str(DATA / "models" / "NCT99999902.ttl"),
                       str(DATA / "xml" / "NCT00077493.xml"))
    assert code == 0, err
    registry = sorted(t["trial"] for t in listed(store) if t["computable"])
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "json", "--jobs", "1",
                         "--trial", "all")
    assert code == 1, err
    report = json.loads(out)
    assert sorted(t["trial"] for t in report["trials"] if t["computable"]) == registry
    assert "NCT99999902" in registry
    for patient in report["patients"]:
        screened = {t["trial"]: t for t in patient["trials"]}
        assert set(screened) == set(registry)
        assert [c["id"] for c in screened["NCT99999902"]["criteria"]] == ["I1", "I2"]


def test_blinakgs_own_models_conform_to_the_definition_shapes() -> None:
    """The import does not re-validate blinakg's own models (ontology/registry/, ontology/trials/): here they are."""
    from blinakg.registry.definitions import check_definition

    context = Graph()
    for path in TERMINOLOGY_FILES:
        context += parse_rdf_file(path)
    own = sorted((ROOT / "ontology" / "registry").glob("*.ttl"))
    assert own
    for path in [*own, *TRIAL_MODELS]:
        check_definition(parse_rdf_file(path), path, context)  # raises InputError naming what is wrong
