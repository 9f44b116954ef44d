"""The cohort engine against pySHACL, the reference, on everything: the full
agreement the suite samples (tests keep one case of each criterion and status).

Three cohorts, each screened by both engines in this run, the reports compared
byte for byte (JSON report, W3C report rows, every check's status and
sentence), and the time of each engine measured:

* every criterion case of NCT04604691 (``tests/cases``, 289 patients);
* every case of the other computable trials (``tests/trials``, 303 patients),
  each group against its own trial;
* a generated bulk export (``benchmarks/cohort_export.py``, 500 patients, seed 11).

Exit 1 when a report differs. Takes about 15 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_reference.py [--patients 500] [--jobs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from rdflib import Graph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
from cohort_export import generate  # noqa: E402

from blinakg.engine.results import Screening  # noqa: E402
from blinakg.engine.screen import screen, screen_paths  # noqa: E402
from blinakg.model import load_model  # noqa: E402
from blinakg.readers.rdfio import parse_rdf_file  # noqa: E402
from blinakg.reports.render import to_json, trials_json  # noqa: E402

AS_OF = dt.date(2025, 3, 1)


def _timed(run: Callable[[], Screening]) -> tuple[Screening, float]:
    start = time.perf_counter()
    screening = run()
    return screening, time.perf_counter() - start


def _checks(screening: Screening) -> list[list[tuple[object, ...]]]:
    return [[(c.iri, c.status, c.explanation) for cr in p.criteria for c in cr.checks] for p in screening.patients]


def _cases(folder: Path, pattern: str) -> dict[tuple[str | None, str], Graph]:
    """(trial or None, D) -> one graph holding every case of that trial and date."""
    groups: dict[tuple[str | None, str], Graph] = {}
    for expected in sorted(folder.glob(pattern)):
        meta = json.loads(expected.read_text(encoding="utf-8"))
        key = (meta.get("trial"), meta["as_of"])
        groups.setdefault(key, Graph())
        groups[key] += parse_rdf_file(expected.parent / "patient.ttl")
    return groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    differ: list[str] = []
    totals = {"fast": 0.0, "pyshacl": 0.0}
    patients = 0

    def compare(label: str, fast: Screening, reference: Screening, same_report: bool) -> None:
        nonlocal patients
        patients += len(fast.patients)
        if not same_report or fast.report_rows != reference.report_rows or _checks(fast) != _checks(reference):
            differ.append(label)

    model = load_model()
    for (_, as_of), graph in _cases(ROOT / "tests" / "cases", "*/*/expected.json").items():
        fast, t_fast = _timed(lambda: screen(graph, dt.date.fromisoformat(as_of), model=model, engine="fast"))
        ref, t_ref = _timed(lambda: screen(graph, dt.date.fromisoformat(as_of), model=model, engine="pyshacl"))
        totals["fast"] += t_fast
        totals["pyshacl"] += t_ref
        compare(f"criterion cases at {as_of}", fast, ref, to_json(fast) == to_json(ref))
        print(f"criterion cases ({len(fast.patients)}): fast {t_fast:.1f} s, pySHACL {t_ref:.1f} s", flush=True)

    trials_model = load_model(trials=True)
    for (trial, as_of), graph in _cases(ROOT / "tests" / "trials", "*/*/*/expected.json").items():
        assert trial is not None
        on = dict(model=trials_model, trials=[trial])
        fast, t_fast = _timed(lambda: screen(graph, dt.date.fromisoformat(as_of), engine="fast", **on))
        ref, t_ref = _timed(lambda: screen(graph, dt.date.fromisoformat(as_of), engine="pyshacl", **on))
        totals["fast"] += t_fast
        totals["pyshacl"] += t_ref
        catalogue = [{"trial": trial, "title": None, "computable": True}]
        compare(f"{trial} cases", fast, ref, trials_json(fast, catalogue) == trials_json(ref, catalogue))
        print(f"{trial} cases ({len(fast.patients)}): fast {t_fast:.1f} s, pySHACL {t_ref:.1f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bulk"
        generate(folder, args.patients, seed=11)
        fast, t_fast = _timed(lambda: screen_paths([folder], AS_OF, engine="fast", jobs=args.jobs, chunk_size=120))
        ref, t_ref = _timed(lambda: screen_paths([folder], AS_OF, engine="pyshacl", jobs=args.jobs, chunk_size=250))
        totals["fast"] += t_fast
        totals["pyshacl"] += t_ref
        compare(f"generated cohort of {args.patients}", fast, ref, to_json(fast) == to_json(ref))
        print(f"generated cohort ({args.patients}): fast {t_fast:.1f} s, pySHACL {t_ref:.1f} s", flush=True)

    print(f"{patients} patients: fast {totals['fast']:.1f} s, pySHACL {totals['pyshacl']:.1f} s, "
          f"ratio {totals['pyshacl'] / totals['fast']:.0f}x")
    if differ:
        print("reports differ: " + "; ".join(differ), file=sys.stderr)
        return 1
    print("every report identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
