"""Helpers shared by the case-as-data tests (tests/cases/, tests/trials/): a cohort of
case patients, and the cases that cover every expectation once."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Hashable, Iterable

from rdflib import Graph
from rdflib.namespace import RDF

from blinakg.namespaces import BK
from blinakg.readers.rdfio import parse_rdf_file


def case_cohort(cases: Iterable[Path]) -> tuple[Graph, dict[str, Path]]:
    """The patients of the cases as one graph (one patient a case, distinct IRIs), and patient IRI -> case."""
    graph = Graph()
    owner: dict[str, Path] = {}
    for case in cases:
        data = parse_rdf_file(case / "patient.ttl")
        patients = {str(p) for p in data.subjects(RDF.type, BK.Patient)}
        assert len(patients) == 1, f"{case}: one patient per case"
        owner[patients.pop()] = case
        graph += data
    return graph, owner


def covering(cases: Iterable[Path], expectations: Callable[[Path], set[Hashable]]) -> list[Path]:
    """The first case (in order) of each expectation the cases state (e.g. each (criterion, status))."""
    chosen: list[Path] = []
    seen: set[Hashable] = set()
    for case in cases:
        new = expectations(case) - seen
        if new:
            chosen.append(case)
            seen |= new
    return chosen
