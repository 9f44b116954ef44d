"""Several trials (issue 10): 1,000 patients against every computable trial,
against the time of the same patients against NCT04604691 alone.

Generates a seeded bulk export (benchmarks/cohort_export.py), then runs the CLI
as a user would and measures wall time (best of --repeat runs):

* ``validate DIR --format json`` — NCT04604691 alone (today's report);
* ``validate DIR --format json --trial NCT04604691`` — the same trial through the
  several-trials path (shapes generated from the checks);
* ``validate DIR --format json --trial all`` — every computable trial: one load and
  one derivation per chunk, every trial's checks evaluated on it.

The issue's bound: ``--trial all`` at most 6x NCT04604691 alone. No registry store
is read (BLINAKG_STORE points at an empty folder).

    .venv/bin/python benchmarks/bench_trials.py [--patients 1000] [--jobs 2] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cohort_export import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLINAKG = ROOT / ".venv" / "bin" / "blinakg"
BOUND = 6.0


def run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(BLINAKG), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"blinakg failed ({done.returncode}): {done.stderr.decode()}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "BLINAKG_STORE": str(work / "no-registry")}
        export = work / "export"
        counts = generate(export, args.patients)
        print(f"generated {args.patients} patients: {sum(counts.values()):,} resources", flush=True)
        runs = {"NCT04604691 alone": [], "--trial NCT04604691": [], "--trial all": []}
        for label, extra in (("NCT04604691 alone", []), ("--trial NCT04604691", ["--trial", "NCT04604691"]),
                             ("--trial all", ["--trial", "all"])):
            out = work / "out.json"
            for _ in range(args.repeat):
                runs[label].append(run(["validate", str(export), "--as-of", "2025-03-01", "--format", "json",
                                        "-o", str(out), "--quiet", "--jobs", str(args.jobs), *extra], env))
            report = json.loads(out.read_text())
            assert len(report["patients"]) == args.patients
            if label == "--trial all":
                trials = len(report["trials"])
                criteria = sum(len(t["criteria"]) for t in report["patients"][0]["trials"])
            print(f"{label:22s} best {min(runs[label]):6.1f} s  (runs: {', '.join(f'{w:.1f}' for w in runs[label])})",
                  flush=True)
    alone = min(runs["NCT04604691 alone"])
    every = min(runs["--trial all"])
    print()
    print(f"| run | wall (s) | × NCT04604691 alone |")
    print("| --- | ---: | ---: |")
    for label, walls in runs.items():
        print(f"| {label} | {min(walls):.1f} | {min(walls) / alone:.2f} |")
    print()
    print(f"{args.patients} patients, {trials} trials ({criteria} criteria): {every / alone:.2f}x "
          f"(bound {BOUND:.0f}x) — {'within' if every / alone <= BOUND else 'OVER'} the bound")


if __name__ == "__main__":
    main()
