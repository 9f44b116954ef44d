"""Screening throughput: the cohort engine against pySHACL, end to end, in one run.

Generates seeded bulk exports (benchmarks/cohort_export.py), then runs the CLI
as a user would (`blinakg validate DIR --as-of 2025-03-01 --format json -o FILE
--quiet`) and measures wall time and the peak resident memory of the whole
process tree (parent and workers, sampled every 50 ms):

* the cohort engine (`--engine fast`, all cores) at 1,000 and 10,000 patients;
* the pySHACL engine (`--engine pyshacl`, all cores) at 200 patients, the baseline;
* one patient from a cold start (`examples/patients/pat-017-ineligible.json`).

    .venv/bin/python benchmarks/bench_cohort.py [--sizes 1000 10000] [--baseline 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from cohort_export import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLINAKG = ROOT / ".venv" / "bin" / "blinakg"


def run(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS of the process tree in MiB, exit status)."""
    start = time.perf_counter()
    process = psutil.Popen([str(BLINAKG), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"blinakg failed ({process.returncode}): {process.stderr.read().decode() if process.stderr else ''}")
    return wall, peak / 2**20, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--baseline", type=int, default=200)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wall, rss, _ = run(["validate", str(ROOT / "examples/patients/pat-017-ineligible.json"), "--as-of", "2025-03-01",
                            "--format", "json", "-o", str(work / "one.json"), "--quiet"])
        rows.append(("fast", 1, wall, rss))
        for engine, size in [("pyshacl", args.baseline)] + [("fast", n) for n in args.sizes]:
            export = work / f"export-{size}"
            if not export.exists():
                counts = generate(export, size)
                print(f"generated {size} patients: {sum(counts.values()):,} resources, "
                      f"{sum(f.stat().st_size for f in export.iterdir()) / 2**20:.0f} MiB", flush=True)
            out = work / f"{engine}-{size}.json"
            wall, rss, _ = run(["validate", str(export), "--as-of", "2025-03-01", "--format", "json", "-o", str(out),
                                "--quiet", "--engine", engine])
            assert len(json.loads(out.read_text())["patients"]) == size
            rows.append((engine, size, wall, rss))
            print(f"{engine:8s} {size:>6,} patients  {wall:7.1f} s  {size / wall:8.1f} patients/s  "
                  f"peak RSS {rss:6.0f} MiB", flush=True)
    baseline = next(size / wall for engine, size, wall, _ in rows if engine == "pyshacl")
    print()
    print("| engine | patients | wall (s) | patients/s | × pySHACL | peak RSS (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for engine, size, wall, rss in rows:
        rate = size / wall
        print(f"| {engine} | {size:,} | {wall:.1f} | {rate:.1f} | {rate / baseline:.1f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
