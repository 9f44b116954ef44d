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
* ``bk:birthEarliest`` / ``bk:birthLatest`` — the range a partial birth date allows;
* ``bk:cnsStatusLowest`` / ``bk:cnsStatusHighest``, ``bk:ageLimit`` — the CNS status a CSF
  finding states and the age-banded limits a result is compared with (issue 10;
  ``70-cns-status.ru``, ``80-age-limits.ru``).

Nothing here knows a criterion: thresholds, windows and value sets are read
from the model graph.
"""

from __future__ import annotations

import calendar
import hashlib
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterator

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node
from rdflib.namespace import XSD

from ..namespaces import BK, BK_IRI, RUN
from ..readers.units import (Conversion, UnitProblem, conversion_factor, convert, convert_exact, format_decimal,
                             is_commensurable, scale_to)
from ..sparql import catalogue
from .oxistore import select, graph_to_ntriples, new_store


def _date_bounds(value: str | Literal) -> tuple[dt.date, dt.date] | None:
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
    literal: str | None
    when: str | None = None


def date_record(start: str | None, end: str | None, effective: str | None, as_of: dt.date) -> RecordDates:
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


def _first_day(value: str | None) -> dt.date | None:
    bounds = _date_bounds(value) if value is not None else None
    return bounds[0] if bounds else None


_P = f"PREFIX bk: <{BK_IRI}>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
_XSD_DATE = ox.NamedNode(str(XSD.date))
_XSD_DECIMAL = ox.NamedNode(str(XSD.decimal))


@lru_cache(maxsize=None)
def _bk(name: str) -> ox.NamedNode:
    return ox.NamedNode(BK_IRI + name)


@lru_cache(maxsize=4096)  # a cohort's records share a few thousand days
def _date(day: dt.date) -> ox.Literal:
    return ox.Literal(day.isoformat(), datatype=_XSD_DATE)


@lru_cache(maxsize=4096)
def _days(count: int) -> ox.Literal:
    return ox.Literal(count)


def _decimal_literal(value: Decimal) -> ox.Literal:
    return ox.Literal(format_decimal(value), datatype=_XSD_DECIMAL)


def _lit(term: ox.Literal | None) -> str | None:
    """The lexical form the date helpers read."""
    return None if term is None else term.value


def _dec(term: object) -> Decimal | None:
    if isinstance(term, ox.Literal):
        try:
            value = Decimal(term.value)
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None


def _derive_dates(store: ox.Store, as_of: dt.date) -> list[ox.Quad]:
    """``bk:onDate``, ``bk:daysBeforeAsOf``, ``bk:endedDaysBeforeAsOf``, ``bk:whenText``,
    ``bk:abatedOn``; ``bk:birthEarliest`` / ``bk:birthLatest`` and ``bk:deceasedDaysBeforeAsOf`` for patients."""
    quads: list[ox.Quad] = []
    seen: set[object] = set()
    rows = select(store, _P + """
        SELECT ?record ?start ?end ?effective ?abatement WHERE {
          { SELECT DISTINCT ?record WHERE { ?record bk:subject ?patient } }
          OPTIONAL { ?record bk:periodStart ?start } OPTIONAL { ?record bk:periodEnd ?end }
          OPTIONAL { ?record bk:effective ?effective } OPTIONAL { ?record bk:abatement ?abatement }
        } ORDER BY ?record ?start ?end ?effective ?abatement""")
    for row in rows:
        record = row["record"]
        if record in seen:
            continue  # several values of one date property: the first in order counts
        seen.add(record)
        dates = date_record(_lit(row["start"]), _lit(row["end"]), _lit(row["effective"]), as_of)
        if dates.on is not None:
            quads.append(ox.Quad(record, _bk("onDate"), _date(dates.on)))
            quads.append(ox.Quad(record, _bk("daysBeforeAsOf"), _days((as_of - dates.on).days)))
            if dates.ended is not None:
                quads.append(ox.Quad(record, _bk("endedDaysBeforeAsOf"), _days((as_of - dates.ended).days)))
            if dates.when is not None:
                quads.append(ox.Quad(record, _bk("whenText"), ox.Literal(dates.when)))
        elif dates.literal is not None:
            quads.append(ox.Quad(record, _bk("ignoredBecause"),
                                 ox.Literal(f"has a date '{dates.literal}' that is not a date")))
        abated = _date_bounds(row["abatement"].value) if row["abatement"] is not None else None
        if abated:
            quads.append(ox.Quad(record, _bk("abatedOn"), _date(abated[0])))
    for patient, bounds in _first_date_bounds(store, "birthDate"):
        quads.append(ox.Quad(patient, _bk("birthEarliest"), _date(bounds[0])))
        quads.append(ox.Quad(patient, _bk("birthLatest"), _date(bounds[1])))
    # A stated date of death: its first day (a partial date counts by its first day), against D.
    for patient, bounds in _first_date_bounds(store, "deceasedDate"):
        quads.append(ox.Quad(patient, _bk("deceasedDaysBeforeAsOf"), _days((as_of - bounds[0]).days)))
    return quads


MAX_FRACTION_DIGITS = 18  # xsd:decimal as pyoxigraph compares it (128 bits, 18 digits after the point)


def _comparable(value: Decimal, written: str) -> Decimal:
    """A value both engines compare exactly, or a problem naming it: pyoxigraph's
    decimals hold 18 digits after the point, rdflib's any number."""
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_FRACTION_DIGITS:
        raise UnitProblem(f"the value {written} has more than {MAX_FRACTION_DIGITS} digits after the point "
                          "once converted, more than can be compared exactly")
    return value


def _quantity_text(value: Decimal | None, comparator: object, unit: object) -> str | None:
    if value is None:
        return None
    text = f"{comparator.value if isinstance(comparator, ox.Literal) else ''}{format_decimal(value)}"
    return f"{text} {unit.value}" if isinstance(unit, ox.Literal) else f"{text} (no unit)"


@dataclass
class _UnitRules:
    """What the model says about the units of a value set's results."""

    canonical: str | None = None  # bk:canonicalUnit: results are converted into it
    if_absent: str | None = None  # bk:unitIfAbsent: the unit of a result that states none (a score)
    conversions: list[Conversion] = field(default_factory=list)  # bk:unitConversion, each with its target unit
    limits: set[str] = field(default_factory=set)  # units thresholds and limits on the set are stated in


def _unit_rules(store: ox.Store) -> dict[object, _UnitRules]:
    """Value set -> its canonical unit, the model's extra conversions, and the units
    of the thresholds and tables of limits the checks reading it compare in."""
    rules: dict[object, _UnitRules] = {}
    for row in select(store, _P + """
        SELECT ?set ?unit ?absent ?from ?divisor ?to WHERE {
          ?set a bk:ValueSet .
          OPTIONAL { ?set bk:canonicalUnit ?unit }
          OPTIONAL { ?set bk:unitIfAbsent ?absent }
          OPTIONAL { ?set bk:unitConversion ?c . ?c bk:fromUnit ?from ; bk:divisor ?divisor OPTIONAL { ?c bk:toUnit ?to } }
          FILTER (BOUND(?unit) || BOUND(?from))
        } ORDER BY ?set ?from ?to"""):
        rule = rules.setdefault(row["set"], _UnitRules())
        if row["absent"] is not None:
            rule.if_absent = row["absent"].value
        if row["unit"] is not None:
            rule.canonical = row["unit"].value
            rule.limits.add(rule.canonical)
        if row["from"] is not None:
            target = row["to"].value if row["to"] is not None else rule.canonical
            conversion = Conversion(row["from"].value, Decimal(row["divisor"].value), target)
            if target is not None and conversion not in rule.conversions:
                rule.conversions.append(conversion)
    for row in select(store, _P + """
        SELECT DISTINCT ?set ?unit WHERE {
          ?check bk:valueSet|bk:fallbackValueSet ?set .
          { ?check bk:unit ?unit } UNION { ?check bk:ageLimitTable/bk:unit ?unit }
        }"""):
        rules.setdefault(row["set"], _UnitRules()).limits.add(row["unit"].value)
    return rules


def _scales(kept_unit: str, rules: list[_UnitRules]) -> list[tuple[str, Decimal]]:
    """(limit unit, how many ``kept_unit`` make one of it) for every unit a threshold
    or limit on the record's value sets is stated in, other than the record's own."""
    conversions = tuple(c for rule in rules for c in rule.conversions)
    found: dict[str, Decimal] = {}
    for limit in sorted({unit for rule in rules for unit in rule.limits}):
        if limit != kept_unit and limit not in found:
            scale = scale_to(limit, kept_unit, conversions)
            if scale is not None:
                found[limit] = scale
    return sorted(found.items())


def _scale_quads(record: object, kept_unit: str, rules: list[_UnitRules]) -> list[ox.Quad]:
    """``bk:unitScale`` nodes: a threshold in ``bk:scaleUnit`` times ``bk:scaleFactor``
    is the same threshold in the record's ``bk:normUnit``, exactly."""
    quads: list[ox.Quad] = []
    for unit, scale in _scales(kept_unit, rules):
        # A stable IRI (records may be blank nodes): from the record and the unit.
        node = ox.NamedNode("urn:blinakg:scale:" + hashlib.sha256(f"{record} {unit}".encode()).hexdigest())
        quads += [ox.Quad(record, _bk("unitScale"), node),  # type: ignore[arg-type]
                  ox.Quad(node, _bk("scaleUnit"), ox.Literal(unit)),
                  ox.Quad(node, _bk("scaleFactor"), _decimal_literal(scale))]
    return quads


def _derive_quantities(store: ox.Store) -> list[ox.Quad]:
    """Convert each result (and its ULN and components) into its value set's unit
    exactly: by UCUM, or kept in the unit a model conversion starts from, with the
    divisor as a scale thresholds are multiplied by (issue 18: ÷ 17.1 does not end);
    ``bk:valueText``, the result as recorded, for explanations and evidence."""
    rules_of_set = _unit_rules(store)
    quads: list[ox.Quad] = []
    rules_of: dict[object, list[_UnitRules]] = {}
    for row in select(store, _P + """
        SELECT ?record ?set WHERE { ?record a bk:Evidence ; bk:inValueSet ?set } ORDER BY ?record ?set"""):
        if row["set"] in rules_of_set:
            rules_of.setdefault(row["record"], []).append(rules_of_set[row["set"]])
    converted: dict[object, tuple[str, tuple[Conversion, ...]]] = {}  # records whose value converted
    seen: set[object] = set()
    for row in select(store, _P + """
        SELECT ?record ?value ?unit ?comparator ?code ?label ?string ?boolean ?high ?highUnit WHERE {
          ?record a bk:Evidence .
          OPTIONAL { ?record bk:value ?value } OPTIONAL { ?record bk:unit ?unit }
          OPTIONAL { ?record bk:comparator ?comparator }
          OPTIONAL { ?record bk:valueCode ?code OPTIONAL { ?code skos:prefLabel ?label } }
          OPTIONAL { ?record bk:valueString ?string } OPTIONAL { ?record bk:valueBoolean ?boolean }
          OPTIONAL { ?record bk:referenceHigh ?high } OPTIONAL { ?record bk:referenceHighUnit ?highUnit }
        } ORDER BY ?record ?value ?unit ?code ?label ?string"""):
        record = row["record"]
        if record in seen:
            continue
        seen.add(record)
        value = _dec(row["value"])
        text = _quantity_text(value, row["comparator"], row["unit"])
        if text is None and row["code"] is not None:
            text = row["label"].value if row["label"] is not None else row["code"].value
        if text is None and row["string"] is not None:
            text = f'"{row["string"].value}"'
        if text is None and row["boolean"] is not None:
            text = row["boolean"].value.lower()
        if text is not None:
            quads.append(ox.Quad(record, _bk("valueText"), ox.Literal(text)))
        if value is None:
            continue
        unit = row["unit"].value if row["unit"] is not None else None
        rules = rules_of.get(record, [])
        if unit is None:  # a score sent as an integer: the unit its value set says such results are in
            unit = next((rule.if_absent for rule in rules if rule.if_absent is not None), None)
        target = next((rule.canonical for rule in rules if rule.canonical is not None), unit)
        extra = tuple(c for rule in rules for c in rule.conversions)
        try:
            if target is None:
                raise UnitProblem("the result has no unit")
            norm, kept, _ = convert_exact(value, unit, target, extra)
            norm = _comparable(norm, row["value"].value)
        except UnitProblem as problem:
            quads.append(ox.Quad(record, _bk("unitProblem"), ox.Literal(str(problem))))
            continue
        quads.append(ox.Quad(record, _bk("normValue"), _decimal_literal(norm)))
        quads.append(ox.Quad(record, _bk("normUnit"), ox.Literal(kept)))
        quads.extend(_scale_quads(record, kept, rules))
        converted[record] = (kept, extra)
        high = _dec(row["high"])
        if high is not None:
            high_unit = row["highUnit"].value if row["highUnit"] is not None else unit
            try:
                quads.append(ox.Quad(record, _bk("normUln"), _decimal_literal(_in_kept_unit(high, high_unit, kept, rules))))
            except UnitProblem as problem:
                quads.append(ox.Quad(record, _bk("unitProblem"), ox.Literal(f"reference range: {problem}")))
    seen.clear()
    for row in select(store, _P + """
        SELECT ?record ?component ?value ?unit ?comparator WHERE {
          ?record a bk:Evidence ; bk:component ?component .
          OPTIONAL { ?component bk:value ?value } OPTIONAL { ?component bk:unit ?unit }
          OPTIONAL { ?component bk:comparator ?comparator }
        } ORDER BY ?component ?value ?unit"""):
        component = row["component"]
        if component in seen or row["record"] not in converted:
            continue  # components are read only beside a usable result
        seen.add(component)
        value = _dec(row["value"])
        text = _quantity_text(value, row["comparator"], row["unit"])
        if text is not None:
            quads.append(ox.Quad(component, _bk("valueText"), ox.Literal(text)))
        if value is None:
            continue
        kept, extra = converted[row["record"]]
        try:
            unit = row["unit"].value if row["unit"] is not None else None
            quads.append(ox.Quad(component, _bk("normValue"), _decimal_literal(convert(value, unit, kept, extra))))
        except UnitProblem as problem:
            quads.append(ox.Quad(component, _bk("unitProblem"), ox.Literal(str(problem))))
    return quads


def _in_kept_unit(value: Decimal, unit: str | None, kept: str, rules: list[_UnitRules]) -> Decimal:
    """A reference limit in the unit its result is kept in: by UCUM, or, when it is
    stated in a unit a scale relates to the kept one (a ULN in mg/dL beside a result
    in umol/L), multiplied by that scale."""
    if unit is None or not unit.strip():
        raise UnitProblem("the result has no unit")
    try:
        return value * conversion_factor(unit, kept)
    except UnitProblem as problem:
        for limit, scale in _scales(kept, rules):
            if is_commensurable(unit, limit):
                return value * conversion_factor(unit, limit) * scale
        raise problem


def screening_node(as_of: dt.date) -> URIRef:
    """The IRI of a screening run at D."""
    return RUN[f"screening-{as_of.isoformat()}"]


DERIVE_UPDATES = ("derive-evidence", "derive-value-sets", "derive-polarity", "derive-active",
                  "derive-patient", "derive-estimates", "derive-cns-status", "derive-age-limits")


def derive_store(store: ox.Store, as_of: dt.date) -> ox.Store:
    """Add the derived facts to a store holding the model and a cohort's data.

    The order is the data flow: dates (Python: calendar), evidence at D,
    value-set closure (repeated until every set with exclusions is computed),
    units (Python: UCUM), then polarity, active records, per-patient facts and
    estimates (SPARQL Update, rules read from the model).
    """
    screening = ox.NamedNode(str(screening_node(as_of)))
    store.extend([ox.Quad(screening, ox.NamedNode(str(RDF_TYPE)), _bk("Screening")),
                  ox.Quad(screening, _bk("asOf"), _date(as_of))])
    store.extend(_derive_dates(store, as_of))
    store.update(catalogue.get("derive-evidence").text)
    value_sets = catalogue.get("derive-value-sets").text
    count = _MEMBERSHIP_COUNT
    computed = -1
    while computed != (computed := int(next(select(store, count))["n"].value)):
        store.update(value_sets)
    store.extend(_derive_quantities(store))
    for query_id in DERIVE_UPDATES[2:]:
        store.update(catalogue.get(query_id).text)
    return store


RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_MEMBERSHIP_COUNT = _P + "SELECT (COUNT(DISTINCT ?set) AS ?n) WHERE { ?set bk:membershipComputed ?done }"


def derive(data: Graph, model: Graph, as_of: dt.date) -> ox.Store:
    """The working store the shapes validate: model + data + derived facts.

    Args:
        data: patient RDF in the bk: vocabulary.
        model: the ontology (trial, checks, terminology).
        as_of: D, the screening reference date.

    Returns:
        A new in-memory pyoxigraph store; ``data`` and ``model`` are not changed.
    """
    return derive_store(new_store(graph_to_ntriples(model), graph_to_ntriples(data)), as_of)


def _first_date_bounds(store: ox.Store, prop: str) -> Iterator[tuple[Any, tuple[dt.date, dt.date]]]:
    """Per patient, the range of days its first ``bk:<prop>`` value allows (patients with none, or an unreadable one, skipped)."""
    seen: set[Any] = set()
    for row in select(store, _P + f"SELECT ?patient ?value WHERE {{ ?patient a bk:Patient ; bk:{prop} ?value }} "
                                  "ORDER BY ?patient ?value"):
        if row["patient"] in seen:
            continue
        seen.add(row["patient"])
        bounds = _date_bounds(row["value"].value)
        if bounds:
            yield row["patient"], bounds
