"""Benchmark: per-patient cost of the SHACL-SPARQL validators, planned by rdflib
alone (baseline) vs planned with the pre-bound variables known (blinakg.engine.planner).

Both are measured in the same run, on the same cohort of N copies of the
eligible example patient, for one patient as pySHACL binds it ($this, the check
parameter, $outcome, $value)::

    .venv/bin/python benchmarks/bench_query_planning.py 100

Prints one line per validator and the ratio baseline / blinakg.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import RDF
from rdflib.plugins.sparql import prepareQuery

from blinakg.engine.derive import derive
from blinakg.model import load_model, load_shapes
from blinakg.namespaces import BK
from blinakg.engine.screen import _validator_queries
from blinakg.engine.planner import prepared

ROOT = Path(__file__).resolve().parent.parent


def cohort(size: int) -> Graph:
    source = (ROOT / "examples" / "patients" / "pat-001-eligible.ttl").read_text()
    graph = Graph()
    for i in range(size):
        graph.parse(data=source.replace("ex:pat-001", f"ex:pat-{i:04d}").replace("hospital/", f"hospital/c{i}/"),
                    format="turtle")
    return graph


def timed(graph: Graph, query: object, bindings: dict[str, object], repeat: int) -> float:
    list(graph.query(query, initBindings=bindings))  # type: ignore[arg-type]
    start = time.perf_counter()
    for _ in range(repeat):
        list(graph.query(query, initBindings=bindings))  # type: ignore[arg-type]
    return (time.perf_counter() - start) / repeat


def main(size: int, repeat: int = 3) -> None:
    working = derive(cohort(size), load_model(), dt.date(2025, 3, 1))
    shapes = load_shapes()
    patient = sorted(working.subjects(RDF.type, BK.Patient))[0]
    total_base = total_ours = 0.0
    print(f"{size} patients; seconds per patient and validator (mean of {repeat})")
    for parameter, (variable, text) in sorted(_validator_queries(shapes).items()):
        check = sorted(shapes.objects(None, parameter))[0]
        bindings = {variable: check, "this": patient, "outcome": Literal("fail"), "value": patient}
        base = timed(working, prepareQuery(text), bindings, repeat)
        ours = timed(working, prepared(text, frozenset(bindings)), bindings, repeat)
        total_base += base
        total_ours += ours
        print(f"  {variable:<22} {check.split('/')[-1]:<32} rdflib {base:8.4f}  blinakg {ours:8.4f}  ratio {base / ours:6.1f}")
    print(f"  all validators: rdflib {total_base:.4f} s, blinakg {total_ours:.4f} s, ratio {total_base / total_ours:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
