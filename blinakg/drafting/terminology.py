"""The value sets a drafted check names, read from the model's terminology files.

The lexicon (``patterns/elements.json``) names value sets; their codes
(``system|code``, the FHIR systems of ``fhir-input.md``), canonical units and
unit conversions are read from ``ontology/terminology.ttl`` and
``ontology/trials/terminology.ttl`` (``bk:CodeSystem`` gives each system's IRI
prefix), so a code is stated once, in the terminology.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from ..errors import InputError
from ..namespaces import BK, ONTOLOGY_DIR, VS

TERMINOLOGY_FILES = (ONTOLOGY_DIR / "terminology.ttl", ONTOLOGY_DIR / "trials" / "terminology.ttl")


@dataclass(frozen=True)
class ValueSet:
    """What a check needs of a value set."""

    name: str
    iri: URIRef
    label: str
    codes: tuple[str, ...]
    canonical_unit: str | None
    conversions: tuple[tuple[str, Decimal], ...]


def _codes(graph: Graph, value_set: URIRef, prefixes: list[tuple[str, str]]) -> tuple[str, ...]:
    codes = []
    for concept in sorted(graph.objects(value_set, BK.includesConcept), key=str):
        for prefix, system in prefixes:
            if str(concept).startswith(prefix):
                codes.append(f"{system}|{str(concept)[len(prefix):]}")
                break
    for rule in graph.objects(value_set, BK.includesCodes):
        start, end = graph.value(rule, BK.codeFrom), graph.value(rule, BK.codeTo)
        system_node = graph.value(rule, BK.codeSystem)
        system = str(graph.value(system_node, BK.fhirSystem) or "") if system_node is not None else ""
        if start is not None and start == end and system:
            codes.append(f"{system}|{start}")
    return tuple(codes)


@lru_cache(maxsize=1)
def value_sets() -> dict[str, ValueSet]:
    """Every value set of the terminology files, by local name (``anc``, ``total-bilirubin``).

    Raises:
        InputError: a terminology file cannot be read.
    """
    graph = Graph()
    for path in TERMINOLOGY_FILES:
        try:
            graph.parse(path, format="turtle")
        except Exception as err:  # rdflib raises many kinds; one message naming the file
            raise InputError(path, f"cannot read the terminology ({err})") from None
    prefixes = sorted(((str(graph.value(system, BK.iriPrefix)), str(graph.value(system, BK.fhirSystem)))
                       for system in graph.subjects(RDF.type, BK.CodeSystem)
                       if graph.value(system, BK.iriPrefix) is not None), key=lambda p: -len(p[0]))
    found = {}
    for node in graph.subjects(RDF.type, BK.ValueSet):
        if not isinstance(node, URIRef) or not str(node).startswith(str(VS)):
            continue
        name = str(node)[len(str(VS)):]
        unit = graph.value(node, BK.canonicalUnit)
        conversions = tuple((str(graph.value(c, BK.fromUnit)), Decimal(str(graph.value(c, BK.divisor))))
                            for c in graph.objects(node, BK.unitConversion))
        found[name] = ValueSet(name=name, iri=node, label=str(graph.value(node, RDFS.label) or name),
                               codes=_codes(graph, node, prefixes),
                               canonical_unit=None if unit is None else str(unit), conversions=conversions)
    return found


__all__ = ["ValueSet", "value_sets", "TERMINOLOGY_FILES"]
