"""The model itself: Turtle that parses, an ontology consistent under HermiT,
shapes valid against SHACL-for-SHACL, verbatim criterion texts, and the
ROBOT-style ``*-violation.rq`` checks that must return no rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from blinakg.sparql import catalogue
from blinakg.model import load_model, load_shapes
from blinakg.namespaces import BK, ONTOLOGY_DIR, SHAPES_DIR

from .conftest import SPEC_DIR

VIOLATION_QUERIES = sorted((q for q in catalogue.catalogue().values() if q.id.endswith("-violation")), key=lambda q: q.id)


@pytest.mark.parametrize("path", sorted(ONTOLOGY_DIR.glob("*.ttl")) + sorted(SHAPES_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_turtle_parses_with_a_plain_rdf_parser(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 0


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_ontology_is_consistent_under_hermit(tmp_path: Path) -> None:
    import owlready2

    ntriples = tmp_path / "blinakg.nt"
    load_model().serialize(ntriples, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(ntriples.as_uri()).load(format="ntriples")
    with onto:
        # Raises OwlReadyInconsistentOntologyError when the ontology is inconsistent.
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    assert len(list(onto.classes())) > 20


def test_shapes_are_valid_against_shacl_for_shacl() -> None:
    conforms, _, text = pyshacl.validate(load_shapes(), shacl_graph=load_shapes(), meta_shacl=True, inference="none")
    # meta_shacl validates the shapes graph against the SHACL-for-SHACL shapes first and
    # raises if it does not conform; the shapes then run (harmlessly) over themselves.
    assert "Validation Report" in text


def test_meta_shacl_rejects_a_broken_shape() -> None:
    broken = load_shapes()
    broken.parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:bad> a sh:NodeShape ; sh:severity "high" ; sh:targetClass "not an IRI" .
    """, format="turtle")
    with pytest.raises(Exception, match="(?i)shacl"):
        pyshacl.validate(broken, shacl_graph=broken, meta_shacl=True, inference="none")


def _registered_texts() -> dict[str, str]:
    """The verbatim texts quoted in criteria.md: **I1** — "…"."""
    spec = (SPEC_DIR / "criteria.md").read_text(encoding="utf-8")
    texts = {}
    for match in re.finditer(r'\*\*([IE]\d+)\*\* — "(.*?)"\n-', spec, flags=re.S):
        texts[match.group(1)] = " ".join(match.group(2).split())
    return texts


def test_every_criterion_carries_its_verbatim_registered_text() -> None:
    texts = _registered_texts()
    assert len(texts) == 20
    model = load_model()
    stated = {str(model.value(c, BK.criterionId)): str(model.value(c, BK.verbatimText))
              for c in model.subjects(BK.criterionId, None)}
    assert stated == texts


def test_eight_inclusion_and_twelve_exclusion_criteria() -> None:
    model = load_model()
    assert len(set(model.subjects(RDF.type, BK.InclusionCriterion))) == 8
    assert len(set(model.subjects(RDF.type, BK.ExclusionCriterion))) == 12


def test_violation_query_count_is_pinned() -> None:
    assert len(VIOLATION_QUERIES) == 6


@pytest.mark.parametrize("query", VIOLATION_QUERIES, ids=lambda q: q.id)
def test_model_check_returns_no_rows(query: catalogue.Query) -> None:
    graph = load_model() + load_shapes()
    rows = list(graph.query(query.text))
    assert rows == [], f"{query.id}: {query.summary}\n{rows}"


@pytest.mark.parametrize("query", VIOLATION_QUERIES, ids=lambda q: q.id)
def test_model_check_returns_no_rows_with_the_other_trials(query: catalogue.Query) -> None:
    """The same checks over every computable trial (issue 10), with the shapes generated from their checks."""
    from blinakg.model import generated_shapes

    model = load_model(trials=True)
    rows = list((model + generated_shapes(model)).query(query.text))
    assert rows == [], f"{query.id}: {query.summary}\n{rows}"


def test_an_age_check_without_a_bound_it_can_read_is_a_model_fault() -> None:
    """bk:minAgeDays alone (a registration field's form) on a criterion would pass everyone: refused."""
    graph = load_model()
    graph.parse(data="""
        @prefix bk: <https://w3id.org/blinakg/ontology#> .
        <urn:planted:age> a bk:AgeCheck ; bk:criterion <urn:planted:I9> ; bk:label "age" ; bk:minAgeDays 28 .
    """, format="turtle")
    rows = list(graph.query(catalogue.get("check-parameters-violation").text))
    assert [(str(r[0]), "days" in str(r[1])) for r in rows] == [("urn:planted:age", True)]


@pytest.mark.parametrize("query", VIOLATION_QUERIES, ids=lambda q: q.id)
def test_model_check_can_fail(query: catalogue.Query) -> None:
    """Each check finds a planted fault, so it is not a test that cannot fail."""
    graph = load_model() + load_shapes()
    graph.parse(data="""
        @prefix bk: <https://w3id.org/blinakg/ontology#> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix bksh: <https://w3id.org/blinakg/shapes#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://w3id.org/blinakg/trial/NCT04604691> bk:criterion <urn:planted:E13> .
        <urn:planted:E13> a bk:ExclusionCriterion ; bk:check <urn:planted:check> .
        <urn:planted:check> a bk:LatestResultCheck ; bk:passWhen "between" ; bk:threshold 3 .
        <urn:planted:shape> a sh:NodeShape ; bksh:outcome "fail" ; sh:severity sh:Warning .
        <https://w3id.org/blinakg/code/planted> a skos:Concept .
        <https://w3id.org/blinakg/valueset/planted> a bk:ValueSet .
    """, format="turtle")
    assert list(graph.query(query.text)), f"{query.id} did not find the planted fault"
