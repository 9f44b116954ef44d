"""Evaluating the shapes over a derived cohort: the two engines.

Both engines yield the same thing: for each patient and check, its status and
the validator rows that explain it (status, sentence, the record it rests on).

* :func:`cohort_rows` (``--engine fast``, the default): each check's validator
  runs once over the whole chunk of patients, ``$this`` unbound, on pyoxigraph
  (SHACL 1.0, 6.3: a SELECT validator's solutions are the results; here the
  focus node is read from ``$this`` of each solution instead of being
  pre-bound). The rows of every status come out of that one evaluation.
* :func:`reference_rows` (``--engine pyshacl``, the reference): pySHACL
  validates focus node by focus node; the statuses are read off its W3C
  report, and each validator is re-run over the cohort on rdflib for the
  sentences and records.

A check's status: the worst status among its rows that a shape reports
(sh:Violation fail, sh:Warning unknown, sh:Info review); no such row, pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from ..sparql import catalogue
from .oxistore import select, store_to_graph, to_rdflib
from .results import STATUS_RANK
from .shapes import CheckPlan

Key = tuple[URIRef, URIRef]  # (patient, check)


@dataclass(frozen=True)
class Row:
    """One solution of a validator: a patient, a check, an outcome, a sentence, a record."""

    patient: URIRef
    check: URIRef
    status: str
    explanation: str
    record: URIRef | BNode | None


@dataclass
class Evaluation:
    """Rows and statuses of every check for every patient of a chunk (pass when absent)."""

    rows: dict[Key, list[Row]]
    statuses: dict[Key, str]
    reported: set[tuple[URIRef, URIRef]]  # (patient, shape) pairs in the W3C report


def _focus_nodes(store: ox.Store, target_class: URIRef) -> set[Any]:
    """SHACL 1.0, 2.1.3.2: the instances of the class, through rdfs:subClassOf*."""
    query = f"SELECT DISTINCT ?x WHERE {{ ?x a/<{RDFS.subClassOf}>* <{target_class}> }}"
    return {solution["x"] for solution in select(store, query)}


def _add(rows: dict[Key, list[Row]], row: Row) -> None:
    bucket = rows.setdefault((row.patient, row.check), [])
    if row not in bucket:
        bucket.append(row)


def _worst_reported(rows: Iterable[Row], plan: CheckPlan) -> str:
    reported = [row.status for row in rows if row.status in plan.outcomes]
    return max(reported, key=STATUS_RANK.__getitem__, default="pass")


def batched_select(plans: list[CheckPlan]) -> str:
    """One SELECT for several checks of one component: the validator with its
    check parameter joined to ``VALUES`` of the checks, at the head of its
    outer group.

    SHACL pre-binds the parameter (SHACL 1.0, 6.2.3, by substitution). Every
    validator of ours projects it, sub-SELECTs included, so a join on it gives
    the same solutions check by check; but the parts that do not depend on the
    check (each record's value, unit, date) are matched once for all the
    component's checks instead of once per check: 17 latest-result checks over
    1,000 patients, 2.8 s one by one, 1.1 s together (docs/engine.md).
    """
    select = plans[0].select
    head = select.find("WHERE {")
    if head < 0:
        raise ValueError(f"the validator of {plans[0].component} has no outer WHERE group")
    head += len("WHERE {")
    checks = " ".join(f"<{plan.check}>" for plan in plans)
    return f"{select[:head]}\n  VALUES ${plans[0].parameter} {{ {checks} }}{select[head:]}"


def _batches(plans: list[CheckPlan]) -> list[list[CheckPlan]]:
    """The plans grouped by validator text (one component), in first-seen order."""
    groups: dict[tuple[str, str], list[CheckPlan]] = {}
    for plan in plans:
        groups.setdefault((plan.select, plan.parameter), []).append(plan)
    return list(groups.values())


def cohort_rows(store: ox.Store, plans: list[CheckPlan]) -> Evaluation:
    """Every check evaluated once for the whole chunk, on pyoxigraph; the checks of
    one component in one query (:func:`batched_select`)."""
    rows: dict[Key, list[Row]] = {}
    focus_of: dict[URIRef, set[Any]] = {}
    terms: dict[Any, Any] = {}  # pyoxigraph term -> rdflib term, converted once

    def term(value: Any) -> Any:
        found = terms.get(value)
        if found is None:
            found = terms[value] = to_rdflib(value)
        return found

    for batch in _batches([plan for plan in plans if plan.logic is None]):
        plan_of = {plan.check.toPython(): plan for plan in batch}
        variable = batch[0].parameter
        if len(batch) == 1:
            solutions = select(store, batch[0].select, {variable: batch[0].check})
        else:
            solutions = select(store, batched_select(batch))
        # by position: a name lookup costs more than the rest of a row's handling
        at = {v.value: i for i, v in enumerate(solutions.variables)}
        i_check, i_this, i_status = at[variable], at["this"], at["status"]
        i_explanation, i_record = at["explanation"], at["record"]
        for solution in solutions:
            plan = plan_of[solution[i_check].value] if len(batch) > 1 else batch[0]
            this = solution[i_this]
            if plan.target_class is not None:  # an alternative's shapes have none: every patient
                focus = focus_of.get(plan.target_class)
                if focus is None:
                    focus = focus_of[plan.target_class] = _focus_nodes(store, plan.target_class)
                if this not in focus:
                    continue
            if not isinstance(this, ox.NamedNode):
                continue
            only = next(iter(plan.outcomes)) if len(plan.outcomes) == 1 else None
            status = solution[i_status].value if solution[i_status] is not None else only
            if status is None:
                continue
            explanation = solution[i_explanation]
            record = solution[i_record]
            _add(rows, Row(term(this), plan.check, status, explanation.value if explanation is not None else "",
                           term(record) if record is not None else None))
    statuses: dict[Key, str] = {}
    reported: set[tuple[URIRef, URIRef]] = set()
    plan_of_check = {plan.check: plan for plan in plans}
    for key, bucket in rows.items():
        plan = plan_of_check[key[1]]
        statuses[key] = _worst_reported(bucket, plan)
        if plan.target_class is not None:
            reported |= {(key[0], plan.outcomes[row.status].shape) for row in bucket if row.status in plan.outcomes}
    for plan in plans:
        if plan.logic is None or plan.target_class is None:
            continue
        for patient in _focus_iris(store, plan.target_class):
            cache: dict[URIRef, bool] = {}

            def reports(check: URIRef, status: str, patient: URIRef = patient) -> bool:
                return any(row.status == status for row in rows.get((patient, check), []))

            for outcome in plan.outcomes.values():
                if not plan.logic.conforms(outcome.shape, reports, cache):
                    reported.add((patient, outcome.shape))
                    if STATUS_RANK[outcome.status] > STATUS_RANK[statuses.get((patient, plan.check), "pass")]:
                        statuses[(patient, plan.check)] = outcome.status
    any_of_rows(store, rows, statuses, plans)
    return Evaluation(rows, statuses, reported)


def _focus_iris(store: ox.Store, target_class: URIRef) -> list[URIRef]:
    """The focus nodes of a class as rdflib IRIs, in a fixed order."""
    return sorted(URIRef(node.value) for node in _focus_nodes(store, target_class) if isinstance(node, ox.NamedNode))


# How an any-of's explanation introduces each alternative, by the alternative's status.
_ALTERNATIVE_LEAD = {"pass": "Met by an alternative:", "fail": "Alternative not met:",
                     "unknown": "Alternative undecided:", "review": "Alternative for the investigator:"}


def any_of_rows(store: ox.Store, rows: dict[Key, list[Row]], statuses: dict[Key, str], plans: list[CheckPlan]) -> None:
    """The rows that explain an any-of check (issue 18), the same for either engine: a
    passing any-of cites the alternatives that pass (which decided), any other the
    sentences of all its alternatives, each introduced by what it came out as."""
    plan_of = {plan.check: plan for plan in plans if plan.logic is None}
    for plan in plans:
        if plan.logic is None or plan.target_class is None:
            continue
        for focus in _focus_iris(store, plan.target_class):
            status = statuses.get((focus, plan.check), "pass")
            for alternative in plan.alternatives:
                alternative_rows = rows.get((focus, alternative), [])
                own = _worst_reported(alternative_rows, plan_of[alternative]) if alternative in plan_of else "pass"
                if (status == "pass") != (own == "pass"):
                    continue
                for row in alternative_rows:
                    if row.status == own:
                        _add(rows, Row(focus, plan.check, status, f"{_ALTERNATIVE_LEAD[own]} {row.explanation}", row.record))


def _memoise_pyshacl_sparql_check() -> None:
    """pySHACL re-checks a SPARQL validator's text (no MINUS, VALUES, SERVICE;
    nested SELECTs project the pre-bound variables) with backtracking regular
    expressions once per shape *and focus node*: about 19 ms a check for our
    validators, more than evaluating them. The verdict depends only on the text
    and the names of the pre-bound variables, so it is remembered."""
    from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper

    original = SPARQLQueryHelper.check_invalid_sparql
    if getattr(original, "_blinakg_memoised", False):
        return
    seen: set[tuple[str, bool, tuple[str, ...]]] = set()

    def check(self: Any, sparql_text: str, valuenode: Any = None, extravars: Any = None) -> bool:
        key = (sparql_text, valuenode is None, tuple(sorted(extravars or ())))
        if key not in seen:
            original(self, sparql_text, valuenode=valuenode, extravars=extravars)  # raises when invalid
            seen.add(key)
        return True

    check._blinakg_memoised = True  # type: ignore[attr-defined]
    SPARQLQueryHelper.check_invalid_sparql = check  # type: ignore[method-assign]




def reference_rows(store: ox.Store, plans: list[CheckPlan], shapes: Graph) -> Evaluation:
    """pySHACL validates; its report gives the statuses; the validators re-run on
    rdflib give the sentences and records."""
    import pyshacl
    from pyshacl.graph_abstraction import DataGraph

    _memoise_pyshacl_sparql_check()

    from .planner import PreparedQueryGraph, run_query

    working = PreparedQueryGraph()
    working += store_to_graph(store)
    _, report, _ = pyshacl.validate(DataGraph.from_rdflib(working), shacl_graph=shapes, inference="none",
                                    advanced=False, inplace=True)
    assert isinstance(report, Graph)
    statuses: dict[Key, str] = {}
    reported: set[tuple[URIRef, URIRef]] = set()
    shape_check = {outcome.shape: plan.check for plan in plans for outcome in plan.outcomes.values()}
    severity_status: dict[Any, str] = {SH.Violation: "fail", SH.Warning: "unknown", SH.Info: "review"}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus, shape = report.value(result, SH.focusNode), report.value(result, SH.sourceShape)
        severity = report.value(result, SH.resultSeverity)
        if not isinstance(focus, URIRef) or shape not in shape_check:
            continue
        key = (focus, shape_check[shape])  # type: ignore[index]
        status = severity_status.get(severity, "fail")  # type: ignore[arg-type]
        if STATUS_RANK[status] > STATUS_RANK[statuses.get(key, "pass")]:
            statuses[key] = status
        reported.add((focus, shape))  # type: ignore[arg-type]
    rows: dict[Key, list[Row]] = {}
    for plan in plans:
        if plan.logic is not None:
            continue  # an any-of: no validator; its rows come from its alternatives'
        for solution in run_query(working, plan.select, {plan.parameter: plan.check}):
            if not isinstance(solution.this, URIRef):
                continue
            status = str(solution.status) if solution.status is not None else next(iter(plan.outcomes))
            _add(rows, Row(solution.this, plan.check, status, str(solution.explanation or ""), solution.record))
    any_of_rows(store, rows, statuses, plans)
    return Evaluation(rows, statuses, reported)


def ignored_records(store: ox.Store) -> list[tuple[str, str]]:
    """(source, reason) of every record that is not evidence at D."""
    return [(solution["source"].value, solution["reason"].value)
            for solution in select(store, catalogue.get("ignored-records").text)]
