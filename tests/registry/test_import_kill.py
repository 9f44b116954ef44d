"""A killed `registry import` leaves the store as it was or with the whole import
(issue 12, D1, as for screening runs; issue 10): the importer writes every
graph of an import in one Oxigraph transaction, never a trial graph removed
before its replacement is in.

The writer reads the 196 records of the shared zip, a trial model and the
trials' terminology once, as two versions one triple apart in every graph,
then imports them in turn with --replace without end (the first by one
``Store.extend``, the others by one SPARQL update that drops and inserts). It
is killed at random moments, mostly mid-write; the store must then hold every
graph of one version, never a mix, a half graph or a graph without its hash.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from blinakg.registry import importer
from blinakg.registry.entries import REGISTRATION_GRAPH_BASE
from blinakg.registry.trial_rdf import content_hash

from ..conftest import ROOT
from ..killing import kill_after
from .conftest import DATA, REGISTRY_ZIP

KILLS = 6
TRIALS = ROOT / "ontology" / "trials"
HASH = "https://w3id.org/blinakg/ontology#contentHash"

WRITER = r'''
import dataclasses
import sys
from pathlib import Path
from rdflib import Literal
from rdflib.namespace import RDFS
from blinakg.registry import importer
from blinakg.registry.trial_rdf import content_hash
from blinakg.sparql.store import StoreTarget

paths = [Path(p) for p in sys.argv[2:]]
first = importer.read_all(paths)
versions = [first, [dataclasses.replace(entry, content=set(entry.content)) for entry in first]]
for entry in versions[1]:
    entry.content.add((entry.graph_iri, RDFS.comment, Literal("version b")))
    entry.hash = content_hash(entry.content)
turn = [0]
# Read once, write without end: each turn a fresh copy, as a new read gives (settling marks entries).
importer.read_all = lambda _paths, builtin=True: [dataclasses.replace(entry, content=set(entry.content))
                                                 for entry in versions[turn[0] % 2]]
target = StoreTarget(path=Path(sys.argv[1]), replace=True)
print("ready", flush=True)
while True:
    print(f"writing {turn[0]}", flush=True)
    importer.import_trials(target, [])
    print(f"written {turn[0]}", flush=True)
    turn[0] += 1
'''


def _expected(paths: list[Path]) -> list[dict[str, tuple[str, int]]]:
    """Per version, every graph's hash and size (content and provenance), as the writer makes them:
    the version's entries (b: one triple more in each, added before settling) settled by the importer
    into an empty store — records of modelled trials become registrations, and blinakg's own models
    come with the terminology they read."""
    import dataclasses

    from rdflib import Literal
    from rdflib.namespace import RDFS

    from blinakg.registry.registration import settle
    from blinakg.sparql.store import EmbeddedStore

    read = importer.read_all(paths)
    versions = []
    for version in ("a", "b"):
        entries = [dataclasses.replace(entry, content=set(entry.content)) for entry in read]
        if version == "b":
            for entry in entries:
                entry.content.add((entry.graph_iri, RDFS.comment, Literal("version b")))
                entry.hash = content_hash(entry.content)
        with tempfile.TemporaryDirectory() as empty:
            store = EmbeddedStore(Path(empty) / "store", writable=True)
            try:
                settled = settle(entries, store, importer._model_triples(), importer.builtin_model)
            finally:
                store.close()
        created = importer.dt.datetime(2026, 1, 1, tzinfo=importer.dt.timezone.utc)
        versions.append({str(entry.graph_iri): (entry.hash, len(entry.content | importer.provenance(entry, created)))
                         for entry in settled})
    return versions


def _stored(path: Path) -> dict[str, tuple[str | None, int]]:
    store = ox.Store(str(path))
    sizes: dict[str, int] = {}
    hashes: dict[str, str] = {}
    for quad in store:
        graph = quad.graph_name
        if not isinstance(graph, ox.NamedNode) or not graph.value.startswith(importer.GRAPH_BASE):
            continue
        sizes[graph.value] = sizes.get(graph.value, 0) + 1
        if quad.predicate.value == HASH and quad.subject == graph:
            hashes[graph.value] = quad.object.value
    del store
    return {name: (hashes.get(name), size) for name, size in sizes.items()}


def test_a_killed_import_leaves_the_store_as_it_was_or_with_the_whole_import(tmp_path: Path) -> None:
    if not REGISTRY_ZIP.is_file():
        pytest.skip("the shared registry zip is not there")
    paths = [REGISTRY_ZIP, TRIALS / "terminology.ttl", DATA / "models" / "NCT99999902.ttl"]
    version_a, version_b = _expected(paths)
    trial_graphs = {name for name in version_a if name.startswith(importer.TRIAL_GRAPH_BASE)}
    assert len(trial_graphs) == 198 and any(n.startswith(importer.TERMINOLOGY_GRAPH_BASE) for n in version_a)
    store = tmp_path / "store"
    rng = random.Random(10)
    mid_write = 0
    for _ in range(KILLS):
        said = kill_after(WRITER, [str(store), *map(str, paths)], rng.uniform(0.5, 6.0)).split()
        mid_write += bool(said) and said[-2] == "writing"
        stored = _stored(store)
        trial_and_terminology = {n: v for n, v in stored.items()
                                 if n.startswith((importer.TRIAL_GRAPH_BASE, importer.TERMINOLOGY_GRAPH_BASE,
                                                  REGISTRATION_GRAPH_BASE))}
        if not trial_and_terminology:
            continue  # killed during the very first write: the store as it was (empty)
        assert set(trial_and_terminology) == set(version_a), "some graphs of the import missing"
        in_a = all(v == version_a[n] for n, v in trial_and_terminology.items())
        in_b = all(v == version_b[n] for n, v in trial_and_terminology.items())
        off = sorted((n, v, version_a[n], version_b[n]) for n, v in trial_and_terminology.items()
                     if v not in (version_a[n], version_b[n]))
        assert in_a or in_b, f"a mix of two imports, a half graph, or a graph without its hash: {off[:3]}"
        assert str(importer.GRAPH_BASE + "model") in stored and str(importer.GRAPH_BASE + "shapes") in stored
    assert mid_write >= KILLS // 2  # the kills did land while the store was being written
