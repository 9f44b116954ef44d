"""SPARQL helpers shared by validation, explanation and the query command."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rdflib import Graph
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query


@lru_cache(maxsize=256)
def prepared(text: str) -> Query:
    """Parse and translate a query once: rdflib's parser costs ~0.4 s a query,
    far more than evaluating it for one patient."""
    return prepareQuery(text)


class PreparedQueryGraph(Graph):
    """A graph whose ``query()`` reuses parsed queries.

    pySHACL hands rdflib the text of each SPARQL validator once per shape and
    focus node; caching the parse makes validation cost what evaluation costs.
    """

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str) and not kwargs.get("initNs"):
            query_object = prepared(query_object)
        return super().query(query_object, *args, **kwargs)
