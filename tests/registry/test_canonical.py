"""Canonical blank-node names in linear time (issue 19.4): a model with an RDF list 5,000 deep imports in
seconds, the same content always hashes the same, and blank nodes no tree can name are bounded."""

from __future__ import annotations

import time
from pathlib import Path

from rdflib import BNode, Literal, URIRef

from blinakg.errors import InputError
from blinakg.registry.canonical import MAX_GENERAL_BLANK_NODES, canonical
from blinakg.registry.models import parse_turtle
from blinakg.registry.entries import Source
from blinakg.registry.trial_rdf import content_hash

from .conftest import DATA, run

MODEL = (DATA / "models" / "NCT99999902.ttl").read_text(encoding="utf-8")
GRAPH = URIRef("https://w3id.org/blinakg/graph/trial/NCT99999902")
P = URIRef("https://w3id.org/blinakg/ontology#label")


def _deep(depth: int) -> str:
    return (MODEL + "<https://w3id.org/blinakg/trial/NCT99999902/deep> <https://w3id.org/blinakg/ontology#label> "
            + "(" * depth + '"x"' + ")" * depth + " .\n")


def _parsed(tmp_path: Path, text: str, name: str = "NCT99999902.ttl") -> set:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return set(parse_turtle(Source(label=str(path), suffix=".ttl", data=b"", path=path)))


def test_a_list_5000_deep_is_named_in_linear_time(tmp_path: Path) -> None:
    triples = _parsed(tmp_path, _deep(5000))
    started = time.perf_counter()
    named = canonical(triples, GRAPH, "deep.ttl")
    assert time.perf_counter() - started < 5  # rdflib's algorithm: no answer in 180 s
    assert len(named) == len(triples) and not any(isinstance(t, BNode) for triple in named for t in triple)
    # Parsed again (other blank node labels), the same names.
    assert content_hash(canonical(_parsed(tmp_path, _deep(5000), "again.ttl"), GRAPH, "again.ttl")) == \
        content_hash(named)
    assert content_hash(canonical(_parsed(tmp_path, _deep(4999), "less.ttl"), GRAPH, "less.ttl")) != \
        content_hash(named)


def test_the_deep_model_imports_in_seconds_and_again_unchanged(tmp_path: Path) -> None:
    model = tmp_path / "NCT99999902.ttl"
    model.write_text(_deep(5000), encoding="utf-8")
    started = time.perf_counter()
    code, _, err = run("registry", "import", str(model), "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert time.perf_counter() - started < 60  # a few seconds on a quiet machine; the budget allows a loaded one
    code, _, err = run("registry", "import", str(model), "--store", str(tmp_path / "store"))
    assert code == 0 and "0 added, 0 replaced, 2 unchanged" in err, err


def test_equal_subtrees_in_different_places_stay_apart() -> None:
    a, b, root1, root2 = BNode(), BNode(), URIRef("urn:x:1"), URIRef("urn:x:2")
    triples = {(root1, P, a), (root2, P, b), (a, P, Literal("same")), (b, P, Literal("same"))}
    named = canonical(triples, GRAPH, "t.ttl")
    assert len(named) == 4 and len({o for s, _, o in named if s in (root1, root2)}) == 2


def test_blank_nodes_that_are_not_trees_go_to_the_general_algorithm_when_few() -> None:
    shared, other = BNode(), BNode()
    triples = {(URIRef("urn:x:1"), P, shared), (URIRef("urn:x:2"), P, shared), (shared, P, other),
               (other, P, shared)}  # shared by two subjects, and a cycle
    first = canonical(triples, GRAPH, "t.ttl")
    fresh = {shared: BNode(), other: BNode()}
    renamed = {tuple(fresh.get(t, t) for t in triple) for triple in triples}
    assert len(first) == 4 and content_hash(first) == content_hash(canonical(renamed, GRAPH, "t.ttl"))  # type: ignore[arg-type]


def test_too_many_blank_nodes_that_are_not_trees_are_refused(tmp_path: Path) -> None:
    lines = [f"<https://w3id.org/blinakg/trial/NCT99999902/n{i}> <https://w3id.org/blinakg/ontology#label> _:b{i}, "
             f"_:b{i + 1} ." for i in range(MAX_GENERAL_BLANK_NODES + 5)]
    model = tmp_path / "NCT99999902.ttl"
    model.write_text(MODEL + "\n".join(lines) + "\n", encoding="utf-8")
    triples = _parsed(tmp_path, model.read_text(encoding="utf-8"), "copy.ttl")
    try:
        canonical(triples, GRAPH, "copy.ttl")
    except InputError as err:
        assert "blank nodes" in str(err) and "copy.ttl" in str(err)
    else:
        raise AssertionError("not refused")
    code, out, err = run("registry", "import", str(model), "--store", str(tmp_path / "store"))
    assert code == 2 and out == "" and str(model) in err and "blank nodes" in err
    assert not (tmp_path / "store").exists()
