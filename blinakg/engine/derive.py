"""The derivation step: from patient facts to the facts the shapes read.

Shapes stay simple and engine-neutral because everything that needs a calendar,
a unit registry or a closure is worked out once, here, before validation:

* ``bk:onDate`` / ``bk:daysBeforeAsOf`` / ``bk:endedDaysBeforeAsOf`` — criteria.md:
  "a dateTime counts by its date part"; a period counts by the date it was last
  under way on or before D (:func:`date_record`);
* ``bk:Evidence`` / ``bk:ignoredBecause`` — statuses and dates that make a record
  no evidence (``queries/derive/10-evidence.ru``);
* ``bk:inValueSet`` — the value-set closure over the model's hierarchy, once,
  instead of RDFS inference inside pySHACL (``20-value-sets.ru``);
* ``bk:normValue`` / ``bk:normUln`` / ``bk:unitProblem`` — UCUM conversion to the
  value set's canonical unit (:mod:`blinakg.units`);
* ``bk:polarity``, ``bk:ActiveRecord``, ``bk:consentDate``,
  ``bk:PotentiallyChildbearing`` — the remaining ``queries/derive`` updates;
* ``bk:birthEarliest`` / ``bk:birthLatest`` — the range a partial birth date allows.

Nothing here knows a criterion: thresholds, windows and value sets are read
from the model graph.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node
from rdflib.namespace import RDF, SKOS, XSD

from ..sparql import catalogue
from ..namespaces import BK, RUN
from .planner import prepared_update
from ..readers.units import Conversion, UnitProblem, convert, format_decimal


def _date_bounds(value: Literal) -> tuple[dt.date, dt.date] | None:
    """Earliest and latest calendar day a date literal allows (partial dates span a range)."""
    text = str(value).strip()
    try:
        if len(text) == 4 and text.isdigit():
            year = int(text)
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:7])
            return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        day = dt.date.fromisoformat(text[:10])
        return day, day
    except ValueError:
        return None


@dataclass(frozen=True)
class RecordDates:
    """When a record counts, at D.

    ``on`` is the date it counts by (``bk:onDate``); ``ended`` the date it was
    over (``bk:endedOn``), absent for a period still under way at D;
    ``literal`` the date literal read; ``when`` a phrase for explanations.
    """

    on: dt.date | None
    ended: dt.date | None
    literal: Literal | None
    when: str | None = None


def date_record(start: Literal | None, end: Literal | None, effective: Literal | None,
                as_of: dt.date) -> RecordDates:
    """The dates a record counts by, from its period or its single date.

    criteria.md, "periods": "a period that starts on or before D counts by the
    date it was last under way on or before D: its end, or D itself when it
    ends after D or has no end (an open period is ongoing) ... a period that
    starts after D is not evidence (dated after D). I3's blocks are counted
    when they ended (or, given as one date, took place) on or before the marrow
    assessment: a block still under way is not yet 'after'."

    A partial date counts by its first day. A period with an end and no start
    counts by its end (nothing says it was under way earlier).
    """
    if start is None and end is None:
        if effective is None:
            return RecordDates(None, None, None)
        bounds = _date_bounds(effective)
        day = bounds[0] if bounds else None
        return RecordDates(day, day, effective)
    start_day = _first_day(start)
    end_day = _first_day(end)
    if (start is not None and start_day is None) or (end is not None and end_day is None):
        return RecordDates(None, None, end if end is not None and end_day is None else start)
    if start_day is None:
        return RecordDates(end_day, end_day, end)
    if start_day > as_of:
        return RecordDates(start_day, None, start, f"starting {start_day.isoformat()}")
    if end_day is not None and end_day <= as_of:
        return RecordDates(end_day, end_day, end, f"from {start_day.isoformat()} to {end_day.isoformat()}")
    until = f"to {end_day.isoformat()}" if end_day is not None else "with no end"
    return RecordDates(as_of, None, start,
                       f"under way on {as_of.isoformat()} (from {start_day.isoformat()} {until})")


def _first_day(value: Literal | None) -> dt.date | None:
    bounds = _date_bounds(value) if value is not None else None
    return bounds[0] if bounds else None


def record_date(graph: Graph, record: Node, as_of: dt.date) -> RecordDates:
    """The dates ``record`` counts by (:func:`date_record` on its date properties)."""

    def literal(prop: URIRef) -> Literal | None:
        value = graph.value(record, prop)
        return value if isinstance(value, Literal) else None

    return date_record(literal(BK.periodStart), literal(BK.periodEnd), literal(BK.effective), as_of)


def _derive_dates(graph: Graph, as_of: dt.date) -> None:
    for record in set(graph.subjects(BK.subject, None)):
        dates = record_date(graph, record, as_of)
        if dates.on is not None:
            graph.add((record, BK.onDate, Literal(dates.on)))
            graph.add((record, BK.daysBeforeAsOf, Literal((as_of - dates.on).days)))
            if dates.ended is not None:
                graph.add((record, BK.endedDaysBeforeAsOf, Literal((as_of - dates.ended).days)))
            if dates.when is not None:
                graph.add((record, BK.whenText, Literal(dates.when)))
        elif dates.literal is not None:
            graph.add((record, BK.ignoredBecause, Literal(f"has a date '{dates.literal}' that is not a date")))
        abatement = graph.value(record, BK.abatement)
        abated = _date_bounds(abatement) if isinstance(abatement, Literal) else None
        if abated:
            graph.add((record, BK.abatedOn, Literal(abated[0])))
    for patient in set(graph.subjects(RDF.type, BK.Patient)):
        birth = graph.value(patient, BK.birthDate)
        bounds = _date_bounds(birth) if isinstance(birth, Literal) else None
        if bounds:
            graph.add((patient, BK.birthEarliest, Literal(bounds[0])))
            graph.add((patient, BK.birthLatest, Literal(bounds[1])))


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, Literal):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return None


def _decimal_literal(value: Decimal) -> Literal:
    return Literal(format_decimal(value), datatype=XSD.decimal)


def _quantity_text(graph: Graph, node: Node) -> str | None:
    value = _decimal(graph.value(node, BK.value))
    if value is None:
        return None
    comparator = graph.value(node, BK.comparator)
    unit = graph.value(node, BK.unit)
    text = f"{comparator or ''}{format_decimal(value)}"
    return f"{text} {unit}" if unit is not None else f"{text} (no unit)"


def _result_text(graph: Graph, record: Node) -> str | None:
    quantity = _quantity_text(graph, record)
    if quantity is not None:
        return quantity
    code = graph.value(record, BK.valueCode)
    if code is not None:
        label = graph.value(code, SKOS.prefLabel)
        return str(label) if label is not None else str(code)
    for prop in (BK.valueString, BK.valueBoolean):
        value = graph.value(record, prop)
        if value is not None:
            return str(value).lower() if prop == BK.valueBoolean else f'"{value}"'
    return None


def _derive_quantities(graph: Graph) -> None:
    """Convert each result (and its ULN and components) into its value set's unit."""
    for record in set(graph.subjects(RDF.type, BK.Evidence)):
        text = _result_text(graph, record)
        if text is not None:
            graph.add((record, BK.valueText, Literal(text)))
        value = _decimal(graph.value(record, BK.value))
        if value is None:
            continue
        unit_literal = graph.value(record, BK.unit)
        unit = str(unit_literal) if unit_literal is not None else None
        target: str | None = unit
        extra: tuple[Conversion, ...] = ()
        for value_set in graph.objects(record, BK.inValueSet):
            canonical = graph.value(value_set, BK.canonicalUnit)
            if canonical is not None:
                target = str(canonical)
                extra = tuple(
                    Conversion(str(graph.value(c, BK.fromUnit)), Decimal(str(graph.value(c, BK.divisor))))
                    for c in graph.objects(value_set, BK.unitConversion)
                )
                break
        try:
            if target is None:
                raise UnitProblem("the result has no unit")
            norm = convert(value, unit, target, extra)
        except UnitProblem as problem:
            graph.add((record, BK.unitProblem, Literal(str(problem))))
            continue
        graph.add((record, BK.normValue, _decimal_literal(norm)))
        graph.add((record, BK.normUnit, Literal(target)))
        high = _decimal(graph.value(record, BK.referenceHigh))
        if high is not None:
            high_unit = graph.value(record, BK.referenceHighUnit) or unit_literal
            try:
                uln = convert(high, str(high_unit) if high_unit else None, target, extra)
                graph.add((record, BK.normUln, _decimal_literal(uln)))
            except UnitProblem as problem:
                graph.add((record, BK.unitProblem, Literal(f"reference range: {problem}")))
        for component in graph.objects(record, BK.component):
            comp_value = _decimal(graph.value(component, BK.value))
            comp_unit = graph.value(component, BK.unit)
            text = _quantity_text(graph, component)
            if text is not None:
                graph.add((component, BK.valueText, Literal(text)))
            if comp_value is None:
                continue
            try:
                comp_norm = convert(comp_value, str(comp_unit) if comp_unit else None, target, extra)
                graph.add((component, BK.normValue, _decimal_literal(comp_norm)))
            except UnitProblem as problem:
                graph.add((component, BK.unitProblem, Literal(str(problem))))


def screening_node(as_of: dt.date) -> URIRef:
    """The IRI of a screening run at D."""
    return RUN[f"screening-{as_of.isoformat()}"]


def derive(data: Graph, model: Graph, as_of: dt.date) -> Graph:
    """Build the working graph that the shapes validate: model + data + derived facts.

    Args:
        data: patient RDF in the bk: vocabulary.
        model: the ontology (trial, checks, terminology).
        as_of: D, the screening reference date.

    Returns:
        A new graph; ``data`` and ``model`` are not changed.
    """
    graph = Graph()
    graph += model
    graph += data
    screening = screening_node(as_of)
    graph.add((screening, RDF.type, BK.Screening))
    graph.add((screening, BK.asOf, Literal(as_of, datatype=XSD.date)))
    _derive_dates(graph, as_of)
    graph.update(prepared_update(catalogue.get("derive-evidence").text))
    value_sets = prepared_update(catalogue.get("derive-value-sets").text)
    computed = -1
    while computed != (computed := len(set(graph.subjects(BK.membershipComputed, None)))):
        graph.update(value_sets)
    _derive_quantities(graph)
    for query_id in ("derive-polarity", "derive-active", "derive-patient", "derive-estimates"):
        graph.update(prepared_update(catalogue.get(query_id).text))
    return graph
