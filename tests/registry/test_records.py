"""Reading ClinicalTrials.gov records (issue 9, part 1): the classic XML and the API
v2 JSON give the same trial; the eligibility text becomes criterion nodes whose
re-joined text is the record's text block (whitespace aside), for all 196 records."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree as DET

from blinakg.errors import InputError
from blinakg.registry.ctgov_json import parse_json
from blinakg.registry.ctgov_xml import parse_xml
from blinakg.registry.eligibility import EXCLUSION, INCLUSION, UNSTATED, rejoin, same_text, split_criteria
from blinakg.registry.record import age_bound, iso_date
from blinakg.sparql.store import EmbeddedStore

from .conftest import DATA, REGISTRY_ZIP


def zip_records() -> list[tuple[str, bytes]]:
    if not REGISTRY_ZIP.is_file():
        return []
    with zipfile.ZipFile(REGISTRY_ZIP) as archive:
        return [(Path(i.filename).stem, archive.read(i)) for i in archive.infolist() if i.filename.endswith(".xml")]


RECORDS = zip_records()


def test_the_zip_holds_196_records(registry_zip: Path) -> None:
    assert len(RECORDS) == 196


@pytest.fixture(scope="module")
def rejoined(registry_store: Path) -> dict[str, str]:
    """Each trial's sections and criteria, read back from the store, re-joined in order."""
    store = EmbeddedStore(registry_store)
    try:
        result = store.query("""
            PREFIX bk: <https://w3id.org/blinakg/ontology#>
            PREFIX dct: <http://purl.org/dc/terms/>
            SELECT DISTINCT ?trial ?order ?marker ?text WHERE {
              GRAPH ?g { ?g bk:sourceFormat ?format FILTER (?format != "Turtle trial model")
                         ?t bk:criterion|bk:section|bk:registeredCriterion|bk:registeredSection ?item .
                         ?t dct:identifier ?trial .
                         ?item bk:order ?order ; bk:verbatimText ?text .
                         OPTIONAL { ?item bk:listMarker ?marker } } }""")
    finally:
        store.close()
    parts: dict[str, list[tuple[int, str]]] = {}
    for trial, order, marker, text in result.rows:
        parts.setdefault(str(trial), []).append((int(str(order)), f"{marker} {text}" if marker else str(text)))
    return {trial: "\n".join(text for _, text in sorted(items)) for trial, items in parts.items()}


@pytest.mark.parametrize(("nct", "data"), RECORDS, ids=[nct for nct, _ in RECORDS])
def test_criteria_rejoined_from_the_store_are_the_registered_text(nct: str, data: bytes,
                                                                  rejoined: dict[str, str]) -> None:
    block = DET.fromstring(data).find("eligibility/criteria/textblock").text
    assert re.sub(r"\s+", "", rejoined[nct]) == re.sub(r"\s+", "", block)


def test_headers_kinds_and_nesting_of_an_old_pdq_layout() -> None:
    record = parse_xml((DATA / "xml" / "NCT00077493.xml").read_bytes(), "NCT00077493.xml")
    items = split_criteria(record.criteria_text or "")
    sections = [i.text for i in items if i.is_section]
    assert sections[:3] == ["DISEASE CHARACTERISTICS:", "PATIENT CHARACTERISTICS:", "Age"]
    assert all(i.kind == UNSTATED for i in items)  # no header says inclusion or exclusion
    by_text = {i.text: i for i in items}
    nested = by_text["Not amenable to available curative therapies"]
    parent = next(i for i in items if i.order == nested.parent)
    assert parent.text.startswith("Histologically confirmed acute lymphoblastic leukemia") and nested.marker == "-"
    assert nested.identifier == f"{parent.identifier}.1"
    age = by_text["6 months to 24 years"]
    assert next(i for i in items if i.order == age.parent).text == "Age"
    # "Age" is a sub-header under "PATIENT CHARACTERISTICS:".
    assert next(i for i in items if i.order == by_text["Age"].parent).text == "PATIENT CHARACTERISTICS:"


def test_inclusion_and_exclusion_where_the_text_says() -> None:
    record = parse_xml((DATA / "xml" / "NCT02101853.xml").read_bytes(), "NCT02101853.xml")
    items = split_criteria(record.criteria_text or "")
    criteria = [i for i in items if not i.is_section]
    assert [i.text for i in items if i.is_section] == ["Inclusion Criteria:", "Exclusion Criteria:"]
    assert criteria[0].kind == INCLUSION and criteria[0].identifier == "I1"
    assert criteria[-1].kind == EXCLUSION and criteria[-1].identifier.startswith("E")
    serum = [i for i in criteria if i.text.startswith("1 to < 2 years")]
    assert len(serum) == 1 and serum[0].identifier.count(".") == 1  # nested under the creatinine criterion
    assert same_text(rejoin(items), record.criteria_text or "")


def test_v2_markdown_bullets_nested_by_indentation() -> None:
    [record] = parse_json((DATA / "v2" / "NCT99999901.json").read_bytes(), "NCT99999901.json")
    items = split_criteria(record.criteria_text or "", wrapped=False)
    ids = {i.text: i.identifier for i in items if not i.is_section}
    assert ids["Adequate organ function:"] == "I3"
    assert ids["Absolute neutrophil count ≥ 500/μL"] == "I3.1"
    assert ids["Unless due to Gilbert syndrome"] == "I3.2.1"
    assert ids["Active CNS involvement (CNS3)"] == "E1"
    assert same_text(rejoin(items), record.criteria_text or "")


def test_classic_xml_and_v2_json_give_the_same_registration_facts() -> None:
    xml = parse_xml((DATA / "xml" / "NCT02101853.xml").read_bytes(), "NCT02101853.xml")
    [v2] = parse_json((DATA / "v2" / "NCT02101853.json").read_bytes(), "NCT02101853.json")
    for name in ("nct_id", "brief_title", "official_title", "org_study_id", "secondary_ids", "phase",
                 "overall_status", "study_type", "lead_sponsor", "collaborators", "enrollment", "conditions",
                 "minimum_age", "maximum_age", "sex", "interventions", "record_date"):
        assert getattr(xml, name) == getattr(v2, name), name
    assert [m.term for m in xml.condition_mesh] == [m.term for m in v2.condition_mesh]
    assert [m.term for m in xml.intervention_mesh] == [m.term for m in v2.intervention_mesh]
    assert iso_date(xml.start_date) == iso_date(v2.start_date) == ("2014-12-08", "date")
    xml_items = [(i.identifier, i.kind, i.text) for i in split_criteria(xml.criteria_text or "")]
    v2_items = [(i.identifier, i.kind, i.text.replace("\\<", "<").replace("\\>", ">"))
                for i in split_criteria(v2.criteria_text or "", wrapped=False)]
    assert xml_items == v2_items


def test_v2_enumerations_are_written_the_classic_way() -> None:
    [record] = parse_json((DATA / "v2" / "NCT99999901.json").read_bytes(), "x.json")
    assert record.phase == "Phase 1/Phase 2"
    assert record.overall_status == "Not yet recruiting"
    assert record.sex == "Female" and record.study_type == "Interventional"
    assert record.interventions[1].type == "Diagnostic Test"
    assert record.condition_mesh[0].id == "D054198"
    assert str(record.record_date) == "2024-03-15"


@pytest.mark.parametrize(("text", "expected"), [
    ("December 8, 2014", ("2014-12-08", "date")), ("January 2004", ("2004-01", "gYearMonth")),
    ("2024-06", ("2024-06", "gYearMonth")), ("2014-12-08", ("2014-12-08", "date")), ("soon", None), (None, None)])
def test_registry_dates(text: str | None, expected: tuple[str, str] | None) -> None:
    assert iso_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1 Year", ("Years", 1)), ("30 Years", ("Years", 30)), ("6 Months", ("Months", 6)), ("2 Weeks", ("Days", 14)),
    ("N/A", None), (None, None)])
def test_registered_ages(text: str | None, expected: tuple[str, int] | None) -> None:
    assert age_bound(text) == expected


@pytest.mark.parametrize(("data", "message"), [
    (b"<?xml version='1.0'?><catalog><book/></catalog>", "not a ClinicalTrials.gov study record"),
    (b"<clinical_study><id_info><org_study_id>X</org_study_id></id_info></clinical_study>", "without an NCT ID"),
    (b"<clinical_study><id_info><nct_id>NCT1</nct_id></id_info></clinical_study>", "not NCT followed by 8 digits"),
    (b"<clinical_study><id_info>", "not well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]><clinical_study>&e;</clinical_study>',
     "refused"),
    (b'<!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><clinical_study>&c;</clinical_study>', "refused"),
    (b'<!DOCTYPE clinical_study SYSTEM "http://127.0.0.1:9/public.dtd"><clinical_study/>', "refused"),
])
def test_bad_xml_records(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_xml(data, "bad.xml")
    assert caught.value.path == "bad.xml"


@pytest.mark.parametrize(("data", "message"), [
    (b'{"resourceType": "Patient"}', "not a ClinicalTrials.gov study record"),
    (b'{"protocolSection": {"identificationModule": {"briefTitle": "x"}}}', "without an NCT ID"),
    (b'{"protocolSection": ', "not valid JSON"),
    (b'\xff\xfe', "not UTF-8"),
])
def test_bad_json_records(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_json(data, "bad.json")


def test_a_v2_search_answer_holds_several_studies() -> None:
    study = (DATA / "v2" / "NCT99999901.json").read_text(encoding="utf-8")
    records = parse_json(f'{{"studies": [{study}], "nextPageToken": "x"}}'.encode(), "page.json")
    assert [r.nct_id for r in records] == ["NCT99999901"]
