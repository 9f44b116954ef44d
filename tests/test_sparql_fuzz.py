"""Issue 19: the SPARQL layer fuzzed around keywords, IRIs and escapes.

Seeds are the attack queries (``tests/hostile/sparql``) and a few plain ones;
hypothesis splices in tokens that have fooled keyword scanners before — numbers
and booleans ending in a dot, ``\\#`` and ``\\'`` in prefixed names, ``\\u``
escapes, comments, strings, IRIs pointing at a listener on 127.0.0.1 — and
each mutant goes through the syntax check and both local stores (Oxigraph and
rdflib). Every mutant must be answered or refused with one of blinakg's own
errors, and the listener must see nothing. Sized to run in well under 30 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Literal, URIRef

from blinakg.errors import InputError, UsageError
from blinakg.sparql import query as q
from blinakg.sparql.store import EmbeddedStore, MemoryStore

from .test_sparql_hostile import ATTACKS, Listener

PLAIN = [
    "SELECT * WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/> SELECT ?s WHERE { ?s ex:p 1 . FILTER(?s != ex:a) }",
    "ASK { ?s ?p \"x\" }",
    "SELECT ?g FROM NAMED <urn:x:g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2",
]
TOKENS = [
    "SERVICE", "service", "SeRvIcE", "SILENT", "\\u0053ERVICE", "\\U00000053ERVICE", " SERVICE <http://LISTENER/s> {} ",
    "FROM", "FROM NAMED", "GRAPH", "EXISTS", "NOT EXISTS", "OPTIONAL", "MINUS", "UNION", "VALUES ?x { 1 }",
    "1.", ".1", "1.0e1.", "true.", "false.", "-1.", "\"", "'", "\"\"\"", "'''", "\\", "\\#", "\\'", "\\\"", "\\n",
    "#", "\n", "\r", "{", "}", "(", ")", "<", ">", ".", ";", ",", "*", "?", "$", "_:b", "[]", "^^", "@en",
    "<http://LISTENER/sparql>", "<http://LISTENER/x.ttl>", "PREFIX l: <http://LISTENER/>\n", "l:x", "ex:a\\#b",
    "BASE <http://LISTENER/>\n", "<sparql>", "%41", "\u00e9", "\ud7ff", "\x00", "\t",
]


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.close()


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, MemoryStore]]:
    """Both local stores over three triples (so a fuzzed cross join stays cheap)."""
    path = tmp_path_factory.mktemp("fuzz-store") / "store"
    writable = ox.Store(str(path))
    for i in range(3):
        writable.add(ox.Quad(ox.NamedNode(f"urn:x:s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(str(i)),
                             ox.NamedNode("urn:x:g")))
    writable.flush()
    del writable
    embedded = EmbeddedStore(path)
    memory = MemoryStore.__new__(MemoryStore)  # the rdflib store without the model: three triples too
    memory.label = "fuzz"
    memory.dataset = Dataset(default_union=True)
    graph = memory.dataset.graph(URIRef("urn:x:g"))
    for i in range(3):
        graph.add((URIRef(f"urn:x:s{i}"), URIRef("http://example.org/p"), Literal(str(i))))
    try:
        yield embedded, memory
    finally:
        embedded.close()


@st.composite
def fuzzed_query(draw: Any) -> str:
    """A seed query with a few splices: tokens inserted or put in place of a stretch, stretches cut or doubled."""
    seeds = PLAIN + [path.read_text(encoding="utf-8") for path in ATTACKS]
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 12)))
        kind = draw(st.sampled_from(["insert", "replace", "cut", "double"]))
        token = draw(st.sampled_from(TOKENS))
        if kind == "insert":
            text = text[:at] + token + text[at:]
        elif kind == "replace":
            text = text[:at] + token + text[end:]
        elif kind == "cut":
            text = text[:at] + text[end:]
        else:
            text = text[:end] + text[at:end] + text[end:]
    return text


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=fuzzed_query())
def test_fuzzed_queries_never_reach_the_network(text: str, listener: Listener,
                                                stores: tuple[EmbeddedStore, MemoryStore]) -> None:
    text = text.replace("LISTENER", f"127.0.0.1:{listener.port}")
    try:
        q.check_syntax(text, "fuzz.rq")
    except (InputError, UsageError):
        pass
    try:  # the endpoint's check: Oxigraph's parser only, never an evaluation
        q.check_syntax(text, "fuzz.rq", local=False)
    except (InputError, UsageError):
        pass
    for store in stores:
        try:
            store.query(text)
        except (InputError, UsageError):
            pass
    assert listener.hits == [], (text, listener.hits)


def test_the_fuzzing_reached_the_stores(stores: tuple[EmbeddedStore, MemoryStore]) -> None:
    """The seeds that must run do run on both stores (the property above is not vacuous)."""
    for text in PLAIN:
        for store in stores:
            store.query(text)
