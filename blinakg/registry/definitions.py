"""Trial models in Turtle, checked before they are imported (issue 9, part 6).

    "A trial model in Turtle is validated by SHACL shapes for trial definitions
    before it is imported (every criterion has text, kind and order; every check
    has its parameters; every value set exists): a broken one gives exit 2
    naming the file, the node and what is missing."

The shapes are ``shapes/definitions/*.ttl`` (a subfolder, so screening never
loads them). A file is validated together with the model (``ontology/*.ttl``),
so it may use the model's value sets and classes; only nodes the file itself
describes are reported. The terminology files of the same import (and
blinakg's own, ``ontology/trials/``) are validated beside it: a model's value
sets may live there (:mod:`blinakg.registry.models`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SH

from ..errors import InputError
from ..namespaces import BK, SHAPES_DIR

DEFINITION_SHAPES_DIR = SHAPES_DIR / "definitions"
MAX_REPORTED = 5


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    graph = Graph()
    for path in sorted(DEFINITION_SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def definition_shapes() -> Graph:
    """A copy of the trial-definition shapes."""
    graph = Graph()
    graph += _shapes()
    return graph


def _name(node: object) -> str:
    return f"<{node}>" if isinstance(node, URIRef) else str(node)


def check_definition(graph: Graph, label: str | Path, context: Graph | None = None) -> None:
    """Validate a Turtle trial model against the trial-definition shapes.

    Args:
        graph: the file's triples.
        label: the file, as messages name it.
        context: terminology the model may read value sets from (beside the model).

    Raises:
        InputError: naming the file, the node and what is missing (at most five).
    """
    import pyshacl

    from ..model import load_model

    data = load_model()
    if context is not None:
        data += context
    data += graph
    conforms, report, _ = pyshacl.validate(data, shacl_graph=_shapes(), inference="none",
                                           advanced=False, allow_warnings=True)
    if conforms:
        return
    assert isinstance(report, Graph)
    own = set(graph.subjects())
    problems: list[tuple[str, str]] = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        if focus not in own:
            continue
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        component = report.value(result, SH.sourceConstraintComponent)
        value = report.value(result, SH.value)
        text = str(message) if isinstance(message, Literal) else f"fails {component}"
        if path is not None and message is None:
            text += f" on {_name(path)}"
        if isinstance(value, URIRef):  # which value set is missing, say
            text += f": {_name(value)}"
        problems.append((_name(focus), text))
    if not problems:
        return
    problems = sorted(set(problems))
    shown = "; ".join(f"{node}: {text}" for node, text in problems[:MAX_REPORTED])
    more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
    raise InputError(label, f"not a valid trial definition: {shown}{more}")


def trials_in(graph: Graph, label: str | Path) -> list[tuple[str, URIRef]]:
    """The (NCT ID, trial IRI) of each bk:ClinicalTrial a model file defines.

    Raises:
        InputError: the file defines no trial.
    """
    found = []
    for trial in sorted(set(graph.subjects(RDF.type, BK.ClinicalTrial)), key=str):
        identifier = graph.value(trial, DCTERMS.identifier)
        if isinstance(trial, URIRef) and identifier is not None:
            found.append((str(identifier), trial))
    if not found:
        raise InputError(label, "not a trial model: no bk:ClinicalTrial with a dct:identifier (its NCT ID)")
    return found


__all__ = ["check_definition", "definition_shapes", "trials_in", "DEFINITION_SHAPES_DIR"]
