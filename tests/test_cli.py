"""`blinakg validate` per contract.md, in-process with click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDF, SH

from blinakg.cli import main
from blinakg.namespaces import BK, TRIAL

from .conftest import EXAMPLES

ORDER = [f"I{i}" for i in range(1, 9)] + [f"E{i}" for i in range(1, 13)]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_report_follows_the_contract() -> None:
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["trial"] == "NCT04604691"
    assert report["as_of"] == "2025-03-01"
    verdicts = {p["id"]: p["verdict"] for p in report["patients"]}
    assert verdicts == {
        "https://example.org/hospital/pat-001": "eligible",
        "pat-017": "ineligible",
        "pat-023": "indeterminate",
    }
    for patient in report["patients"]:
        assert [c["id"] for c in patient["criteria"]] == ORDER
        for c in patient["criteria"]:
            assert set(c) == {"id", "kind", "status", "text", "explanation", "evidence", "next_step"}
            if c["status"] in ("pass", "review"):
                assert c["next_step"] is None
            assert c["kind"] == ("inclusion" if c["id"].startswith("I") else "exclusion")
            assert c["status"] in {"pass", "fail", "unknown", "review"}
            assert c["explanation"]
            for e in c["evidence"]:
                assert set(e) <= {"source", "value", "date"} and "source" in e
    pat017 = next(p for p in report["patients"] if p["id"] == "pat-017")
    i5 = next(c for c in pat017["criteria"] if c["id"] == "I5")
    assert i5["status"] == "fail"
    assert "800 /uL" in i5["explanation"] and "2025-02-24" in i5["explanation"] and "≥ 1 10*9/L" in i5["explanation"]
    assert i5["evidence"] == [{"source": "Observation/anc-pat-017", "value": "800 /uL", "date": "2025-02-24"}]
    assert i5["next_step"] == "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL."
    assert [p["earliest_eligible_date"] for p in report["patients"]] == ["2025-03-01", None, None]
    assert "Observation/obs-9 is dated after 2025-03-01 and was ignored." in report["warnings"]


def test_exit_status_zero_when_every_patient_is_eligible() -> None:
    code, out, err = run("validate", str(EXAMPLES / "pat-001-eligible.ttl"), "--as-of", "2025-03-01")
    assert code == 0, err
    assert "ELIGIBLE" in out and "E12" in out


def test_text_report_is_readable() -> None:
    code, out, _ = run("validate", str(EXAMPLES), "--as-of", "2025-03-01")
    assert code == 1
    assert "Patient pat-017: INELIGIBLE" in out
    assert "Patient pat-023: INDETERMINATE" in out
    assert "evidence: Observation/anc-pat-017 (800 /uL, 2025-02-24)" in out


def test_turtle_report_holds_the_w3c_report_and_results_linked_to_criteria(tmp_path: Path) -> None:
    target = tmp_path / "report.ttl"
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "turtle", "--output", str(target))
    assert code == 1, err
    assert out == ""
    graph = Graph().parse(target, format="turtle")
    assert len(set(graph.subjects(RDF.type, SH.ValidationReport))) == 1
    results = set(graph.subjects(RDF.type, BK.CriterionResult))
    assert len(results) == 3 * 20
    assert {graph.value(r, BK.criterion) for r in results} == {TRIAL[c] for c in ORDER}
    fails = list(graph.query("""
        PREFIX bk: <https://w3id.org/blinakg/ontology#>
        SELECT ?source WHERE { ?r bk:criterion <https://w3id.org/blinakg/trial/NCT04604691/I5> ;
                                  bk:statusOf bk:Fail ; bk:evidence/bk:sourceRecord ?source }"""))
    assert [str(row.source) for row in fails] == ["Observation/anc-pat-017"]


def test_as_of_defaults_to_today_and_is_stated() -> None:
    import datetime as dt

    code, out, _ = run("validate", str(EXAMPLES / "pat-001-eligible.ttl"), "--format", "json")
    assert json.loads(out)["as_of"] == dt.date.today().isoformat()
    assert code in (0, 1)


BAD_INPUTS = {
    "malformed.ttl": ("@prefix bk: <https://w3id.org/blinakg/ontology#> .\n<urn:p> a bk:Patient \n<urn:q> a bk:Patient .\n",
                      r"malformed\.ttl:3:1: not valid TURTLE"),
    "malformed.jsonld": ('{"@id": "urn:p",\n  "@type": }', r"malformed\.jsonld:2:\d+: not valid JSON"),
    "wrong-datatype.ttl": ("@prefix bk: <https://w3id.org/blinakg/ontology#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                           "<urn:p> a bk:Patient ; bk:birthDate \"2012-13-45\"^^xsd:date .\n",
                           r"wrong-datatype\.ttl:3:\d+: literal \"2012-13-45\" of bk:birthDate is not a valid xsd:date"),
    "no-patient.ttl": ("@prefix bk: <https://w3id.org/blinakg/ontology#> .\n<urn:o> a bk:Observation .\n",
                       r"no-patient\.ttl: no patient found"),
    "broken.nt": ("<urn:p> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/blinakg/ontology#Patient> .\n<urn:p> <urn:x> \"open .\n",
                  r"broken\.nt:2(:\d+)?: not valid NT"),
    "notes.txt": ("hello", r"notes\.txt: unsupported file type '\.txt'"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gives_one_clear_message_exit_2_and_writes_nothing(tmp_path: Path, name: str) -> None:
    content, pattern = BAD_INPUTS[name]
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    target = tmp_path / "out.json"
    target.write_text("previous report\n")
    code, out, err = run("validate", str(source), "--as-of", "2025-03-01", "--format", "json", "--output", str(target))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    import re

    assert re.search(pattern, err), err
    assert target.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "out.json"])


def test_one_bad_file_in_a_folder_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text((EXAMPLES / "pat-001-eligible.ttl").read_text())
    (tmp_path / "b.ttl").write_text("this is not turtle")
    code, out, err = run("validate", str(tmp_path), "--as-of", "2025-03-01")
    assert code == 2 and out == "" and "b.ttl:1" in err


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "nope.ttl"))
    assert code == 2 and "nope.ttl: no such file or folder" in err
    code, _, err = run("validate", str(tmp_path))
    assert code == 2 and "folder holds no input file" in err


def test_bad_as_of_is_a_usage_error() -> None:
    code, _, err = run("validate", str(EXAMPLES), "--as-of", "2025-02-30")
    assert code == 2 and "is not a date" in err


def test_output_folder_must_exist(tmp_path: Path) -> None:
    code, _, err = run("validate", str(EXAMPLES / "pat-001-eligible.ttl"), "--output", str(tmp_path / "no" / "r.json"))
    assert code == 2 and "output folder does not exist" in err
