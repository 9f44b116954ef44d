"""The published terminology (ontology/terminology/, issue 18): the committed Turtle is what the
committed sources give, every value set says where its codes come from, and the refresh script
refuses bad input without writing anything."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from blinakg.model import load_model
from blinakg.namespaces import BK, ONTOLOGY_DIR
from blinakg.readers.relevance import Relevance
from blinakg.terminology import refresh

PROV_DERIVED = URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")
DCT_SOURCE = URIRef("http://purl.org/dc/terms/source")
DCT_DATE = URIRef("http://purl.org/dc/terms/date")
SCT = "http://snomed.info/id/"
RXN = "http://purl.bioontology.org/ontology/RXNORM/"
ICD = "http://purl.bioontology.org/ontology/ICD10CM/"
LNC = "https://loinc.org/"


@pytest.fixture(scope="module")
def model() -> Graph:
    return load_model(trials=True)


def test_refresh_regenerates_exactly_the_committed_file() -> None:
    committed = (ONTOLOGY_DIR / "published-terminology.ttl").read_text(encoding="utf-8")
    assert refresh.build() == committed


def test_check_mode_passes_on_the_committed_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert refresh.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_every_value_set_names_a_source_with_a_version(model: Graph) -> None:
    value_sets = set(model.subjects(RDF.type, BK.ValueSet))
    assert len(value_sets) >= 50
    for value_set in value_sets:
        sources = set(model.objects(value_set, PROV_DERIVED))
        assert sources, f"{value_set} names no source (prov:wasDerivedFrom)"
        for source in sources:
            assert (source, RDF.type, BK.TerminologySource) in model, f"{value_set}: {source} is not described"
            assert model.value(source, DCT_SOURCE) is not None, f"{source} has no dct:source"
            assert model.value(source, OWL.versionInfo) is not None, f"{source} has no owl:versionInfo"


def test_every_published_source_has_url_version_and_retrieval_date(model: Graph) -> None:
    described = {s for s in model.subjects(RDF.type, BK.TerminologySource) if model.value(s, BK.curated) != Literal(True)}
    assert len(described) == 28
    for source in described:
        assert str(model.value(source, DCT_SOURCE)).startswith(("https://", "../shared/spec/"))
        assert model.value(source, DCT_DATE) is not None
        assert int(str(model.value(source, BK.codeCount))) > 0


def test_every_source_file_is_in_the_manifest_and_every_curated_row_cites_its_page() -> None:
    manifest = json.loads(refresh.MANIFEST.read_text(encoding="utf-8"))
    named = {manifest["atc"]["file"]} | {s["file"] for s in manifest["sources"]}
    on_disk = {f"sources/{p.name}" for p in (refresh.TERMINOLOGY_DIR / "sources").glob("*.csv")}
    assert named == on_disk
    with (refresh.TERMINOLOGY_DIR / manifest["atc"]["file"]).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            assert row["cite"] == f"https://www.whocc.no/atc_ddd_index/?code={row['atc']}"


@pytest.mark.parametrize(("code", "top"), [
    (RXN + "1731354", "http://purl.bioontology.org/ontology/ATC/L01"),       # cytarabine Injection (SCD)
    (RXN + "206832", "http://purl.bioontology.org/ontology/ATC/L01"),        # etoposide [Vepesid] (SBD)
    (RXN + "1734919", "http://purl.bioontology.org/ontology/ATC/L01"),       # Synthea's cyclophosphamide order
    (RXN + "596881", "http://purl.bioontology.org/ontology/ATC/L01AD"),      # carmustine [BiCNU]: a nitrosourea
    (RXN + "1657866", "http://purl.bioontology.org/ontology/ATC/L01F"),      # rituximab [Rituxan]
    (RXN + "1597267", RXN + "1597258"),                                      # Blincyto under blinatumomab
    (RXN + "105585", "http://purl.bioontology.org/ontology/ATC/L01BA"),     # methotrexate 2.5 MG Oral Tablet (CIBMTR GVHD)
    (RXN + "404589", "http://purl.bioontology.org/ontology/ATC/L01E"),       # imatinib 400 MG Oral Tablet [Gleevec]
    (RXN + "1177781", RXN + "475342"),                                       # Sprycel Oral Product under dasatinib
    (RXN + "1180664", "http://purl.bioontology.org/ontology/ATC/L04AD"),     # Prograf Pill: a calcineurin inhibitor
    (RXN + "1204", "http://purl.bioontology.org/ontology/ATC/L04AA03"),      # ATGAM: equine anti-thymocyte globulin
    (RXN + "1806666", "http://purl.bioontology.org/ontology/ATC/L01BB"),     # clofarabine Injection
    (SCT + "703423002", SCT + "108290001"),                                  # combined chemo-radiation: radiotherapy
    (SCT + "703423002", SCT + "367336001"),                                  # ... and chemotherapy
    (SCT + "93880001", SCT + "363346000"),                                   # primary lung cancer: malignant
    (SCT + "62479008", SCT + "86406008"),                                    # AIDS under HIV infection
    (ICD + "Z21", SCT + "86406008"),                                         # HIV status (VSAC)
    (LNC + "8812-0", LNC + "10230-1"),                                       # LVEF by nuclear blood pool (MUGA)
    (LNC + "18043-0", LNC + "10230-1"),                                      # LVEF by US
    (LNC + "8811-2", LNC + "10230-1"),                                       # LVEF by MR
    (LNC + "59408-5", LNC + "2708-6"),                                       # SpO2 by pulse oximetry (FHIR R4 vitals)
    (LNC + "59417-6", LNC + "2708-6"),                                       # SpO2 resting (VSAC pulse oximetry)
    (LNC + "6690-2", LNC + "26464-8"),                                       # WBC by automated count
    (LNC + "29435-5", LNC + "18051-3"),                                      # LV fractional shortening, M-mode (DICOM)
])
def test_published_codes_lie_under_the_concepts_the_value_sets_name(model: Graph, code: str, top: str) -> None:
    assert URIRef(top) in set(model.transitive_objects(URIRef(code), SKOS.broader))


def test_loinc_grouping_codes_carry_their_published_labels_and_nothing_is_under_itself(model: Graph) -> None:
    assert model.value(URIRef(LNC + "10230-1"), SKOS.prefLabel) == Literal("Left ventricular Ejection fraction")
    assert model.value(URIRef(LNC + "89247-1"), SKOS.prefLabel) == Literal("ECOG Performance Status score")
    assert model.value(URIRef(LNC + "89243-0"), SKOS.prefLabel) == Literal("Karnofsky Performance Status score")
    for code in ("10230-1", "2708-6", "26464-8", "18051-3", "89247-1", "89243-0"):
        assert (URIRef(LNC + code), SKOS.broader, URIRef(LNC + code)) not in model
    # the buffy-coat count is listed by the VSAC WBC value set but is not a count in blood
    assert URIRef(LNC + "26464-8") not in set(model.transitive_objects(URIRef(LNC + "92635-2"), SKOS.broader))


def test_relevance_compiles_the_published_codes(model: Graph) -> None:
    relevance = Relevance(model)
    assert relevance.matters(RXN + "1731354")
    assert relevance.matters(SCT + "33195004")
    assert relevance.matters(RXN + "105585")  # methotrexate tablet: a systemic chemotherapy washout reads it
    assert not relevance.matters(RXN + "308971")  # carbamazepine (Synthea's epilepsy module): no criterion


def _copy_terminology(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ontology" / "terminology"
    shutil.copytree(refresh.TERMINOLOGY_DIR, folder)
    shutil.copy(ONTOLOGY_DIR / "published-terminology.ttl", tmp_path / "ontology" / "published-terminology.ttl")
    monkeypatch.setattr(refresh, "MANIFEST", folder / "manifest.json")
    return folder


def test_a_malformed_source_is_refused_with_exit_2_and_nothing_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    output = tmp_path / "ontology" / "published-terminology.ttl"
    before = output.read_bytes()
    (folder / "sources" / "synthea-aml.csv").write_text("system,code,display,ingredient\nSNOMED,not a code,x,\n")
    assert refresh.main([]) == 2
    err = capsys.readouterr().err
    assert "synthea-aml.csv:2" in err and "'not a code' is not a code" in err
    assert output.read_bytes() == before


def test_an_under_concept_no_source_lists_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    source = next(s for s in manifest["sources"] if s["id"] == "vsac-ejection-fraction")
    source["under"] = ["https://loinc.org/99999-9"]  # a test code no source lists
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    output = tmp_path / "ontology" / "published-terminology.ttl"
    before = output.read_bytes()
    assert refresh.main([]) == 2
    err = capsys.readouterr().err
    assert "'vsac-ejection-fraction' places its codes under https://loinc.org/99999-9" in err
    assert "neither the hand-written terminology declares nor a source lists" in err
    assert output.read_bytes() == before


def test_a_loinc_under_concept_a_source_lists_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    with (folder / "sources" / "vsac-ejection-fraction.csv").open("a") as handle:
        handle.write("LOINC,99999-9,a test code,\n")
    assert refresh.main([]) == 0
    text = (tmp_path / "ontology" / "published-terminology.ttl").read_text()
    assert '<https://loinc.org/99999-9> a skos:Concept ;\n    skos:prefLabel "a test code" ;\n' \
        '    skos:broader <https://loinc.org/10230-1> ;' in text


def test_an_unknown_ingredient_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    with (folder / "sources" / "synthea-breast-chemotherapy.csv").open("a") as handle:
        handle.write("RxNorm,1,aspirin 81 MG Oral Tablet,aspirin\n")
    assert refresh.main([]) == 2
    assert "ingredient 'aspirin' of RxNorm 1 has no row in the ATC table" in capsys.readouterr().err


def test_check_mode_reports_an_out_of_date_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    with (folder / "sources" / "synthea-breast-radiation.csv").open("a") as handle:
        handle.write("SNOMED,1287742003,Radiotherapy (procedure),\n")
    assert refresh.main(["--check"]) == 1
    assert refresh.main([]) == 0
    assert "<http://snomed.info/id/1287742003> a skos:Concept" in (tmp_path / "ontology" / "published-terminology.ttl").read_text()
    assert refresh.main(["--check"]) == 0


def test_import_of_a_newer_fhir_valueset_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    newer = tmp_path / "ValueSet-hiv.json"
    newer.write_text(json.dumps({"resourceType": "ValueSet", "version": "20250101", "expansion": {"contains": [
        {"system": "http://snomed.info/sct", "code": "86406008", "display": "HIV infection (disorder)"},
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z21", "display": "HIV status"}]}}))
    assert refresh.main(["--import", "vsac-hiv", str(newer)]) == 0
    assert (folder / "sources" / "vsac-hiv.csv").read_text().splitlines() == [
        "system,code,display,ingredient", "SNOMED,86406008,HIV infection (disorder),", "ICD10CM,Z21,HIV status,"]
    text = (tmp_path / "ontology" / "published-terminology.ttl").read_text()
    assert "62479008" not in text and "bk:codeCount 2 ;" in text


def test_import_of_an_fsh_rxnorm_value_set_keeps_the_ingredients(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    fsh = tmp_path / "med-carmustine-valueset.fsh"
    fsh.write_text('ValueSet: RxNormCarmustineVS\n* $RXN#2105      "carmustine"\n* $RXN#343027    "BiCNU"\n'
                   '* $RXN#9999999\t"carmustine 50 MG Injection"\n')
    assert refresh.main(["--import", "cibmtr-carmustine", str(fsh)]) == 0
    assert (folder / "sources" / "cibmtr-carmustine.csv").read_text().splitlines()[1:] == [
        "RxNorm,2105,carmustine,", "RxNorm,343027,BiCNU,2105", "RxNorm,9999999,carmustine 50 MG Injection,2105"]


def test_a_bad_import_leaves_the_source_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy_terminology(tmp_path, monkeypatch)
    before = (folder / "sources" / "vsac-hiv.csv").read_bytes()
    bad = tmp_path / "ValueSet.json"
    bad.write_text(json.dumps({"resourceType": "ValueSet", "expansion": {"contains": [
        {"system": "http://example.org/local", "code": "X1"}]}}))
    assert refresh.main(["--import", "vsac-hiv", str(bad)]) == 2
    assert "code system blinakg does not read: X1" in capsys.readouterr().err
    assert (folder / "sources" / "vsac-hiv.csv").read_bytes() == before
