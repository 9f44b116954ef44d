"""Benchmark (issue 9, part 7): importing the 196 ClinicalTrials.gov records of the
shared zip into a fresh embedded store (target: at most 10 s), the same import
again (every trial unchanged), and each registry catalogue query over the result
(target: at most 1 s a query)::

    .venv/bin/python benchmarks/bench_registry.py [ZIP] [REPEAT]

Times are wall-clock, in-process (no interpreter start-up); queries are the
median of REPEAT runs (default 5) after one warm-up run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from blinakg.registry.importer import import_trials
from blinakg.sparql import query as q
from blinakg.sparql.store import EmbeddedStore, StoreTarget

ROOT = Path(__file__).resolve().parent.parent
ZIP = ROOT.parent / "shared" / "registry" / "ctgov-pediatric-acute-leukemia-2021-05-11.zip"
QUERIES = [
    ("registry-trials", ()),
    ("trials-sharing", ("trial=NCT02101853",)),
    ("trials-open-to", ("age=5", "sex=female")),
    ("criterion-text-search", ("phrase=neutrophil",)),
    ("data-element-thresholds", ()),
    ("registry-statistics", ()),
]


def main(archive: Path, repeat: int = 5) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = StoreTarget(path=Path(folder) / "store")
        start = time.perf_counter()
        summary = import_trials(target, [archive])
        first = time.perf_counter() - start
        print(f"import of {archive.name}: {first:.2f} s ({summary.describe()})")
        start = time.perf_counter()
        summary = import_trials(target, [archive])
        print(f"same import again: {time.perf_counter() - start:.2f} s ({summary.describe()})")
        store = EmbeddedStore(Path(folder) / "store")
        try:
            for name, params in QUERIES:
                source = q.resolve(name)
                text = q.bind_parameters(source.text, q.parse_params(params), source.label, source.parameters)
                rows = len(store.query(text).rows)
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    store.query(text)
                    times.append(time.perf_counter() - start)
                shown = " ".join(params)
                print(f"query {name} {shown}: {statistics.median(times) * 1000:.0f} ms "
                      f"(median of {repeat}, {rows} rows)")
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ZIP, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
