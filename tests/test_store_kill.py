"""Issue 12, D1: "adding a run is atomic. A SIGKILL at any moment leaves the
store as it was or with the whole run; shared graphs are never removed before
their replacement is in. A test kills the writer at random moments, at least 20
times."
"""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest

from blinakg.sparql.store import MODEL_GRAPH, SHAPES_GRAPH, TRIALS_GRAPH

from .killing import kill_after

KILLS = 20
PER_RUN = 400  # data quads a run (the results graph holds twice as many)
RUN_PREFIX = "https://w3id.org/blinakg/run/kill-"

# The writer adds runs without end; the model changes every other run (two
# versions, one triple apart), so runs go in both ways: a new model and shapes
# replaced in one SPARQL update, or an unchanged model and one Store.extend.
# Each run also carries the other trials' graph of a run against several trials
# (validate --trial --store), which changes with the model.
WRITER = r'''
import sys
from rdflib import BNode, Graph, Literal, URIRef
from blinakg.model import load_model, load_shapes
from blinakg.sparql.store import TRIALS_GRAPH, EmbeddedStore, RunGraphs

model, shapes = load_model(), load_shapes()
model_b = Graph(); model_b += model
model_b.add((URIRef("urn:kill:version"), URIRef("urn:kill:is"), Literal("b")))
trials = Graph(); trials += load_model(trials=True); trials -= model
trials_b = Graph(); trials_b += trials
trials_b.add((URIRef("urn:kill:trials"), URIRef("urn:kill:is"), Literal("b")))
store = EmbeddedStore(sys.argv[1], writable=True)
k = 0
N = int(sys.argv[3])
while True:
    run = URIRef(f"{sys.argv[2]}{k}")
    results, data = Graph(), Graph()
    for i in range(N):
        node = BNode(f"r{k}x{i}")
        results.add((run, URIRef("urn:kill:result"), node))
        results.add((node, URIRef("urn:kill:n"), Literal(i)))
        data.add((node, URIRef("urn:kill:data"), Literal(f"patient {i}")))
    b = (k // 2) % 2
    store.add_run(RunGraphs(run=run, results=results, data=data, model=model_b if b else model,
                            shapes=shapes, shared=[(TRIALS_GRAPH, trials_b if b else trials)]))
    if k == 0:
        print("ready", flush=True)
    k += 1
'''


def _counts(path: Path) -> dict[str, int]:
    store = ox.Store(str(path))
    counts: dict[str, int] = {}
    for quad in store:
        graph = quad.graph_name
        key = graph.value if isinstance(graph, ox.NamedNode) else ""
        counts[key] = counts.get(key, 0) + 1
    del store
    return counts


def test_a_killed_writer_leaves_the_store_as_it_was_or_with_the_whole_run(tmp_path: Path) -> None:
    from blinakg.model import load_model, load_shapes

    n_model, n_shapes = len(load_model()), len(load_shapes())
    n_trials = len(load_model(trials=True) - load_model())
    store = tmp_path / "store"
    rng = random.Random(12)
    seen_runs = 0
    for attempt in range(KILLS):
        kill_after(WRITER, [str(store), f"{RUN_PREFIX}{attempt}-", str(PER_RUN)], rng.uniform(0.0, 0.4))
        counts = _counts(store)
        assert counts.get(str(MODEL_GRAPH)) in (n_model, n_model + 1), counts.get(str(MODEL_GRAPH))
        assert counts.get(str(SHAPES_GRAPH)) == n_shapes
        assert counts.get(str(TRIALS_GRAPH)) in (n_trials, n_trials + 1), counts.get(str(TRIALS_GRAPH))
        runs = {g for g in counts if g.startswith(RUN_PREFIX) and not g.endswith("/data")}
        datas = {g[: -len("/data")] for g in counts if g.startswith(RUN_PREFIX) and g.endswith("/data")}
        assert runs == datas, "a run without its data, or data without its run"
        for run in runs:
            assert counts[run] == 2 * PER_RUN and counts[run + "/data"] == PER_RUN, (run, counts[run],
                                                                                    counts[run + "/data"])
        assert "" not in counts, "quads outside the named graphs"
        seen_runs = len(runs)
    assert seen_runs >= KILLS  # every writer got its first run in before it was killed
