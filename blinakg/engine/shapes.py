"""What the cohort engine understands of a shapes graph, and its refusal of the rest.

The cohort engine evaluates SHACL-SPARQL constraint components (SHACL 1.0,
section 6, "SPARQL-based Constraint Components") on node shapes that target a
class. For each shape it needs: the target class (``sh:targetClass``), the
component's node validator (``sh:nodeValidator`` with ``sh:select``), the
values of its parameters, and ``sh:severity`` / ``sh:message`` for the report.

A shape or component that uses any other SHACL feature (property shapes,
``sh:sparql`` constraints, core constraints such as ``sh:minCount``, other
targets, ``sh:deactivated``, ASK validators, property validators) is refused
with :class:`ShapesError`, naming the shape and the feature: the engine never
skips a constraint silently. Such shapes graphs screen with ``--engine pyshacl``.

One convention makes a single evaluation per check enough: a component may
declare the parameter ``bksh:outcome``; its validator projects ``?status`` and
``?explanation`` and keeps only rows whose ``?status`` equals ``$outcome``
when that is bound (``FILTER (!BOUND($outcome) || ?status = $outcome)``). The
engine runs the validator once with ``$outcome`` unbound and gives each row to
the shape whose ``bksh:outcome`` equals the row's status: the same rows
pySHACL reports, shape by shape, plus the passing rows that explain a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from ..namespaces import BK

BKSH = "https://w3id.org/blinakg/shapes#"
OUTCOME = URIRef(BKSH + "outcome")
STATUS_OF_SEVERITY: dict[Any, str] = {SH.Violation: "fail", SH.Warning: "unknown", SH.Info: "review"}

# Annotations a shape may carry that do not constrain anything.
_ANNOTATIONS = frozenset({RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.message, SH.severity,
                          SH.targetClass, BK.criterion, BK.check})
# Triples a component declaration may carry.
_COMPONENT_TERMS = frozenset({RDF.type, RDFS.label, RDFS.comment, SH.parameter, SH.nodeValidator, SH.labelTemplate})


class ShapesError(Exception):
    """A shapes graph the cohort engine cannot evaluate exactly."""


@dataclass(frozen=True)
class ShapeOutcome:
    """One shape of a check: the status it reports, at which severity, with which message."""

    shape: URIRef
    status: str
    severity: URIRef
    message: str


@dataclass
class Logic:
    """The logical shapes of a shapes graph (sh:not, sh:node over node shapes) and the
    component shapes they reach: what an any-of check's shapes are made of (issue 18)."""

    shapes: dict[URIRef, tuple[tuple[URIRef, ...], tuple[URIRef, ...]]] = field(default_factory=dict)  # (nots, nodes)
    leaves: dict[URIRef, tuple[URIRef, str]] = field(default_factory=dict)  # component shape -> (check, outcome)

    def checks_under(self, shapes: list[URIRef]) -> tuple[URIRef, ...]:
        """The checks whose component shapes these shapes reach: an any-of's alternatives."""
        seen: set[URIRef] = set()
        stack = list(shapes)
        while stack:
            shape = stack.pop()
            if shape in seen:
                continue
            seen.add(shape)
            nots, nodes = self.shapes.get(shape, ((), ()))
            stack.extend(nots + nodes)
        return tuple(sorted({self.leaves[s][0] for s in seen if s in self.leaves}, key=str))

    def conforms(self, shape: URIRef, reports: Any, cache: dict[URIRef, bool]) -> bool:
        """SHACL 1.0, 4.6.1 (sh:not) and 4.7.1 (sh:node): does the focus node conform to
        ``shape``? ``reports(check, status)``: whether the check's validator gave the focus a
        row of that outcome, i.e. the component shape of that outcome reports it."""
        if shape in cache:
            return cache[shape]
        if shape in self.leaves:
            check, status = self.leaves[shape]
            result = not reports(check, status)
        else:
            nots, nodes = self.shapes.get(shape, ((), ()))
            result = (all(self.conforms(node, reports, cache) for node in nodes)
                      and not any(self.conforms(other, reports, cache) for other in nots))
        cache[shape] = result
        return result


@dataclass
class CheckPlan:
    """One evaluation: a component's validator with the check bound, and the shapes it feeds.

    A check whose shapes are logical (an any-of) has ``logic`` set and no validator:
    its status is whether the focus conforms to its shapes, worked out from the rows
    of the component shapes they reach. A component shape without a target (an
    alternative's) has ``target_class`` None: it reports only through a logical shape.
    """

    check: URIRef
    criterion: URIRef | None
    component: URIRef
    parameter: str
    select: str
    target_class: URIRef | None
    outcomes: dict[str, ShapeOutcome] = field(default_factory=dict)
    logic: Logic | None = None
    alternatives: tuple[URIRef, ...] = ()


def _prefixes(shapes: Graph, validator: URIRef) -> str:
    """The PREFIX declarations of ``sh:prefixes`` (SHACL 1.0, 5.2.1)."""
    lines = []
    for owner in shapes.objects(validator, SH.prefixes):
        for decl in shapes.objects(owner, SH.declare):
            lines.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>")
    return "\n".join(sorted(set(lines))) + "\n"


def _components(shapes: Graph) -> dict[URIRef, tuple[URIRef, dict[URIRef, str], str]]:
    """Component -> (its check parameter path, {parameter path: variable}, validator SELECT)."""
    found: dict[URIRef, tuple[URIRef, dict[URIRef, str], str]] = {}
    for component in shapes.subjects(RDF.type, SH.ConstraintComponent):
        if not isinstance(component, URIRef):
            raise ShapesError(f"a constraint component is a blank node; the cohort engine needs IRIs")
        for predicate in set(shapes.predicates(component, None)):
            if predicate not in _COMPONENT_TERMS:
                raise ShapesError(f"component {component} uses {predicate.n3(shapes.namespace_manager)}, which the "
                                  "cohort engine does not evaluate; use --engine pyshacl")
        validator = shapes.value(component, SH.nodeValidator)
        select = shapes.value(validator, SH.select) if validator is not None else None
        if not isinstance(validator, URIRef) or select is None:
            raise ShapesError(f"component {component} has no sh:nodeValidator with sh:select; "
                              "the cohort engine evaluates SELECT node validators only; use --engine pyshacl")
        variables: dict[URIRef, str] = {}
        for parameter in shapes.objects(component, SH.parameter):
            path = shapes.value(parameter, SH.path)
            if not isinstance(path, URIRef):
                raise ShapesError(f"component {component} has a parameter without an IRI sh:path")
            variables[path] = path.split("#")[-1].split("/")[-1]
        checks = [path for path in variables if path != OUTCOME]
        if len(checks) != 1:
            raise ShapesError(f"component {component} has {len(checks)} parameters besides bksh:outcome; "
                              "the cohort engine evaluates components with one (the check)")
        found[component] = (checks[0], variables, _prefixes(shapes, validator) + str(select))
    return found


def compile_shapes(shapes: Graph) -> list[CheckPlan]:
    """One :class:`CheckPlan` per check, from every shape of the graph.

    Raises:
        ShapesError: a shape or component uses a feature the engine does not
            evaluate, names no target class, or lacks a severity it needs.
    """
    components = _components(shapes)
    by_parameter = {path: component for component, (path, _, _) in components.items()}
    parameters = {path for _, variables, _ in components.values() for path in variables}
    plans: dict[tuple[URIRef, URIRef], CheckPlan] = {}
    shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(SH.targetClass, None))
    shape_nodes |= {s for s, p in shapes.subject_predicates(None) if p in parameters}
    logical = {s for s in shape_nodes if (s, SH["not"], None) in shapes or (s, SH.node, None) in shapes}
    logic = Logic()
    for node in sorted(shape_nodes - logical, key=str):
        if (node, RDF.type, SH.PropertyShape) in shapes:
            raise ShapesError(f"shape {node} is a property shape; the cohort engine evaluates node shapes only")
        if not isinstance(node, URIRef):
            raise ShapesError(f"a shape is a blank node; the cohort engine needs shapes with IRIs")
        for predicate in set(shapes.predicates(node, None)):
            if predicate not in _ANNOTATIONS and predicate not in parameters:
                raise ShapesError(f"shape {node} uses {predicate.n3(shapes.namespace_manager)}, which the cohort "
                                  "engine does not evaluate; use --engine pyshacl")
        used = [p for p in shapes.predicates(node, None) if isinstance(p, URIRef) and p in by_parameter]
        if len(used) != 1:
            raise ShapesError(f"shape {node} uses {len(used)} constraint components; the cohort engine expects one")
        component = by_parameter[used[0]]
        check_path, variables, select = components[component]
        check = shapes.value(node, check_path)
        targets = list(shapes.objects(node, SH.targetClass))
        if len(targets) > 1 or not all(isinstance(t, URIRef) for t in targets) or not isinstance(check, URIRef):
            raise ShapesError(f"shape {node} needs at most one sh:targetClass and an IRI for {check_path}")
        target = targets[0] if targets else None
        outcome = shapes.value(node, OUTCOME)
        severity = shapes.value(node, SH.severity, default=SH.Violation)
        status = str(outcome) if isinstance(outcome, Literal) else STATUS_OF_SEVERITY.get(severity, "fail")  # type: ignore[arg-type]
        if STATUS_OF_SEVERITY.get(severity) != status:  # type: ignore[arg-type]
            raise ShapesError(f"shape {node} reports outcome {status!r} at severity {severity}; "
                              "its severity must mean its status (Violation fail, Warning unknown, Info review)")
        plan = plans.setdefault((component, check), CheckPlan(
            check=check, criterion=shapes.value(node, BK.criterion) or shapes.value(check, BK.criterion),  # type: ignore[arg-type]
            component=component, parameter=variables[check_path], select=select, target_class=target))  # type: ignore[arg-type]
        if plan.target_class != target:
            raise ShapesError(f"shapes of check {check} target different classes; the cohort engine expects one")
        message = shapes.value(node, SH.message)
        plan.outcomes[status] = ShapeOutcome(node, status, severity, str(message) if message is not None else "")  # type: ignore[arg-type]
        logic.leaves[node] = (check, status)  # type: ignore[index]
    for node in sorted(logical, key=str):
        _compile_logical(shapes, node, logic, plans)
    for plan in plans.values():
        if plan.logic is not None:
            plan.alternatives = logic.checks_under([o.shape for o in plan.outcomes.values()])
    return sorted(plans.values(), key=lambda plan: str(plan.check))


_LOGICAL_TERMS = _ANNOTATIONS | {SH["not"], SH.node, URIRef(BKSH + "outcome")}


def _compile_logical(shapes: Graph, node: Any, logic: Logic, plans: dict[tuple[URIRef, URIRef], CheckPlan]) -> None:
    """A shape made of sh:not and sh:node (an any-of's, issue 18): remembered in ``logic``;
    a targeted one is a status of its bk:check, planned like a component shape's."""
    if not isinstance(node, URIRef):
        raise ShapesError("a shape is a blank node; the cohort engine needs shapes with IRIs")
    for predicate in set(shapes.predicates(node, None)):
        if predicate not in _LOGICAL_TERMS:
            raise ShapesError(f"shape {node} uses {predicate.n3(shapes.namespace_manager)} beside sh:not or sh:node, "
                              "which the cohort engine does not evaluate; use --engine pyshacl")
    nots = tuple(sorted(shapes.objects(node, SH["not"]), key=str))
    nodes = tuple(sorted(shapes.objects(node, SH.node), key=str))
    if not all(isinstance(n, URIRef) for n in nots + nodes):
        raise ShapesError(f"shape {node} names a blank node in sh:not or sh:node; the cohort engine needs IRIs")
    logic.shapes[node] = (nots, nodes)  # type: ignore[assignment]
    target = shapes.value(node, SH.targetClass)
    if target is None:
        return
    check = shapes.value(node, BK.check)
    severity = shapes.value(node, SH.severity, default=SH.Violation)
    status = STATUS_OF_SEVERITY.get(severity)  # type: ignore[arg-type]
    outcome = shapes.value(node, OUTCOME)
    if not isinstance(check, URIRef) or not isinstance(target, URIRef) or status is None \
            or (outcome is not None and str(outcome) != status):
        raise ShapesError(f"shape {node} (sh:not / sh:node) needs a bk:check and a severity that means its status")
    plan = plans.setdefault((SH.NotConstraintComponent, check), CheckPlan(
        check=check, criterion=shapes.value(node, BK.criterion), component=SH.NotConstraintComponent,  # type: ignore[arg-type]
        parameter="", select="", target_class=target, logic=logic))
    message = shapes.value(node, SH.message)
    plan.outcomes[status] = ShapeOutcome(node, status, severity, str(message) if message is not None else "")  # type: ignore[arg-type]
