"""Which records a check can use, compiled once from the model's value sets.

A bulk export is mostly records no criterion reads (encounters, claims,
documents, vital signs, unrelated labs and diagnoses). A record whose codes
all fall outside every value set of the model can change no status, so it is
counted and passed over instead of lifted. What "can matter" is read from the
model, as the value-set derivation (``queries/derive/20-value-sets.ru``) reads
it: a concept a value set includes, or any concept under it or mapped to it
(``skos:broader``, ``skos:exactMatch`` either way, as often as it takes), and
any code a code rule of a value set matches (a prefix range or a pattern).
A site's own mappings (``--terminology``) are part of the model, so their
codes matter too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph

from ..namespaces import BK_IRI

_CLOSURE = f"""
PREFIX bk: <{BK_IRI}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?code WHERE {{
  ?valueSet bk:includesConcept ?top .
  ?code (skos:broader|skos:exactMatch|^skos:exactMatch)* ?top .
}}"""

_RULES = f"""
PREFIX bk: <{BK_IRI}>
SELECT DISTINCT ?prefix ?from ?to ?pattern WHERE {{
  ?valueSet bk:includesCodes ?rule .
  ?rule bk:codeSystem/bk:iriPrefix ?prefix .
  OPTIONAL {{ ?rule bk:codeFrom ?from ; bk:codeTo ?to }}
  OPTIONAL {{ ?rule bk:codePattern ?pattern }}
}}"""


@dataclass(frozen=True)
class _Rule:
    prefix: str
    low: str | None
    high: str | None
    pattern: re.Pattern[str] | None

    def matches(self, iri: str) -> bool:
        if not iri.startswith(self.prefix):
            return False
        notation = iri[len(self.prefix):]
        if self.low is not None and self.high is not None:
            if notation[: len(self.low)] >= self.low and notation[: len(self.high)] <= self.high:
                return True
        return self.pattern is not None and self.pattern.search(notation) is not None


class Relevance:
    """The codes that can matter to some check of the model."""

    def __init__(self, model: Graph):
        self.concepts: frozenset[str] = frozenset(str(row[0]) for row in model.query(_CLOSURE))  # type: ignore[index]
        rules = []
        for row in model.query(_RULES):
            prefix, low, high, pattern = (None if term is None else str(term) for term in row)  # type: ignore[union-attr]
            assert prefix is not None
            rules.append(_Rule(prefix, low, high, re.compile(pattern) if pattern is not None else None))
        self.rules = tuple(rules)
        self._seen: dict[str, bool] = {}

    def matters(self, iri: str) -> bool:
        """Whether a record coded ``iri`` can fall in a value set."""
        known = self._seen.get(iri)
        if known is None:
            known = iri in self.concepts or any(rule.matches(iri) for rule in self.rules)
            self._seen[iri] = known
        return known
