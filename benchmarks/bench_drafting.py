"""Benchmark (issue 20, part 4): the drafter against the authored models, and over the whole registry.

    .venv/bin/python benchmarks/bench_drafting.py [--verbose]

1. Drafts the six neighbour trials that have authored models
   (``ontology/trials/NCT*.ttl``) from their registered text — the record in
   ``../shared/registry/`` where the registry holds it, else the verbatim text
   of the authored model (NCT06607419 is not in the 2021 export) — and
   compares, per trial, the drafted computable checks with the authored ones:

   * precision: drafted computable checks (an any-of's computable alternatives
     counted one by one) that the authored model has with the same element
     (value set), comparator, limit (threshold and unit, multiple of the ULN,
     polarity), window and, for records, what a record means and whether only
     active ones count; anything else is wrong;
   * recall: authored computable checks the draft has.

   A latest-result check's window is compared as it acts: the drafted null is
   the element's default window. Authored checks the drafting format cannot
   state (a table of limits by age, a CNS status) count against recall.

2. Drafts every criterion of the registry (the 196 records and NCT04604691's
   model text: 197 trials) and reports coverage — the share of criteria with at
   least one computable check, overall and by kind of check — and the time.

Targets (issue 20): precision ≥ 95 %, recall ≥ 70 %, coverage ≥ 40 %, all 197 trials ≤ 30 s.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT.parent / "shared" / "registry"
AUTHORED = sorted((ROOT / "ontology" / "trials").glob("NCT*.ttl"))
BK = "https://w3id.org/blinakg/ontology#"
VS = "https://w3id.org/blinakg/valueset/"


def _local(node: Any) -> str:
    return str(node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _dec(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def authored_checks(path: Path) -> tuple[str, list[tuple[Any, ...]], Graph]:
    """The computable checks of an authored model, as comparable keys."""
    graph = Graph().parse(path)
    p = lambda name: graph.namespace_manager.expand_curie(f"bk:{name}") if False else __import__("rdflib").URIRef(BK + name)  # noqa: E731
    trial = next(graph.subjects(RDF.type, p("ClinicalTrial")))
    nct = str(graph.value(trial, DCTERMS.identifier))
    keys = []
    def checks_of(criterion: Any) -> list[Any]:
        """A criterion's checks, an any-of's alternatives one by one (as the drafted side counts them)."""
        found, todo = [], list(graph.objects(criterion, p("check")))
        while todo:
            check = todo.pop(0)
            alternatives = list(graph.objects(check, p("alternative")))
            if alternatives:
                todo.extend(sorted(alternatives, key=str))
            else:
                found.append(check)
        return found

    for criterion in graph.objects(trial, p("criterion")):
        for check in checks_of(criterion):
            kinds = {_local(t) for t in graph.objects(check, RDF.type)}
            value = lambda name: graph.value(check, p(name))  # noqa: E731,B023
            if "AgeCheck" in kinds:
                keys.append(_age_key(
                    ("year", value("minAgeYears")) if value("minAgeYears") is not None else
                    ("month", value("minAgeMonths")) if value("minAgeMonths") is not None else None,
                    ("year", value("maxAgeYears")) if value("maxAgeYears") is not None else
                    ("month", value("maxAgeMonths")) if value("maxAgeMonths") is not None else None,
                    value("minAgeInclusive") is None or bool(value("minAgeInclusive").toPython()),
                    value("maxAgeInclusive") is not None and bool(value("maxAgeInclusive").toPython())))
            elif "LatestResultCheck" in kinds:
                vs = _local(value("valueSet"))
                window = int(value("windowDays")) if value("windowDays") is not None else None
                if value("passPolarity") is not None:
                    limit: tuple[Any, ...] = ("qualitative", str(value("passPolarity")))
                elif value("maxCnsStatus") is not None:
                    limit = ("cns-status", int(value("maxCnsStatus")))
                elif value("ageLimitTable") is not None and value("ulnMultiple") is None:
                    limit = ("age-table",)
                elif value("ulnMultiple") is not None:
                    limit = ("uln", _dec(value("ulnMultiple")))
                else:
                    limit = ("threshold", _dec(value("threshold")), str(value("unit")))
                keys.append(("latest-result", vs, str(value("passWhen") or ""), limit, window))
            elif "RecordPresenceCheck" in kinds:
                status = _local(value("statusIfPresent")) if value("statusIfPresent") is not None else "Fail"
                means = {"Fail": "fail", "Review": "review", "Pass": "pass"}[status]
                window = int(value("windowDays")) if value("windowDays") is not None else None
                active = value("activeOnly") is not None and bool(value("activeOnly").toPython())
                keys.append(("record-presence", _local(value("valueSet")), means, window, active))
    return nct, keys, graph


def _age_key(low: Any, high: Any, low_inclusive: bool, high_inclusive: bool) -> tuple[Any, ...]:
    low_key = None if low is None else (low[0], int(low[1]))
    high_key = None if high is None else (high[0], int(high[1]))
    return ("age", low_key, low_inclusive if low is not None else None,
            high_key, high_inclusive if high is not None else None)


def drafted_keys(check: Any) -> list[tuple[Any, ...]]:
    """A drafted check (and an any-of's alternatives) as comparable keys; review gives none."""
    if check.kind == "any-of":
        return [key for inner in check.fields["checks"] for key in drafted_keys(inner)]
    fields = check.fields
    if check.kind == "age":
        low, high = fields.get("min_age"), fields.get("max_age")
        return [_age_key(None if low is None else (low["unit"], low["value"]),
                         None if high is None else (high["unit"], high["value"]),
                         bool(fields.get("min_inclusive")), bool(fields.get("max_inclusive")))]
    if check.kind == "latest-result":
        window = fields.get("window_days")
        if window is None:
            window = check.meta.get("default_window_days")
        if fields.get("qualitative"):
            limit: tuple[Any, ...] = ("qualitative", fields["qualitative"])
            return [("latest-result", check.meta["value_set"], "", limit, window)]
        if fields.get("uln_multiple") is not None:
            limit = ("uln", _dec(fields["uln_multiple"]))
        else:
            limit = ("threshold", _dec(fields["threshold"]), fields["unit"])
        return [("latest-result", check.meta["value_set"], fields["pass_when"], limit, window)]
    if check.kind == "record-presence":
        return [("record-presence", check.meta["value_set"], fields["present_means"], fields["window_days"],
                 bool(fields["active_only"]))]
    return []


def compare(verbose: bool) -> tuple[int, int, int, int]:
    from blinakg.drafting.draft import draft_trial
    from blinakg.drafting.pipeline import load_pipeline
    from blinakg.drafting.source import from_graph, from_records

    drafting = load_pipeline()
    records = {t.nct: t for t in from_records([REGISTRY])}
    drafted_total = drafted_right = authored_total = authored_found = 0
    print("trial        drafted  right  authored  found")
    for path in AUTHORED:
        nct, authored, graph = authored_checks(path)
        trial = records.get(nct) or from_graph(nct, graph)
        drafted = [key for _, checks in draft_trial(trial, drafting) for check in checks
                   for key in drafted_keys(check)]
        remaining = Counter(authored)
        right = 0
        wrong = []
        for key in drafted:
            if remaining[key] > 0 or key in authored:
                right += 1
                remaining[key] = max(0, remaining[key] - 1)
            else:
                wrong.append(key)
        found = sum(1 for key in set(authored) if key in set(drafted))
        found = sum(n for key, n in Counter(authored).items() if key in set(drafted))
        drafted_total += len(drafted)
        drafted_right += right
        authored_total += len(authored)
        authored_found += found
        source = "record" if nct in records else "model text"
        print(f"{nct}  {len(drafted):7d}  {right:5d}  {len(authored):8d}  {found:5d}   ({source})")
        if verbose:
            for key in wrong:
                print("    drafted, not authored:", key)
            for key in sorted(set(authored) - set(drafted), key=str):
                print("    authored, not drafted:", key)
    return drafted_total, drafted_right, authored_total, authored_found


def coverage() -> tuple[int, Counter[str], int, float, float]:
    from blinakg.drafting.draft import draft_trial
    from blinakg.drafting.pipeline import load_pipeline
    from blinakg.drafting.source import from_graph, from_records

    started = time.perf_counter()
    drafting = load_pipeline()
    loaded = time.perf_counter()
    trials = from_records([REGISTRY])
    own = Graph().parse(ROOT / "ontology" / "nct04604691.ttl")
    own.add((next(own.subjects(DCTERMS.identifier, Literal("NCT04604691"))), RDF.type,
             __import__("rdflib").URIRef(BK + "ClinicalTrial")))
    trials.append(from_graph("NCT04604691", own))
    read = time.perf_counter()
    cpu = time.process_time()
    criteria = 0
    computable = 0
    by_kind: Counter[str] = Counter()
    for trial in trials:
        for _, checks in draft_trial(trial, drafting):
            criteria += 1
            kinds = {c.kind for c in checks if c.kind != "review"}
            computable += bool(kinds)
            by_kind.update(kinds)
    done = time.perf_counter()
    print(f"\n{len(trials)} trials, {criteria} criteria; pipeline built in {loaded - started:.1f} s, "
          f"records read in {read - loaded:.1f} s, drafted in {done - read:.1f} s wall clock "
          f"({time.process_time() - cpu:.1f} s of CPU: the machine's other load aside)")
    return criteria, by_kind, computable, done - read, loaded - started


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    drafted, right, authored, found = compare(verbose)
    precision = right / drafted if drafted else 1.0
    recall = found / authored if authored else 1.0
    print(f"\nprecision {right}/{drafted} = {precision:.1%} (target ≥ 95 %); "
          f"recall {found}/{authored} = {recall:.1%} (target ≥ 70 %)")
    criteria, by_kind, computable, seconds, _ = coverage()
    print(f"coverage: {computable}/{criteria} = {computable / criteria:.1%} of criteria with ≥ 1 computable check "
          f"(target ≥ 40 %)")
    for kind in ("latest-result", "record-presence", "age", "any-of"):
        print(f"  {kind:16s} {by_kind[kind]:5d}  {by_kind[kind] / criteria:.1%}")
    print(f"drafting time: {seconds:.1f} s for all trials (target ≤ 30 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
