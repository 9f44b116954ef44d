"""The FHIR R4 JSON reader (blinakg.readers.fhir): every data element of fhir-input.md,
every quirk of real exports, and every kind of bad FHIR.

Fixtures live in tests/fhir/: ``elements/`` one file per data element,
``quirks/`` one file per quirk, ``bad/`` one file per kind of bad FHIR.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from blinakg.errors import InputError
from blinakg.readers.fhir import FHIR_RESOURCE_IRI, FhirLift, code_iri_table, read_fhir_file
from blinakg.model import load_model
from blinakg.namespaces import BK

FIXTURES = Path(__file__).parent / "fhir"
ELEMENTS = FIXTURES / "elements"
QUIRKS = FIXTURES / "quirks"
BAD = FIXTURES / "bad"

PREFIXES = """
PREFIX bk: <https://w3id.org/blinakg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX loinc: <https://loinc.org/>
PREFIX sct: <http://snomed.info/id/>
PREFIX icd: <http://purl.bioontology.org/ontology/ICD10CM/>
PREFIX rxn: <http://purl.bioontology.org/ontology/RXNORM/>
PREFIX atc: <http://purl.bioontology.org/ontology/ATC/>
PREFIX ncit: <http://purl.obolibrary.org/obo/NCIT_>
PREFIX v3oi: <http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation/>
PREFIX scope: <http://terminology.hl7.org/CodeSystem/consentscope/>
PREFIX local: <https://w3id.org/blinakg/code/>
PREFIX pat: <https://w3id.org/blinakg/fhir/Patient/>
PREFIX obs: <https://w3id.org/blinakg/fhir/Observation/>
PREFIX cond: <https://w3id.org/blinakg/fhir/Condition/>
PREFIX proc: <https://w3id.org/blinakg/fhir/Procedure/>
PREFIX ma: <https://w3id.org/blinakg/fhir/MedicationAdministration/>
PREFIX ms: <https://w3id.org/blinakg/fhir/MedicationStatement/>
PREFIX mr: <https://w3id.org/blinakg/fhir/MedicationRequest/>
PREFIX ai: <https://w3id.org/blinakg/fhir/AllergyIntolerance/>
PREFIX consent: <https://w3id.org/blinakg/fhir/Consent/>
"""

# XSD datatypes (rdflib's XSD namespace object trips pytest's collection, which probes module attributes).
_XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_DATE = URIRef(_XSD + "date")
XSD_DATETIME = URIRef(_XSD + "dateTime")
XSD_GYEARMONTH = URIRef(_XSD + "gYearMonth")
XSD_DECIMAL = URIRef(_XSD + "decimal")

RECORD_CLASSES = (BK.Observation, BK.Condition, BK.Procedure, BK.MedicationUse, BK.AllergyIntolerance, BK.Consent)


@pytest.fixture(scope="module")
def model() -> Graph:
    return load_model()


def lift(path: Path, model: Graph) -> FhirLift:
    return read_fhir_file(path, model)


def ask(graph: Graph, pattern: str) -> bool:
    result = graph.query(PREFIXES + "ASK {" + pattern + "}")
    return bool(result.askAnswer)


def iri(kind: str, rid: str) -> URIRef:
    return URIRef(f"{FHIR_RESOURCE_IRI}{kind}/{rid}")


def lexical(graph: Graph, subject: URIRef, prop: URIRef) -> set[tuple[str, URIRef | None]]:
    """The literals of a property as (lexical form, datatype): FHIR dateTimes are kept as written."""
    return {(str(o), o.datatype) for o in graph.objects(subject, prop) if isinstance(o, Literal)}


# ---------------------------------------------------------------------------
#  One fixture per data element of fhir-input.md
# ---------------------------------------------------------------------------

ELEMENT_ASKS: dict[str, str] = {
    "patient-birth-sex.json": """pat:pat-1 a bk:Patient ; bk:birthDate "2012-05-01"^^xsd:date ; bk:gender "female" ;
        bk:fhirId "pat-1" ; bk:sourceRecord "Patient/pat-1" .""",
    "consent-research.json": """consent:consent-1 a bk:Consent ; bk:subject pat:pat-1 ; bk:status "active" ;
        bk:code scope:research , loinc:59284-0 ; bk:effective "2025-02-20"^^xsd:date ;
        bk:sourceRecord "Consent/consent-1" .""",
    "all-diagnosis.json": """cond:cond-all a bk:Condition ; bk:subject pat:pat-1 ; bk:code sct:277572006 , icd:C91.00 ;
        bk:clinicalStatus "active" ; bk:verificationStatus "confirmed" ; bk:effective "2024-06-01"^^xsd:date .""",
    "cd19-blasts.json": """obs:obs-cd19 a bk:Observation ; bk:code local:cd19-blasts ; bk:valueCode sct:10828004 ;
        bk:status "final" ; bk:effective "2024-06-02"^^xsd:date .""",
    "marrow-blasts.json": """obs:obs-marrow bk:code loinc:11150-0 ; bk:value "3.2"^^xsd:decimal ; bk:unit "%" ;
        bk:effective "2025-02-05"^^xsd:date .""",
    "intensive-chemo-block.json": """proc:proc-block-1 a bk:Procedure ; bk:code local:intensive-chemo-block ;
        bk:status "completed" ; bk:periodStart "2024-07-01"^^xsd:date ; bk:periodEnd "2024-07-28"^^xsd:date .
        FILTER NOT EXISTS { proc:proc-block-1 bk:effective ?any }""",
    "systemic-chemotherapy.json": """proc:proc-chemo bk:code sct:367336001 ; bk:effective ?d .
        FILTER(str(?d) = "2025-02-10T09:30:00+09:00" && datatype(?d) = xsd:dateTime)""",
    "intrathecal-chemotherapy.json": """proc:proc-it bk:code sct:171765004 ; bk:effective "2025-02-20"^^xsd:date .""",
    "mrd.json": """obs:obs-mrd bk:code local:mrd ; bk:value "0.05"^^xsd:decimal ; bk:unit "%" ; bk:component ?c .
        ?c a bk:Component ; bk:code local:mrd-sensitivity ; bk:value "0.001"^^xsd:decimal ; bk:unit "%" ;
        bk:sourceRecord "Observation/obs-mrd" .""",
    "allogeneic-hsct.json": """proc:proc-allo bk:code local:allogeneic-hsct , sct:174241000112100 ;
        bk:effective "2024-12-01"^^xsd:date .""",
    "autologous-hsct.json": """proc:proc-auto bk:code sct:709115004 ; bk:effective "2025-01-20"^^xsd:date .""",
    "hsct-type-not-stated.json": """proc:proc-hsct bk:code sct:234336002 ; bk:effective "2025-01-20"^^xsd:date .""",
    "anc.json": """obs:obs-anc bk:subject pat:pat-1 ; bk:code loinc:751-8 ; bk:value "0.8"^^xsd:decimal ;
        bk:unit "10*9/L" ; bk:effective "2025-02-24"^^xsd:date .""",
    "platelets.json": """obs:obs-plt bk:code loinc:777-3 ; bk:value "120"^^xsd:decimal ; bk:unit "10*9/L" .""",
    "hemoglobin.json": """obs:obs-hgb bk:code loinc:718-7 ; bk:value "10.5"^^xsd:decimal ; bk:unit "g/dL" .""",
    "liver-enzymes.json": """
        obs:obs-ast bk:code loinc:1920-8 ; bk:value "40"^^xsd:decimal ; bk:unit "U/L" ;
            bk:referenceHigh "50"^^xsd:decimal ; bk:referenceHighUnit "U/L" .
        obs:obs-alt bk:code loinc:1742-6 ; bk:value "35"^^xsd:decimal ; bk:referenceHigh "45"^^xsd:decimal .
        obs:obs-ap bk:code loinc:6768-6 ; bk:value "250"^^xsd:decimal ; bk:referenceHigh "300"^^xsd:decimal .""",
    "total-bilirubin.json": """obs:obs-bili bk:code loinc:14631-6 ; bk:value "12"^^xsd:decimal ; bk:unit "umol/L" ;
        bk:referenceHigh "21"^^xsd:decimal ; bk:referenceHighUnit "umol/L" .""",
    "creatinine-clearance.json": """obs:obs-crcl bk:code loinc:2164-2 ; bk:value "95"^^xsd:decimal ; bk:unit "mL/min" .""",
    "egfr-schwartz.json": """obs:obs-egfr bk:code loinc:50384-7 ; bk:value "110"^^xsd:decimal ;
        bk:unit "mL/min/{1.73_m2}" .""",
    "serum-creatinine.json": """
        obs:obs-crea-mass bk:code loinc:2160-0 ; bk:value "0.45"^^xsd:decimal ; bk:unit "mg/dL" .
        obs:obs-crea-molar bk:code loinc:14682-9 ; bk:value "40"^^xsd:decimal ; bk:unit "umol/L" .""",
    "body-height.json": """obs:obs-height bk:code loinc:8302-2 ; bk:value "132.5"^^xsd:decimal ; bk:unit "cm" ;
        bk:effective "2025-01-15"^^xsd:date .""",
    "hiv-test.json": """obs:obs-hiv bk:code loinc:56888-1 ; bk:valueString "Non-reactive" .""",
    "hbsag.json": """obs:obs-hbsag bk:code loinc:5196-1 ; bk:valueCode sct:260385009 .""",
    "anti-hcv.json": """obs:obs-hcv bk:code loinc:13955-0 ; bk:valueCode sct:260415000 .""",
    "pregnancy-test.json": """obs:obs-hcg bk:code loinc:2106-3 ; bk:valueCode v3oi:NEG ;
        bk:effective "2025-02-27"^^xsd:date .""",
    "pregnancy.json": """cond:cond-preg a bk:Condition ; bk:code sct:77386006 ; bk:clinicalStatus "active" ;
        bk:effective "2025-01-10"^^xsd:date .""",
    "childbearing-potential.json": """obs:obs-cbp bk:code local:childbearing-potential ; bk:valueBoolean false .""",
    "peripheral-blasts.json": """obs:obs-pb-blasts bk:code loinc:26446-5 ; bk:value "0"^^xsd:decimal ; bk:unit "%" .""",
    "extramedullary-involvement.json": """cond:cond-em bk:code local:extramedullary-all ; bk:clinicalStatus "resolved" ;
        bk:effective "2024-06-01"^^xsd:date ; bk:abatement "2024-09-01"^^xsd:date .""",
    "cns-leukemia.json": """cond:cond-cnsl bk:code local:cns-leukemia ; bk:clinicalStatus "active" .""",
    "csf-finding.json": """
        obs:obs-cns-status bk:code ncit:C116832 ; bk:valueCode ncit:C116833 .
        obs:obs-csf-blasts bk:code local:csf-blasts ; bk:valueCode sct:260415000 .""",
    "cns-pathology.json": """
        cond:cond-epilepsy bk:code sct:84757009 , icd:G40.909 ; bk:effective "2019-03"^^xsd:gYearMonth .
        cond:cond-paresis bk:code local:paresis ; bk:effective "2023-11-02"^^xsd:date .
        FILTER NOT EXISTS { cond:cond-paresis bk:clinicalStatus ?any }""",
    "autoimmune-disease.json": """cond:cond-sle bk:code sct:55464009 , icd:M32.9 ; bk:clinicalStatus "resolved" ;
        bk:abatement "2023-01-01"^^xsd:date .""",
    "radiotherapy.json": """proc:proc-rt bk:code sct:108290001 ; bk:periodStart "2025-02-03"^^xsd:date ;
        bk:periodEnd "2025-02-14"^^xsd:date .""",
    "monoclonal-antibody.json": """ma:ma-ritux a bk:MedicationUse ; bk:subject pat:pat-1 ; bk:code rxn:121191 , atc:L01FA01 ;
        bk:status "completed" ; bk:effective "2025-02-15"^^xsd:date ;
        bk:sourceRecord "MedicationAdministration/ma-ritux" .""",
    "investigational-product.json": """ms:ms-ip a bk:MedicationUse ;
        bk:code local:investigational-product , <https://hospital.example/codes/trial-drugs/XY-123> ;
        bk:periodStart "2025-01-20"^^xsd:date ; bk:periodEnd "2025-02-10"^^xsd:date ;
        bk:sourceRecord "MedicationStatement/ms-ip" .""",
    "hypersensitivity.json": """
        ai:ai-ig a bk:AllergyIntolerance ; bk:subject pat:pat-1 ; bk:code local:immunoglobulin ;
            bk:clinicalStatus "active" ; bk:verificationStatus "confirmed" ; bk:effective "2020-04-01"^^xsd:date .
        ai:ai-blina bk:code rxn:1597258 , local:blinatumomab-excipient ; bk:effective "2025-01-05"^^xsd:date .""",
    "other-malignancy.json": """
        cond:cond-bcc bk:code sct:254701007 , icd:C44.91 .
        cond:cond-glioma bk:code icd:C71.9 ; bk:effective "2024-11-01"^^xsd:date .""",
    "infection.json": """cond:cond-sepsis bk:code sct:91302008 , icd:A41.9 ; bk:effective "2025-02-26"^^xsd:date .""",
    # Issue 18.2: an order is a bk:MedicationOrder (and a bk:MedicationUse), dated by its dosage
    # timing (boundsPeriod; else the first and last timing.event) when given, else by authoredOn.
    "medication-order.json": """
        mr:mr-authored a bk:MedicationOrder , bk:MedicationUse ; bk:subject pat:pat-1 ; bk:code rxn:121191 ;
            bk:status "active" ; bk:effective "2025-02-14"^^xsd:date ; bk:sourceRecord "MedicationRequest/mr-authored" .
        mr:mr-bounds a bk:MedicationOrder ; bk:code atc:L01FA01 ; bk:status "completed" ;
            bk:periodStart "2025-02-03"^^xsd:date ; bk:periodEnd "2025-02-24"^^xsd:date .
        FILTER NOT EXISTS { mr:mr-bounds bk:effective ?authored }
        mr:mr-events a bk:MedicationOrder ; bk:code rxn:117055 ; bk:status "on-hold" ;
            bk:periodStart "2025-01-30T09:00:00Z"^^xsd:dateTime ; bk:periodEnd "2025-02-20"^^xsd:date .
        FILTER NOT EXISTS { mr:mr-events bk:effective ?written }""",
    # Issue 18.4: a death as stated; whether it is on or before D is derived.
    "death.json": """
        pat:pat-dead a bk:Patient ; bk:deceasedDate "2025-01-15T06:30:00+09:00"^^xsd:dateTime .
        pat:pat-deceased bk:deceased true .
        pat:pat-alive bk:deceased false .
        FILTER NOT EXISTS { pat:pat-dead bk:deceased ?flag }""",
}
EXPECTED_ELEMENT_FIXTURES = 41


def test_every_element_fixture_has_its_assertion() -> None:
    files = sorted(p.name for p in ELEMENTS.iterdir())
    assert len(files) == EXPECTED_ELEMENT_FIXTURES
    assert files == sorted(ELEMENT_ASKS)


@pytest.mark.parametrize("name", sorted(ELEMENT_ASKS))
def test_data_element(name: str, model: Graph) -> None:
    path = ELEMENTS / name
    result = lift(path, model)
    assert result.warnings == []
    assert ask(result.graph, ELEMENT_ASKS[name]), result.graph.serialize(format="turtle")
    # Provenance: every record has its patient, its source record and its file.
    records = {s for c in RECORD_CLASSES for s in result.graph.subjects(RDF.type, c)}
    assert records or name in ("patient-birth-sex.json", "death.json")
    for record in records:
        (patient,) = result.graph.objects(record, BK.subject)
        assert (patient, RDF.type, BK.Patient) in result.graph
        assert len(list(result.graph.objects(record, BK.sourceRecord))) == 1
        assert list(result.graph.objects(record, BK.sourceFile)) == [Literal(str(path))]
        assert list(result.graph.objects(record, BK.code))


# ---------------------------------------------------------------------------
#  Quirks of real exports
# ---------------------------------------------------------------------------

QUIRK_FILES = {
    "batch.json", "byte-order-mark.json", "comparator.json", "decimals.json", "document.json", "duplicates.json",
    "history.json", "ignored-resource-types.json", "medication-references.json", "nested-bundle.json", "no-id.json",
    "partial-birth-dates.ndjson", "periods-and-dates.json", "reference-range.json",
    "searchset-absolute-references.json", "single-observation.json", "single-patient.json", "site-codes.json",
    "site-codes.ttl", "statuses.json", "transaction-urn-uuid.json", "two-patients.ndjson",
    "unknown-code-systems.json", "value-types.json",
}


def test_every_quirk_fixture_is_tested() -> None:
    assert len(QUIRK_FILES) == 24
    assert {p.name for p in QUIRKS.iterdir()} == QUIRK_FILES


def test_transaction_bundle_with_urn_uuid_references(model: Graph) -> None:
    result = lift(QUIRKS / "transaction-urn-uuid.json", model)
    assert result.warnings == []  # the Encounter is ignored without a word
    g = result.graph
    synthea = iri("Patient", "7f3b1c2e-0000-4000-8000-000000000001")
    no_id_patient = URIRef("urn:uuid:7f3b1c2e-0000-4000-8000-000000000004")
    no_id_obs = URIRef("urn:uuid:7f3b1c2e-0000-4000-8000-000000000003")
    # A resource with an id gets the blinakg IRI even when referenced by its urn:uuid fullUrl.
    assert (no_id_obs, BK.subject, synthea) in g
    assert (no_id_obs, BK.sourceRecord, Literal(str(no_id_obs))) in g
    assert lexical(g, no_id_obs, BK.effective) == {("2025-02-24T08:15:00-05:00", XSD_DATETIME)}
    # A Patient without id is named by its urn:uuid fullUrl.
    assert (no_id_patient, RDF.type, BK.Patient) in g
    assert not list(g.objects(no_id_patient, BK.fhirId))
    assert (iri("Condition", "cond-syn-1"), BK.subject, no_id_patient) in g
    assert lexical(g, iri("Condition", "cond-syn-1"), BK.effective) == {("2024-03-01T10:00:00Z", XSD_DATETIME)}
    assert set(g.objects(None, RDF.type)) == {BK.Patient, BK.Observation, BK.Condition}


def test_searchset_with_absolute_and_versioned_references(model: Graph) -> None:
    result = lift(QUIRKS / "searchset-absolute-references.json", model)
    assert result.warnings == []
    assert ask(result.graph, """
        obs:anc-7 bk:subject pat:p7 ; bk:value "1500"^^xsd:decimal ; bk:unit "/uL" .
        obs:plt-7 bk:subject pat:p7 .
        pat:p7 bk:gender "male" ; bk:birthDate "2010-01-09"^^xsd:date .""")
    assert len(set(result.graph.subjects(RDF.type, BK.Patient))) == 1


def test_batch_bundle_and_bodyless_requests(model: Graph) -> None:
    result = lift(QUIRKS / "batch.json", model)
    assert result.warnings == []
    assert ask(result.graph, 'obs:hgb-batch bk:subject pat:p-batch ; bk:value "9.4"^^xsd:decimal .')


def test_document_bundle(model: Graph) -> None:
    result = lift(QUIRKS / "document.json", model)
    assert result.warnings == []  # the Composition is not a record
    assert ask(result.graph, "cond:all-doc bk:subject pat:p-doc ; bk:code sct:91857003 .")


def test_history_bundle_uses_the_newest_version_and_drops_deleted(model: Graph) -> None:
    result = lift(QUIRKS / "history.json", model)
    assert result.warnings == []
    g = result.graph
    assert list(g.objects(iri("Observation", "anc-h"), BK.value)) == [Literal("1.2", datatype=XSD_DECIMAL)]
    assert list(g.objects(iri("Observation", "anc-h"), BK.status)) == [Literal("final")]
    assert (iri("Observation", "plt-h"), None, None) not in g


def test_nested_bundle(model: Graph) -> None:
    result = lift(QUIRKS / "nested-bundle.json", model)
    assert result.warnings == []
    assert ask(result.graph, "obs:hgb-inner bk:subject pat:p-outer .")


def test_single_resource_whose_patient_is_in_another_file(model: Graph) -> None:
    result = lift(QUIRKS / "single-observation.json", model)
    assert result.warnings == []
    g = result.graph
    patient = iri("Patient", "p-elsewhere")
    assert (iri("Observation", "anc-single"), BK.subject, patient) in g
    # Known only by reference: typed and named, so it is screened, but with no source record of its own.
    assert (patient, RDF.type, BK.Patient) in g
    assert (patient, BK.fhirId, Literal("p-elsewhere")) in g
    assert not list(g.objects(patient, BK.sourceRecord))


def test_single_patient(model: Graph) -> None:
    result = lift(QUIRKS / "single-patient.json", model)
    assert result.warnings == []
    assert ask(result.graph, 'pat:p-single a bk:Patient ; bk:gender "unknown" ; bk:birthDate "2015-10-10"^^xsd:date .')


def test_ndjson_with_two_patients_and_blank_lines(model: Graph) -> None:
    result = lift(QUIRKS / "two-patients.ndjson", model)
    assert result.warnings == []
    g = result.graph
    assert set(g.subjects(RDF.type, BK.Patient)) == {iri("Patient", "nd-1"), iri("Patient", "nd-2")}
    assert ask(g, """obs:nd-anc-1 bk:subject pat:nd-1 ; bk:value "2.1"^^xsd:decimal .
                     obs:nd-anc-2 bk:subject pat:nd-2 ; bk:value "0.6"^^xsd:decimal .""")


def test_partial_birth_dates(model: Graph) -> None:
    result = lift(QUIRKS / "partial-birth-dates.ndjson", model)
    assert result.warnings == []
    assert ask(result.graph, """
        pat:bd-year bk:birthDate "2008"^^xsd:gYear .
        pat:bd-month bk:birthDate "2008-05"^^xsd:gYearMonth .
        pat:bd-day bk:birthDate "2008-05-17"^^xsd:date .""")


def test_comparator(model: Graph) -> None:
    result = lift(QUIRKS / "comparator.json", model)
    assert result.warnings == []
    assert ask(result.graph, """
        obs:obs-anc-lt bk:value "0.5"^^xsd:decimal ; bk:comparator "<" ; bk:unit "10*9/L" .
        obs:obs-mrd-ge bk:value "0.01"^^xsd:decimal ; bk:comparator ">=" ; bk:unit "%" .""")


def test_reference_range(model: Graph) -> None:
    result = lift(QUIRKS / "reference-range.json", model)
    assert result.warnings == []
    g = result.graph
    # The first range that has a high; a high without a unit leaves bk:referenceHighUnit out (it defaults to bk:unit).
    assert ask(g, 'obs:ast-rr bk:referenceHigh "40"^^xsd:decimal ; bk:referenceHighUnit "U/L" .')
    assert ask(g, 'obs:bili-rr bk:referenceHigh "1.2"^^xsd:decimal . FILTER NOT EXISTS { obs:bili-rr bk:referenceHighUnit ?u }')
    # A unit without a UCUM code: Quantity.unit.
    assert ask(g, 'obs:alt-rr bk:unit "ukat/L" ; bk:referenceHigh "45"^^xsd:decimal ; bk:referenceHighUnit "U/L" .')


def test_value_types(model: Graph) -> None:
    result = lift(QUIRKS / "value-types.json", model)
    assert result.warnings == []
    g = result.graph
    assert ask(g, """
        obs:v-cc bk:valueCode sct:260373001 , v3oi:POS .
        obs:v-cc-text bk:valueString "non-reactive" .
        obs:v-string bk:valueString "NEGATIVE" .
        obs:v-bool bk:valueBoolean true .
        obs:v-int bk:value "3"^^xsd:decimal .
        obs:v-interp bk:valueCode v3oi:POS .
        obs:v-interp-with-value bk:value "2"^^xsd:decimal .""")
    # An interpretation beside a value is not a value.
    assert not list(g.objects(iri("Observation", "v-interp-with-value"), BK.valueCode))


def test_periods_and_dates(model: Graph) -> None:
    result = lift(QUIRKS / "periods-and-dates.json", model)
    assert result.warnings == []
    g = result.graph

    def dates(kind: str, rid: str, prop: URIRef) -> set[tuple[str, URIRef | None]]:
        return lexical(g, iri(kind, rid), prop)

    assert dates("Observation", "d-period", BK.periodStart) == {("2025-02-03T08:00:00+01:00", XSD_DATETIME)}
    assert dates("Observation", "d-period", BK.periodEnd) == {("2025-02-04", XSD_DATE)}
    assert dates("Observation", "d-period", BK.effective) == set()
    assert dates("Observation", "d-instant", BK.effective) == {("2025-02-24T07:45:12.345Z", XSD_DATETIME)}
    assert dates("Observation", "d-issued", BK.effective) == {("2025-02-24T10:00:00+09:00", XSD_DATETIME)}
    assert dates("Observation", "d-month", BK.effective) == {("2025-01", XSD_GYEARMONTH)}
    # xsd:dateTime needs seconds: hh:mm gets :00.
    assert dates("Procedure", "d-no-seconds", BK.effective) == {("2025-02-10T09:30:00+09:00", XSD_DATETIME)}
    assert dates("Procedure", "d-open-period", BK.periodStart) == {("2025-02-17", XSD_DATE)}
    assert dates("Procedure", "d-open-period", BK.periodEnd) == set()
    assert dates("Condition", "d-onset-period", BK.periodStart) == {("2025-01-02", XSD_DATE)}
    assert dates("Condition", "d-onset-period", BK.periodEnd) == {("2025-01-05", XSD_DATE)}
    assert dates("Condition", "d-onset-period", BK.abatement) == {("2025-01-25", XSD_DATE)}
    assert dates("Condition", "d-abatement-start", BK.effective) == {("2024-12-01", XSD_DATE)}  # recordedDate
    assert dates("Condition", "d-abatement-start", BK.abatement) == {("2025-01-10", XSD_DATE)}
    assert dates("MedicationStatement", "d-asserted", BK.effective) == {("2025-02-01", XSD_DATE)}
    assert dates("MedicationAdministration", "d-admin-period", BK.periodEnd) == {("2025-02-28T10:00:00Z", XSD_DATETIME)}
    assert dates("AllergyIntolerance", "d-allergy-recorded", BK.effective) == {("2024-05-05T12:00:00Z", XSD_DATETIME)}


def test_statuses_are_lifted_not_judged(model: Graph) -> None:
    result = lift(QUIRKS / "statuses.json", model)
    assert result.warnings == []
    assert ask(result.graph, """
        obs:s-obs-eie bk:status "entered-in-error" ; bk:value "0.1"^^xsd:decimal .
        obs:s-obs-cancelled bk:status "cancelled" .
        obs:s-obs-amended bk:status "amended" .
        cond:s-cond-refuted bk:verificationStatus "refuted" ; bk:clinicalStatus "inactive" .
        cond:s-cond-eie bk:verificationStatus "entered-in-error" .
        cond:s-cond-relapse bk:clinicalStatus "relapse" .
        proc:s-proc-not-done bk:status "not-done" .
        proc:s-proc-eie bk:status "entered-in-error" .
        ma:s-ma-not-done bk:status "not-done" .
        ms:s-ms-not-taken bk:status "not-taken" .
        ai:s-ai-refuted bk:verificationStatus "refuted" ; bk:clinicalStatus "resolved" .
        consent:s-consent-inactive bk:status "inactive" ; bk:code scope:research .""")


def test_unknown_code_systems_are_kept(model: Graph) -> None:
    path = QUIRKS / "unknown-code-systems.json"
    result = lift(path, model)
    assert result.warnings == [
        f"{path}: Observation/c-not-uri has a coding in code whose system 'LOINC' is not a URI; "
        "it is kept as <urn:blinakg:codesystem:LOINC/751-8>.",
        f"{path}: Observation/c-no-system has a coding '751-8' in code without a system; that coding is ignored.",
    ]
    g = result.graph

    def codes(rid: str) -> set[URIRef]:
        return {o for o in g.objects(iri("Observation", rid), BK.code) if isinstance(o, URIRef)}

    assert codes("c-site") == {URIRef("https://hospital.example/codes/lab/MRD-FLOW")}
    assert codes("c-slash") == {URIRef("https://hospital.example/codes/cd19%20pos")}
    assert codes("c-hash") == {URIRef("http://example.org/cs#X1")}
    assert codes("c-oid") == {URIRef("urn:oid:2.16.840.1.113883.6.1/718-7")}
    assert codes("c-trailing-slash") == {URIRef("https://loinc.org/718-7")}
    assert codes("c-not-uri") == {URIRef("urn:blinakg:codesystem:LOINC/751-8")}
    assert codes("c-no-system") == {URIRef("https://loinc.org/751-8")}


def test_a_site_maps_its_own_codes_in_turtle() -> None:
    site_model = load_model((QUIRKS / "site-codes.ttl",))
    result = lift(QUIRKS / "site-codes.json", site_model)
    assert result.warnings == []
    g = result.graph + site_model
    assert ask(g, """
        obs:site-mrd bk:code <https://hospital.example/id/lab/MRD-FLOW> ; bk:component ?c .
        ?c bk:code <https://hospital.example/id/lab/MRD-SENS> ; bk:value "0.001"^^xsd:decimal .
        <https://hospital.example/id/lab/MRD-FLOW> <http://www.w3.org/2004/02/skos/core#exactMatch> local:mrd .""")


def test_code_table_is_read_from_the_model(model: Graph) -> None:
    table = code_iri_table(model)
    assert table["http://loinc.org"] == "https://loinc.org/"
    assert table["http://snomed.info/sct"] == "http://snomed.info/id/"
    # Nothing is hard-coded: with an empty model, LOINC is just another system.
    result = lift(ELEMENTS / "anc.json", Graph())
    assert (iri("Observation", "obs-anc"), BK.code, URIRef("http://loinc.org/751-8")) in result.graph


def test_decimals_keep_their_exact_text(model: Graph) -> None:
    result = lift(QUIRKS / "decimals.json", model)
    assert result.warnings == []
    g = result.graph
    expected = {
        "n-0.1": "0.1", "n-0.10": "0.10", "n-exp": "0.00001", "n-big": "1500", "n-int": "800",
        "n-precise": "9.000000000000000000001",
    }
    for rid, text in expected.items():
        assert lexical(g, iri("Observation", rid), BK.value) == {(text, XSD_DECIMAL)}, rid
    # A unit of another system than UCUM: Quantity.unit. No system at all: Quantity.code.
    assert (iri("Observation", "n-int"), BK.unit, Literal("cells/uL")) in g
    assert (iri("Observation", "n-precise"), BK.unit, Literal("g/dL")) in g


def test_medication_references(model: Graph) -> None:
    result = lift(QUIRKS / "medication-references.json", model)
    assert result.warnings == []
    assert ask(result.graph, """
        ma:ma-ref a bk:MedicationUse ; bk:code rxn:117055 , atc:L04AG06 .
        ms:ms-urn a bk:MedicationUse ; bk:code rxn:1597258 ; bk:status "active" .""")
    # Medication itself is not a record.
    assert (iri("Medication", "med-alem"), None, None) not in result.graph


def test_resource_types_not_in_fhir_input_are_ignored_quietly(model: Graph) -> None:
    result = lift(QUIRKS / "ignored-resource-types.json", model)
    assert result.warnings == []
    assert set(result.graph.subjects()) == {iri("Patient", "pat-1")}


def test_byte_order_mark(model: Graph) -> None:
    result = lift(QUIRKS / "byte-order-mark.json", model)
    assert result.warnings == []
    assert (iri("Patient", "p-bom"), RDF.type, BK.Patient) in result.graph


def test_duplicate_resources(model: Graph) -> None:
    path = QUIRKS / "duplicates.json"
    result = lift(path, model)
    assert result.warnings == [f"{path}: Observation/dup appears more than once; only its first occurrence is used."]
    assert list(result.graph.objects(iri("Observation", "dup"), BK.value)) == [Literal("1.5", datatype=XSD_DECIMAL)]


def test_resource_without_id_or_full_url(model: Graph) -> None:
    path = QUIRKS / "no-id.json"
    result = lift(path, model)
    cited = f"Observation in {path} entry 2"
    assert result.warnings == [
        f"{path}: the Observation in entry 2 has neither an id nor a fullUrl; it is kept and cited as '{cited}'."
    ]
    (record,) = result.graph.subjects(RDF.type, BK.Observation)
    assert isinstance(record, BNode)
    assert (record, BK.sourceRecord, Literal(cited)) in result.graph


# ---------------------------------------------------------------------------
#  Bad FHIR
# ---------------------------------------------------------------------------

# file -> (message, line, column): the file cannot be read as FHIR at all.
BAD_INPUT: dict[str, tuple[str, int | None, int | None]] = {
    "invalid-json.json": ("not valid JSON: Expecting ',' delimiter", 5, 3),
    "invalid-json.ndjson": ("not valid JSON: Expecting property name enclosed in double quotes", 3, 65),
    "not-fhir-object.json": (
        "not FHIR: the file holds a JSON object without a resourceType, not a FHIR resource or Bundle "
        "(every FHIR resource has a resourceType)", 1, 1),
    "not-fhir-array.json": (
        "not FHIR: the file holds a JSON array, not a FHIR resource or Bundle (every FHIR resource has a resourceType)",
        2, 3),
    "not-fhir.ndjson": (
        "not FHIR NDJSON: no line holds a FHIR resource (line 1 holds a JSON object without a resourceType)", 1, 1),
    "empty.json": ("the file is empty; a FHIR JSON file holds one resource or a Bundle", None, None),
    "not-utf8.json": ("the file is not UTF-8 text", 2, 35),
    "ndjson-named-json.json": ("not valid JSON: Extra data (one resource a line is NDJSON: name the file .ndjson)", 2, 1),
    # Issue 19.5: an id or fullUrl holding a character no IRI can hold is bad input (exit 2), not an internal error.
    "control-character-in-id.ndjson": (
        'the Observation id "anc\\u0085-1" holds U+0085, a control character or noncharacter that no IRI can hold '
        "(FHIR ids are letters, digits, '-' and '.')", 2, None),
    "raw-c1-character-in-patient-id.ndjson": (
        'the Patient id "pat-c1\\u009b" holds U+009B, a control character or noncharacter that no IRI can hold '
        "(FHIR ids are letters, digits, '-' and '.')", 1, None),
    "control-character-in-full-url.json": (
        'Patient in Bundle entry 1: the fullUrl "urn:uuid:6f1c\\u0007e2a0" holds U+0007, a control character or '
        "noncharacter that no IRI can hold (FHIR ids are letters, digits, '-' and '.')", None, None),
}

# file -> [(NDJSON line or None, warning)]: readable, with problems inside.
BAD_WARNINGS: dict[str, list[tuple[int | None, str]]] = {
    "entry-without-resource-type.json": [
        (None, "Bundle entry 2 holds a resource without a resourceType; it was ignored."),
        (None, "Bundle entry 3 is not a JSON object; it was ignored."),
    ],
    "line-without-resource-type.ndjson": [
        (2, "the line holds a JSON object without a resourceType, not a FHIR resource; it was ignored."),
        (3, "the line holds a JSON array, not a FHIR resource; it was ignored."),
    ],
    "quantity-not-a-number.json": [
        (None, "Observation/obs-9 has a valueQuantity.value that is not a number; it is kept without a value."),
    ],
    "quantity-not-a-number.ndjson": [
        (2, "Observation/obs-9 has a valueQuantity.value that is not a number; it is kept without a value."),
    ],
    "unresolved-subjects.json": [
        (None, "Observation/u-urn has a subject reference 'urn:uuid:00000000-0000-4000-8000-0000000000ff' "
               "that does not resolve to a Patient in this file; it was ignored."),
        (None, "Observation/u-group has a subject reference 'Group/cohort-1' to a Group, not a Patient; it was ignored."),
        (None, "Observation/u-none has no subject; it was ignored."),
        (None, "Observation/u-identifier has a subject without a reference; it was ignored."),
        (None, "AllergyIntolerance/u-practitioner has a patient reference "
               "'urn:uuid:00000000-0000-4000-8000-0000000000c1' to a Practitioner, not a Patient; it was ignored."),
    ],
    "bad-dates-and-gender.json": [
        (None, 'Patient/p-bad has a birthDate "2012-13-01" that is not a FHIR date; it is kept without a birth date.'),
        (None, 'Patient/p-bad has a gender "F" that is not male, female, other or unknown; it is kept without a gender.'),
        (None, 'Observation/bad-date has an effectiveDateTime "2025-02-30" that is not a FHIR date or dateTime; '
               "it is kept without that date."),
        (None, 'Procedure/bad-period has a performedPeriod.start "yesterday" that is not a FHIR date or dateTime; '
               "it is kept without that date."),
    ],
    "quantity-problems.json": [
        (None, "Observation/q-no-value has a valueQuantity without a value; it is kept without a value."),
        (None, 'Observation/q-comparator has a valueQuantity.comparator "~" that is not <, <=, >= or >; '
               "it is kept without a value."),
        (None, "Observation/q-string has a valueQuantity that is not a Quantity; it is kept without a value."),
        (None, "Observation/q-boolean has a valueQuantity.value that is not a number; it is kept without a value."),
        (None, "Observation/q-uln has a referenceRange[0].high.value that is not a number; "
               "it is kept without an upper limit of normal."),
        (None, "Observation/q-component has a component[0].valueQuantity.value that is not a number; "
               "it is kept without a value."),
        (None, "Observation/q-range has a valueRange, which blinakg does not read; it is kept without a value."),
        (None, "Observation/q-bool-string has a valueBoolean that is not true or false; it is kept without a value."),
    ],
    "unresolved-medication.json": [
        (None, "MedicationAdministration/ma-missing refers to the medication 'Medication/not-here', which is not a "
               "Medication in this file; it is kept without the medication's codes."),
    ],
    "no-code.json": [
        (None, "Observation/text-only has no coding with a system and a code; it is kept, but no criterion can use it."),
    ],
}


def test_every_bad_fixture_is_tested() -> None:
    names = {p.name for p in BAD.iterdir()}
    assert len(names) == 20
    assert names == set(BAD_INPUT) | set(BAD_WARNINGS)


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_unreadable_fhir_raises_input_error(name: str, model: Graph) -> None:
    path = BAD / name
    message, line, column = BAD_INPUT[name]
    with pytest.raises(InputError) as caught:
        read_fhir_file(path, model)
    err = caught.value
    assert (err.path, err.message, err.line, err.column) == (str(path), message, line, column)
    where = str(path) + (f":{line}" if line is not None else "") + (f":{column}" if column is not None else "")
    assert str(err) == f"{where}: {message}"


@pytest.mark.parametrize("name", sorted(BAD_WARNINGS))
def test_problems_inside_a_readable_file_are_warnings(name: str, model: Graph) -> None:
    path = BAD / name
    result = lift(path, model)
    assert result.warnings == [
        f"{path}{'' if line is None else f':{line}'}: {message}" for line, message in BAD_WARNINGS[name]
    ]


def test_bad_quantity_keeps_the_record_without_its_value(model: Graph) -> None:
    for name in ("quantity-not-a-number.json", "quantity-not-a-number.ndjson"):
        g = lift(BAD / name, model).graph
        assert ask(g, """obs:obs-9 a bk:Observation ; bk:subject pat:pat-1 ; bk:code loinc:751-8 ;
                         bk:effective "2025-02-24"^^xsd:date ; bk:unit "10*9/L" .
                         FILTER NOT EXISTS { obs:obs-9 bk:value ?v }"""), name


def test_quantity_problems_keep_what_can_be_used(model: Graph) -> None:
    g = lift(BAD / "quantity-problems.json", model).graph
    assert ask(g, """
        obs:q-comparator bk:unit "10*9/L" . FILTER NOT EXISTS { obs:q-comparator bk:value ?v1 }
        obs:q-uln bk:value "40"^^xsd:decimal . FILTER NOT EXISTS { obs:q-uln bk:referenceHigh ?v2 }
        obs:q-component bk:value "0.05"^^xsd:decimal ; bk:component ?c .
        ?c bk:code local:mrd-sensitivity . FILTER NOT EXISTS { ?c bk:value ?v3 }
        obs:q-range bk:code loinc:11150-0 .""")


def test_unresolvable_subjects_drop_only_their_records(model: Graph) -> None:
    g = lift(BAD / "unresolved-subjects.json", model).graph
    assert set(g.subjects(RDF.type, BK.Observation)) == {iri("Observation", "u-ok")}
    assert (iri("Observation", "u-ok"), BK.subject, iri("Patient", "p-here")) in g
    assert not list(g.subjects(RDF.type, BK.AllergyIntolerance))


def test_bad_dates_fall_back(model: Graph) -> None:
    g = lift(BAD / "bad-dates-and-gender.json", model).graph
    assert not list(g.objects(iri("Patient", "p-bad"), BK.birthDate))
    assert not list(g.objects(iri("Patient", "p-bad"), BK.gender))
    # effectiveDateTime unusable: Observation.issued.
    assert lexical(g, iri("Observation", "bad-date"), BK.effective) == {("2025-02-28T09:00:00Z", XSD_DATETIME)}
    assert lexical(g, iri("Procedure", "bad-period"), BK.periodEnd) == {("2025-02-14", XSD_DATE)}
    assert not list(g.objects(iri("Procedure", "bad-period"), BK.periodStart))


def test_wrong_extension_and_missing_file(tmp_path: Path, model: Graph) -> None:
    xml = tmp_path / "patient.xml"
    xml.write_text("<Patient/>", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected the extension \.json or \.ndjson"):
        read_fhir_file(xml, model)
    with pytest.raises(InputError, match="cannot read the file"):
        read_fhir_file(tmp_path / "missing.json", model)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(InputError, match="cannot read the file"):
        read_fhir_file(folder, model)


def test_json_oddities(tmp_path: Path, model: Graph) -> None:
    path = tmp_path / "odd.json"
    # NaN is not JSON but Python would take it; a 5000-digit number; nesting deeper than the recursion limit.
    path.write_text('{"resourceType": "Bundle", "type": "collection", "entry": ['
                    '{"resource": {"resourceType": "Patient", "id": "p"}},'
                    '{"resource": {"resourceType": "Observation", "id": "o", "status": "final", "code": {"coding": '
                    '[{"system": "http://loinc.org", "code": "751-8"}]}, "subject": {"reference": "Patient/p"},'
                    '"valueQuantity": {"value": NaN}}},'
                    '{"resource": {"resourceType": "Observation", "id": "o2", "status": "final", "code": {"coding": '
                    '[{"system": "http://loinc.org", "code": "751-8"}]}, "subject": {"reference": "Patient/p"},'
                    f'"valueQuantity": {{"value": {"9" * 5000}}}}}}}]}}', encoding="utf-8")
    result = read_fhir_file(path, model)
    assert result.warnings == [
        f"{path}: Observation/o has a valueQuantity.value that is not a number; it is kept without a value.",
        f"{path}: Observation/o2 has a valueQuantity.value that is not a number; it is kept without a value.",
    ]
    path.write_text('{"resourceType": "Patient", "extension": ' + "[" * 100000 + "]" * 100000 + "}", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        read_fhir_file(path, model)


def test_ndjson_lines_split_on_newlines_only(tmp_path: Path, model: Graph) -> None:
    path = tmp_path / "Patient.ndjson"
    path.write_bytes(b'{"resourceType": "Patient", "id": "p1", "gender": "male", "name": [{"text": "A\xe2\x80\xa8B"}]}\r\n'
                     b'{"resourceType": "Patient", "id": "p2"}\r\n')
    result = read_fhir_file(path, model)
    assert result.warnings == []
    assert set(result.graph.subjects(RDF.type, BK.Patient)) == {iri("Patient", "p1"), iri("Patient", "p2")}


def test_empty_ndjson_is_a_warning(tmp_path: Path, model: Graph) -> None:
    path = tmp_path / "Observation.ndjson"
    path.write_text("\n\n", encoding="utf-8")
    result = read_fhir_file(path, model)
    assert len(result.graph) == 0
    assert result.warnings == [f"{path}: the file holds no resources."]


def _mutations(value: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON tree (below the resources)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield trail + (key,)
            yield from _mutations(inner, trail + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield trail + (index,)
            yield from _mutations(inner, trail + (index,))


def test_odd_shapes_never_raise(tmp_path: Path, model: Graph) -> None:
    """Any element replaced by a value of the wrong JSON type: warnings or nothing, never an exception."""
    odd_values: list[Any] = [None, 7, "x", [], {}, True]
    lifted = 0
    for name in ("mrd.json", "investigational-product.json", "hypersensitivity.json", "consent-research.json",
                 "liver-enzymes.json", "autoimmune-disease.json"):
        original = json.loads((ELEMENTS / name).read_text(encoding="utf-8"))
        for trail in _mutations(original):
            if trail[-1] == "resourceType" and len(trail) == 1:
                continue  # the top level must be FHIR: that is an InputError, tested above
            for odd in odd_values:
                mutated = copy.deepcopy(original)
                holder = mutated
                for step in trail[:-1]:
                    holder = holder[step]
                holder[trail[-1]] = odd
                path = tmp_path / "mutated.json"
                path.write_text(json.dumps(mutated), encoding="utf-8")
                result = read_fhir_file(path, model)
                assert isinstance(result.graph, Graph)
                assert all(isinstance(w, str) and w.startswith(f"{path}") for w in result.warnings)
                assert not any("could not be read" in w for w in result.warnings), result.warnings
                lifted += 1
    assert lifted > 1000
