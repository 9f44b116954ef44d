"""Issue 10: shapes generated from the checks (queries/shapes/generate-shapes.rq).

NCT04604691's generated shapes report the same statuses as the hand-written
``shapes/nct04604691.ttl`` (one shape per check and reportable status), and
screening every criterion case with them gives the same statuses,
explanations and evidence as today's shapes.
"""

from __future__ import annotations

import datetime as dt
import json

from rdflib import Graph
from rdflib.namespace import RDF

from blinakg.engine.screen import screen
from blinakg.engine.shapes import compile_shapes
from blinakg.model import generated_shapes, load_model, load_shapes
from blinakg.namespaces import BK
from blinakg.readers.rdfio import parse_rdf_file

from .test_criteria_cases import CASES, EXPECTED_CASE_COUNT


def test_generated_shapes_match_the_hand_written_ones_check_by_check() -> None:
    generated = compile_shapes(generated_shapes(load_model()))
    hand = compile_shapes(load_shapes())
    assert len(hand) == 37
    assert {(p.check, p.component, p.target_class, tuple(sorted(p.outcomes))) for p in generated} == \
        {(p.check, p.component, p.target_class, tuple(sorted(p.outcomes))) for p in hand}
    assert sum(len(p.outcomes) for p in generated) == 55
    assert all(o.severity == h.outcomes[s].severity
               for p, h in zip(generated, hand) for s, o in p.outcomes.items())


def _rows(screening):  # type: ignore[no-untyped-def]
    return [(p.id, p.verdict, [(c.id, c.status, c.explanation, [e.as_dict() for e in c.evidence],
                                [(k.iri, k.status, k.explanation) for k in c.checks]) for c in p.criteria])
            for p in screening.patients]


def test_generated_shapes_give_todays_results_on_every_case() -> None:
    assert len(CASES) == EXPECTED_CASE_COUNT
    by_date: dict[str, Graph] = {}
    for case in CASES:
        as_of = json.loads((case / "expected.json").read_text())["as_of"]
        by_date.setdefault(as_of, Graph())
        by_date[as_of] += parse_rdf_file(case / "patient.ttl")
    model = load_model()
    shapes = generated_shapes(model)
    screened = 0
    for as_of, graph in by_date.items():
        date = dt.date.fromisoformat(as_of)
        today = screen(graph, date, model=model)
        generated = screen(graph, date, model=model, shapes=shapes)
        assert _rows(generated) == _rows(today)
        assert sorted((str(r.focus), str(r.severity), str(r.value)) for r in generated.report_rows) == \
            sorted((str(r.focus), str(r.severity), str(r.value)) for r in today.report_rows)
        screened += len(list(graph.subjects(RDF.type, BK.Patient)))
    assert screened == EXPECTED_CASE_COUNT
