"""The cohort engine against pySHACL, the reference; chunking and workers; what it refuses.

The criterion cases are compared engine against engine in
``test_criteria_cases.py``; here, the FHIR fixtures, the examples and a
generated bulk export of 60 patients (500: ``benchmarks/bench_reference.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SH

from blinakg.engine.screen import Screening, screen_paths
from blinakg.engine.shapes import ShapesError, compile_shapes
from blinakg.model import load_shapes
from blinakg.reports.render import render_turtle, to_json

from .conftest import EXAMPLES

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from cohort_export import generate  # noqa: E402

AS_OF = dt.date(2025, 3, 1)
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def export_60(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("export") / "bulk"
    return folder, generate(folder, 60, seed=5)


def _same(fast: Screening, reference: Screening) -> None:
    assert to_json(fast) == to_json(reference)
    assert fast.report_rows == reference.report_rows
    assert [[(c.iri, c.status, c.explanation, [e.source for e in c.evidence]) for cr in p.criteria for c in cr.checks]
            for p in fast.patients] == \
           [[(c.iri, c.status, c.explanation, [e.source for e in c.evidence]) for cr in p.criteria for c in cr.checks]
            for p in reference.patients]


@pytest.mark.parametrize("inputs", [
    [EXAMPLES],
    [HERE / "fhir" / "periods" / "export.ndjson"],
    [HERE / "equivalence" / "quirks.json"],
    [HERE / "fhir" / "quirks"],
    [HERE / "fhir" / "orders" / "export.ndjson", HERE / "fhir" / "orders" / "bundle.json"],
    [HERE / "fhir" / "patient-facts" / "export.ndjson"],
    [HERE / "fhir" / "observation-status" / "export.ndjson"],
], ids=["examples", "fhir-periods", "equivalence-quirks", "fhir-quirks", "fhir-orders", "fhir-patient-facts",
        "fhir-observation-status"])
def test_engines_agree_on_fixtures(inputs: list[Path]) -> None:
    fast = screen_paths(inputs, AS_OF, engine="fast", jobs=1)
    reference = screen_paths(inputs, AS_OF, engine="pyshacl", jobs=1)
    assert fast.patients
    _same(fast, reference)


def test_engines_agree_on_a_generated_cohort(export_60: tuple[Path, dict[str, int]]) -> None:
    folder, _ = export_60
    fast = screen_paths([folder], AS_OF, engine="fast", jobs=2, chunk_size=25)
    reference = screen_paths([folder], AS_OF, engine="pyshacl", jobs=2, chunk_size=40)
    assert len(fast.patients) == 60
    statuses = {(c.id, c.status) for p in fast.patients for c in p.criteria}
    for criterion in [f"I{n}" for n in range(1, 9)] + [f"E{n}" for n in range(1, 13)]:
        assert {(criterion, "pass"), (criterion, "fail")} & statuses or (criterion, "review") in statuses
    _same(fast, reference)


@pytest.mark.parametrize("jobs,chunk_size", [(2, 7), (3, 25), (2, 1)])
def test_report_is_the_same_for_any_jobs_and_chunk_size(export_60: tuple[Path, dict[str, int]],
                                                        jobs: int, chunk_size: int) -> None:
    folder, _ = export_60
    whole = screen_paths([folder], AS_OF, jobs=1, chunk_size=10_000)
    split = screen_paths([folder], AS_OF, jobs=jobs, chunk_size=chunk_size)
    assert to_json(split) == to_json(whole)
    assert render_turtle(split) == render_turtle(whole)


def test_records_no_check_can_use_are_counted_and_passed_over(export_60: tuple[Path, dict[str, int]]) -> None:
    folder, counts = export_60
    screening = screen_paths([folder], AS_OF, jobs=1)
    summary = [w for w in screening.warnings if w.startswith("Passed over ")]
    assert len(summary) == 1
    for kind in ("Encounter", "Claim", "DocumentReference"):
        assert f"{counts[kind]} {kind}" in summary[0]
    assert " Observation" in summary[0]  # vital signs and unrelated labs


def test_the_engine_reads_every_shape_of_the_model() -> None:
    shapes = load_shapes()
    plans = compile_shapes(shapes)
    read = {o.shape for plan in plans for o in plan.outcomes.values()}
    assert read == set(shapes.subjects(RDF.type, SH.NodeShape)) and len(read) == 55
    assert len(plans) == 37


SHAPES_PREFIXES = """
@prefix bk:   <https://w3id.org/blinakg/ontology#> .
@prefix bksh: <https://w3id.org/blinakg/shapes#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix ex:   <https://example.org/> .
"""


@pytest.mark.parametrize("extra,feature", [
    ("ex:S1 a sh:NodeShape ; sh:targetClass bk:Patient ; sh:property [ sh:path bk:gender ; sh:minCount 1 ] .",
     "sh:property"),
    ("ex:S2 a sh:NodeShape ; sh:targetClass bk:Patient ; sh:sparql [ sh:select 'SELECT $this WHERE {}' ] .",
     "sh:sparql"),
    ("ex:S3 a sh:NodeShape ; sh:targetNode ex:p ; bksh:investigatorJudgement ex:c .", "sh:targetNode"),
    ("ex:S4 a sh:NodeShape ; sh:targetClass bk:Patient ; sh:deactivated true ; bksh:investigatorJudgement ex:c .",
     "sh:deactivated"),
    ("ex:S5 a sh:NodeShape ; sh:targetClass bk:Patient ; sh:class bk:Patient .", "sh:class"),
    ("bksh:InvestigatorJudgementComponent sh:propertyValidator ex:V .", "sh:propertyValidator"),
])
def test_the_cohort_engine_refuses_what_it_does_not_evaluate(extra: str, feature: str) -> None:
    """Never a silent skip: a shape with a feature the engine does not evaluate is named, with the feature."""
    shapes = load_shapes()
    shapes.parse(data=SHAPES_PREFIXES + extra, format="turtle")
    with pytest.raises(ShapesError) as err:
        compile_shapes(shapes)
    assert feature in str(err.value)
    subject = extra.split()[0].replace("ex:", "https://example.org/").replace("bksh:", "https://w3id.org/blinakg/shapes#")
    assert subject in str(err.value)


def test_turtle_report_is_a_w3c_validation_report() -> None:
    screening = screen_paths([EXAMPLES], AS_OF)
    graph = Graph().parse(data=render_turtle(screening), format="turtle")
    rows = list(graph.query("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?report ?conforms (COUNT(?result) AS ?n) WHERE {
          ?report a sh:ValidationReport ; sh:conforms ?conforms ; sh:result ?result .
          ?result sh:focusNode ?focus ; sh:sourceShape ?shape ; sh:sourceConstraintComponent ?component ;
                  sh:resultSeverity ?severity ; sh:resultMessage ?message ; sh:value ?value .
        } GROUP BY ?report ?conforms"""))
    assert len(rows) == 1 and str(rows[0][1]) == "false" and int(rows[0][2]) == len(screening.report_rows) > 0
    values = {str(v) for v in graph.objects(None, SH.value)}
    assert any("anc-pat-017" in v for v in values)  # sh:value is the record, not the patient


def test_no_progress_bar_when_standard_error_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    screen_paths([EXAMPLES], AS_OF, quiet=False)
    assert capsys.readouterr().err == ""


def test_json_output_of_the_cli_is_the_same_for_either_engine(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from blinakg.cli import main

    outputs = []
    for engine in ("fast", "pyshacl"):
        out = tmp_path / f"{engine}.json"
        result = CliRunner().invoke(main, ["validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "json",
                                           "--engine", engine, "--jobs", "2", "--quiet", "-o", str(out)])
        assert result.exit_code == 1, result.output
        outputs.append(json.loads(out.read_text()))
    assert outputs[0] == outputs[1]
