"""Screening a cohort: read in chunks, derive, evaluate, assemble; in parallel.

Each chunk of patients is screened on its own: its data is loaded into a
fresh pyoxigraph store with the model, the derivation runs there
(:mod:`blinakg.engine.derive`), the shapes are evaluated by one of the two
engines (:mod:`blinakg.engine.evaluate`), and the rows become results
(:mod:`blinakg.engine.assemble`). Chunks run in ``jobs`` worker processes;
the report is merged in a fixed order, so it does not depend on the chunk
size or the number of workers.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from rdflib import Graph, URIRef

from ..limits import check_run
from ..model import generated_shapes, load_model, load_shapes
from ..namespaces import BK
from ..readers.cohort import ChunkInput, Cohort, RangeMapper, index_range, lift_chunk, partition, read_cohort
from ..readers.fhir import code_iri_table
from ..readers.relevance import Relevance
from .assemble import ChunkResult, Criterion, assemble, trial_criteria
from .derive import derive_store
from .evaluate import cohort_rows, reference_rows
from .oxistore import graph_to_ntriples, new_store
from .results import CheckResult, CriterionResult, Evidence, PatientResult, ReportRow, Screening, verdict_of
from .shapes import CheckPlan, compile_shapes
from .spill import Spill

ENGINES = ("fast", "pyshacl")
DEFAULT_CHUNK = 500


@dataclass
class Settings:
    """What every worker needs, computed once in the parent."""

    as_of: dt.date
    engine: str
    model_nt: bytes
    shapes_nt: bytes
    codes: dict[str, str]
    relevance: Relevance | None
    plans: list[CheckPlan]
    criteria: list[Criterion]
    files: list[Path]
    keep_records: bool
    keep_data: bool
    trials: list[str] | None = None
    next_steps: dict[URIRef, Any] | None = None  # the checks' parameters, for next steps (reports.next_step)
    entry: Callable[[PatientResult], str] | None = None  # renders a patient's report entry in the worker


_settings: Settings | None = None  # set in each worker (and in the parent for in-process runs)
_shapes: Graph | None = None


def _init(settings: Settings) -> None:
    global _settings, _shapes
    _settings, _shapes = settings, None


def _screen_chunk(chunk: ChunkInput) -> ChunkResult:
    """Screen one chunk (runs in a worker)."""
    global _shapes
    settings = _settings
    assert settings is not None
    data, warnings, passed = lift_chunk(chunk, chunk.files, settings.codes, settings.relevance)
    store = derive_store(new_store(settings.model_nt, data), settings.as_of)
    if settings.engine == "pyshacl":
        if _shapes is None:
            _shapes = Graph().parse(data=settings.shapes_nt.decode("utf-8"), format="nt")
        evaluation = reference_rows(store, settings.plans, _shapes)
    else:
        evaluation = cohort_rows(store, settings.plans)
    result = assemble(store, evaluation, settings.plans, settings.criteria, keep_records=settings.keep_records,
                      by_trial=settings.trials is not None)
    result.warnings = warnings
    result.passed_over = dict(passed)
    if settings.keep_data:
        result.data = data
    _finish(result, settings)
    return result


def _finish(result: ChunkResult, settings: Settings) -> None:
    """Next steps for the chunk's patients; their report entries when the report is streamed."""
    result.count = len(result.patients)
    result.all_eligible = all(p.verdict == "eligible" for p in result.patients) and all(
        t.verdict == "eligible" for p in result.patients for t in p.trials)
    if settings.next_steps is not None:
        from ..reports.next_step import annotate

        records = Graph()
        for triple in result.records:
            records.add(triple)
        data = Graph().parse(data=result.data, format="nt") if result.data else Graph()
        annotate(Screening(as_of=settings.as_of, patients=result.patients, warnings=[], records=records,
                           data_graph=data), settings.next_steps)
    if settings.entry is not None:
        result.entries = [(p.id, settings.entry(p)) for p in result.patients]
        result.patients, result.report_rows = [], []  # rendered: nothing more is needed of them


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _progress(total: int, quiet: bool) -> "_Bar":
    return _Bar(total, enabled=not quiet and sys.stderr.isatty())


class _Bar:
    """Patients done of total and the rate, on standard error, after the first second."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="patient", delay=1.0, file=sys.stderr, dynamic_ncols=True,
                            desc="screening")

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _index_part(part: Any) -> Any:
    """First pass over one stretch of an NDJSON file (runs in a worker)."""
    assert _settings is not None
    return index_range(part, _settings.codes, _settings.relevance)


@contextmanager
def _workers(jobs: int, settings: Settings) -> Iterator[ProcessPoolExecutor | None]:
    """The worker processes of a run (none for one job), for the first pass and the chunks alike.

    They are made before the first pass builds the cohort's index, so that forked
    workers do not carry the parent's memory: what a worker holds does not grow
    with the cohort. ``settings`` are fixed then; a chunk names its own input files.
    """
    _init(settings)  # work done in this process (one job, one chunk) reads them too
    if jobs <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork"), initializer=_init,
                               initargs=(settings,))
    for _ in range(jobs):
        pool.submit(int)  # fork the workers now, while this process is small
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ranges_in(pool: ProcessPoolExecutor | None) -> RangeMapper | None:
    if pool is None:
        return None
    return lambda parts: pool.map(_index_part, parts)


def _run(chunks: Iterator[ChunkInput], pool: ProcessPoolExecutor | None, jobs: int, total: int, quiet: bool,
         consume: Callable[[ChunkResult], None]) -> None:
    """Screen every chunk; each result goes to ``consume`` as it arrives, in chunk order."""
    bar = _progress(total, quiet)
    try:
        first = list(islice(chunks, 2))
        if pool is None or len(first) <= 1:
            for chunk in chain(first, chunks):
                consume(_screen_chunk(chunk))
                bar.update(chunk.patients)
            return
        # A few chunks in flight, results taken in chunk order: memory bounded by
        # the workers, not by the cohort.
        flight: deque[tuple[ChunkInput, Future[ChunkResult]]] = deque()
        for chunk in chain(first, chunks):
            flight.append((chunk, pool.submit(_screen_chunk, chunk)))
            if len(flight) > jobs:
                done, future = flight.popleft()
                consume(future.result())
                bar.update(done.patients)
        while flight:
            done, future = flight.popleft()
            consume(future.result())
            bar.update(done.patients)
    finally:
        bar.close()


class _Collected:
    """The chunk results as they arrive: rendered entries spilled, everything else kept."""

    def __init__(self, spill: Spill | None):
        self.spill = spill
        self.results: list[ChunkResult] = []
        self.count = 0
        self.all_eligible = True

    def __call__(self, result: ChunkResult) -> None:
        self.count += result.count
        self.all_eligible &= result.all_eligible
        if self.spill is not None:
            self.spill.add(result.entries)
            result.entries = []
        self.results.append(result)


def _merge(collected: _Collected, cohort_warnings: Iterable[tuple[int, int, str]], passed_over: Counter[str],
           settings: Settings) -> Screening:
    results = collected.results
    patients = sorted((p for r in results for p in r.patients), key=lambda p: p.id)
    reading = sorted([*cohort_warnings, *(w for r in results for w in r.warnings)], key=lambda w: (w[0], w[1]))
    warnings = list(dict.fromkeys(w[2] for w in reading))
    ignored = sorted({item for r in results for item in r.ignored})
    warnings += [f"{source} {reason} and was ignored." for source, reason in ignored]
    warnings += sorted(note for r in results for note in r.notes)
    for r in results:
        passed_over.update(r.passed_over)
    if passed_over:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(passed_over.items(), key=lambda kv: (-kv[1], kv[0])))
        warnings.append(f"Passed over {sum(passed_over.values())} resource(s) that no criterion can use: {counts}.")
    rows = sorted((row for r in results for row in r.report_rows),
                  key=lambda row: (str(row.focus), str(row.shape), str(row.value)))
    records = Graph()
    for r in results:
        for triple in r.records:
            records.add(triple)
    data = Graph()
    if settings.keep_data:
        data.parse(data="".join(r.data for r in results), format="nt")
    return Screening(as_of=settings.as_of, patients=patients, warnings=warnings, report_rows=rows, records=records,
                     data_graph=data, engine=settings.engine, files=[str(f) for f in settings.files],
                     trials=list(settings.trials or []), spill=collected.spill, patient_count=collected.count,
                     all_eligible=collected.all_eligible)


def computable_trials(model: Graph) -> list[str]:
    """The NCT IDs of the trials of the model that have criteria, NCT04604691 first, then in ID order."""
    found = {c.trial for c in trial_criteria(model)}
    return sorted(found, key=lambda t: (t != "NCT04604691", t))


def _settings_for(model: Graph, as_of: dt.date, engine: str, files: list[Path], keep_records: bool,
                  keep_data: bool, relevance: Relevance | None, shapes: Graph | None = None,
                  trials: list[str] | None = None,
                  entry: Callable[[PatientResult], str] | None = None) -> Settings:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if shapes is None:
        shapes = load_shapes() if trials is None else generated_shapes(model)
    criteria = trial_criteria(model, trials)
    if trials is not None:
        # Only the selected trials' shapes: one derivation, every selected check evaluated once.
        wanted = {check for c in criteria for top in c.checks for check in model.transitive_objects(top, BK.alternative)}
        unwanted = {node for node, check in shapes.subject_objects(BK.check) if check not in wanted}
        selected = Graph()
        for triple in shapes:
            if triple[0] not in unwanted:
                selected.add(triple)
        shapes = selected
    # The reference engine validates any shapes graph; it uses the plans only to re-run
    # the validators for their sentences, so our shapes must compile for either engine.
    plans = compile_shapes(shapes)
    from ..reports.next_step import check_parameters  # next steps are filled in the workers

    return Settings(as_of=as_of, engine=engine, model_nt=graph_to_ntriples(model),
                    shapes_nt=graph_to_ntriples(shapes) if engine == "pyshacl" else b"",
                    codes=code_iri_table(model), relevance=relevance, plans=plans, criteria=criteria,
                    files=files, keep_records=keep_records, keep_data=keep_data, trials=trials,
                    next_steps=check_parameters(model), entry=entry)


def screen_paths(paths: list[Path], as_of: dt.date, model: Graph | None = None, engine: str = "fast",
                 jobs: int | None = None, chunk_size: int = DEFAULT_CHUNK, quiet: bool = True,
                 keep_records: bool = True, keep_data: bool = False, trials: list[str] | None = None,
                 entry: Callable[[PatientResult], str] | None = None) -> Screening:
    """Screen every patient in the files and folders ``paths`` (contract.md, ``blinakg validate``).

    Args:
        paths: FHIR R4 JSON / NDJSON and patient RDF files or folders.
        as_of: D, the screening reference date.
        model: the ontology graph (default: ``ontology/*.ttl``).
        engine: ``fast`` (set-at-a-time, pyoxigraph) or ``pyshacl`` (the reference).
        jobs: worker processes (default: all cores).
        chunk_size: patients per chunk.
        quiet: no progress bar.
        keep_records: keep the cited records for the Turtle report.
        keep_data: keep the patient data (for storing the run).
        trials: screen against these trials of the model, a verdict each (contract.md,
            "Several trials"); the model must then hold them (``load_model(trials=True)``).
        entry: render each patient's report entry in the worker
            (:mod:`blinakg.reports.stream`); the entries are then spilled to disk
            (``Screening.spill``) instead of kept in ``Screening.patients``.

    Raises:
        InputError: unreadable input, or no patient at all.
        UsageError: D or jobs outside their ranges (:mod:`blinakg.limits`).
    """
    check_run(as_of, jobs)
    model = model if model is not None else load_model(trials=trials is not None)
    relevance = Relevance(model)
    jobs = jobs or default_jobs()
    settings = _settings_for(model, as_of, engine, [], keep_records, keep_data, relevance, trials=trials,
                             entry=entry)
    with _workers(jobs, settings) as pool:
        cohort: Cohort = read_cohort(list(paths), model, relevance, map_ranges=_ranges_in(pool))
        settings.files = cohort.files
        collected = _Collected(Spill() if entry is not None else None)
        _run(cohort.chunks(chunk_size), pool, jobs, len(cohort.patients), quiet, collected)
    return _merge(collected, cohort.warnings, cohort.passed_over, settings)


def screen(data: Graph, as_of: dt.date, model: Graph | None = None, warnings: Iterable[str] = (),
           engine: str = "fast", jobs: int | None = None, chunk_size: int = DEFAULT_CHUNK,
           shapes: Graph | None = None, trials: list[str] | None = None) -> Screening:
    """Screen every patient of one patient graph (the library entry point).

    Args:
        data: patient RDF in the bk: vocabulary (one or many patients).
        as_of: D, the screening reference date.
        model: the ontology graph (default: ``ontology/*.ttl``).
        warnings: warnings from reading the input, carried into the report.
        engine: ``fast`` or ``pyshacl``.
        jobs: worker processes (default: all cores); chunk_size: patients a chunk.
        shapes: the shapes graph (default: ``shapes/*.ttl``, or those generated from
            the model's checks when ``trials`` is given).
        trials: screen against these trials of the model, a verdict each.
    """
    check_run(as_of, jobs)
    model = model if model is not None else load_model(trials=trials is not None)
    settings = _settings_for(model, as_of, engine, [], True, True, None, shapes=shapes, trials=trials)
    cohort = Cohort(files=[])
    partition(list(data), cohort)
    collected = _Collected(None)
    jobs = jobs or default_jobs()
    with _workers(jobs if len(cohort.patients) > chunk_size else 1, settings) as pool:
        _run(cohort.chunks(chunk_size), pool, jobs, len(cohort.patients), True, collected)
    return _merge(collected, [(-1, i, w) for i, w in enumerate(warnings)], Counter(), settings)


__all__ = ["screen", "screen_paths", "computable_trials", "Screening", "PatientResult", "CriterionResult", "CheckResult", "Evidence",
           "ReportRow", "verdict_of", "ENGINES"]
