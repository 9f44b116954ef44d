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
class CheckPlan:
    """One evaluation: a component's validator with the check bound, and the shapes it feeds."""

    check: URIRef
    criterion: URIRef | None
    component: URIRef
    parameter: str
    select: str
    target_class: URIRef
    outcomes: dict[str, ShapeOutcome] = field(default_factory=dict)


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
    for node in sorted(shape_nodes, key=str):
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
        if len(targets) != 1 or not isinstance(targets[0], URIRef) or not isinstance(check, URIRef):
            raise ShapesError(f"shape {node} needs exactly one sh:targetClass and an IRI for {check_path}")
        outcome = shapes.value(node, OUTCOME)
        severity = shapes.value(node, SH.severity, default=SH.Violation)
        status = str(outcome) if isinstance(outcome, Literal) else STATUS_OF_SEVERITY.get(severity, "fail")  # type: ignore[arg-type]
        if STATUS_OF_SEVERITY.get(severity) != status:  # type: ignore[arg-type]
            raise ShapesError(f"shape {node} reports outcome {status!r} at severity {severity}; "
                              "its severity must mean its status (Violation fail, Warning unknown, Info review)")
        plan = plans.setdefault((component, check), CheckPlan(
            check=check, criterion=shapes.value(node, BK.criterion) or shapes.value(check, BK.criterion),  # type: ignore[arg-type]
            component=component, parameter=variables[check_path], select=select, target_class=targets[0]))
        if plan.target_class != targets[0]:
            raise ShapesError(f"shapes of check {check} target different classes; the cohort engine expects one")
        message = shapes.value(node, SH.message)
        plan.outcomes[status] = ShapeOutcome(node, status, severity, str(message) if message is not None else "")  # type: ignore[arg-type]
    return sorted(plans.values(), key=lambda plan: str(plan.check))
