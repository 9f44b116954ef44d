"""What would change a failing or unknown criterion, and from which date a
patient becomes eligible: engine-independent, from the results any engine
fills (:mod:`blinakg.engine.results`) and the checks' own parameters in the
model (``queries/report/next-step-parameters.rq``), never from constants.

contract.md: "``next_step`` — on a criterion whose status is ``fail`` or
``unknown``: one sentence saying what would change it — the value needed
("needs ≥ 1,000/µL"), the first date a washout window has passed, or the
measurement to obtain and the earliest date it would count; ``null`` when
nothing in the data can change it (an excluding history). Absent or ``null``
on ``pass`` and ``review``."

"``earliest_eligible_date`` — per patient: D when the patient is eligible;
when every failing criterion fails only because a record lies within a washout
window ("within N days before D"), the first date on which all those windows
have passed (the record's date + N + 1 days, the latest over the records);
otherwise ``null``."
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Graph, URIRef

from ..engine.results import CheckResult, CriterionResult, PatientResult, Screening
from ..namespaces import BK
from ..readers.units import UnitProblem, conversion_factor, is_commensurable
from ..sparql import catalogue

SYMBOL = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass
class CheckParameters:
    """One check's parameters, as the model states them."""

    iri: URIRef
    kind: str
    label: str
    window: int | None = None
    threshold: Decimal | None = None
    uln_multiple: Decimal | None = None
    pass_when: str | None = None
    unit: str | None = None
    pass_polarity: str | None = None
    max_sensitivity: Decimal | None = None
    if_present: str = "fail"
    if_absent: str = "pass"
    min_count: int | None = None
    max_age: int | None = None
    counted_label: str | None = None
    before_label: str | None = None
    target_units: set[str] = field(default_factory=set)
    estimate: tuple[str, str, int, str, int] | None = None  # label, numerator, its window, denominator, its window

    @property
    def is_washout(self) -> bool:
        """A record in the history within N days before D excludes: it passes N + 1 days after the record."""
        return self.kind == "RecordPresenceCheck" and self.window is not None and self.if_present == "fail"


def _opt(value: Any, kind: type) -> Any:
    return None if value is None else kind(str(value))


def check_parameters(model: Graph) -> dict[URIRef, CheckParameters]:
    """Every check of the model with its parameters (``next-step-parameters.rq``)."""
    checks: dict[URIRef, CheckParameters] = {}
    for row in model.query(catalogue.get("next-step-parameters").text):
        r: Any = row
        params = checks.get(r.check)
        if params is None:
            params = checks[r.check] = CheckParameters(
                iri=r.check, kind=str(r.kind), label=str(r.label or r.check),
                window=_opt(r.window, int), threshold=_opt(r.threshold, Decimal),
                uln_multiple=_opt(r.ulnMultiple, Decimal), pass_when=_opt(r.passWhen, str),
                unit=_opt(r.unit, str), pass_polarity=_opt(r.passPolarity, str),
                max_sensitivity=_opt(r.maxSensitivity, Decimal),
                if_present=str(r.ifPresent or "fail"), if_absent=str(r.ifAbsent or "pass"),
                min_count=_opt(r.minCount, int), max_age=_opt(r.maxAge, int),
                counted_label=_opt(r.countedLabel, str), before_label=_opt(r.beforeLabel, str),
            )
            if r.estimateLabel is not None:
                params.estimate = (str(r.estimateLabel), str(r.numeratorLabel), int(r.numeratorWindow),
                                   str(r.denominatorLabel), int(r.denominatorWindow))
        for unit in (r.unit, r.canonicalUnit, r.fromUnit):
            if unit is not None:
                params.target_units.add(str(unit))
    return checks


# ---------------------------------------------------------------------------
#  Wording
# ---------------------------------------------------------------------------

def format_number(value: Decimal) -> str:
    """1000 -> '1,000'; 0.80 -> '0.8'; 5E+1 -> '50'."""
    text = format(value.normalize(), ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def display_unit(unit: str | None) -> str:
    """A UCUM code as read: the micro prefix 'u' as 'µ'; '1' (a fraction) as nothing."""
    if not unit or unit == "1":
        return ""
    shown = re.sub(r"(?<![A-Za-z])u(?=[A-Za-z])", "µ", unit)
    return re.sub(r"^10\*(\d+)", lambda m: "×10" + m.group(1).translate(SUPERSCRIPT), shown)


def quantity(value: Decimal, unit: str | None, comparator: str = "") -> str:
    """'1,000/µL', '9 g/dL', '5%': per-units and percent written onto the number, as the contract does."""
    shown = display_unit(unit)
    glue = "" if shown.startswith("/") or shown == "%" or not shown else " "
    return f"{comparator}{format_number(value)}{glue}{shown}"


def article(noun: str) -> str:
    """'a' or 'an' by how the noun is read: an ANC, an HIV test, a CSF finding, a pregnancy test."""
    acronym = len(noun) > 1 and noun[:2].isupper()
    vowel_sound = noun[:1] in "AEFHILMNORSX" if acronym else noun[:1].lower() in "aeio"
    return "an" if vowel_sound else "a"


def result_noun(label: str) -> str:
    """'pregnancy test' stays; 'ANC' becomes 'ANC result'."""
    return label if re.search(r"\b(test|finding|result)$", label) else f"{label} result"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------
#  One check
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """What would change one check: a sentence, or ``None`` when nothing can."""

    sentence: str | None
    passes_from: dt.date | None = None  # set for a washout only


@dataclass
class RecordFacts:
    """What the failing or unknown result says: its quantity, and its ULN threshold where it has one."""

    value: Decimal | None = None
    unit: str | None = None
    comparator: str = ""
    estimated: bool = False
    date: str | None = None
    uln_threshold: tuple[Decimal, str | None] | None = None  # multiple x ULN, in the unit the check compared in


def _decimal(node: Any) -> Decimal | None:
    if node is None:
        return None
    try:
        return Decimal(str(node))
    except InvalidOperation:
        return None


# The explanations are the shapes' sentences (shapes/components.ttl), the same from every engine:
# "<Label> <value as recorded> … on <date> …", "… < 2 × ULN = 80 U/L."
_QUANTITY = re.compile(r"^(<=|>=|<|>)?(-?\d+(?:\.\d+)?)(?: (\S+))?")
_ULN = re.compile(r"× ULN = (-?\d+(?:\.\d+)?) (\S+?)\.?(?:\s|$)")


def _quantity(text: str | None) -> tuple[str, Decimal, str | None] | None:
    """'800 /uL' -> ('', 800, '/uL'); '<0.5 10*9/L' -> ('<', 0.5, '10*9/L'); '3 (no unit)' -> ('', 3, None)."""
    found = _QUANTITY.match(text or "")
    if not found:
        return None
    unit = found.group(3)
    return found.group(1) or "", Decimal(found.group(2)), None if not unit or unit.startswith("(") else unit


def record_facts(check: CheckResult, label: str) -> RecordFacts:
    """From the check's explanation (which every engine writes alike), else its evidence."""
    facts = RecordFacts()
    first = next((s for s in re.split(r"(?<=\.) ", check.explanation) if s.startswith(capitalised(label) + " ")), "")
    said = _quantity(first[len(label) + 1:]) if first else None
    if said is None:
        said = next((q for e in check.evidence if (q := _quantity(e.value)) is not None), None)
    if said is not None:
        facts.comparator, facts.value, facts.unit = said
    dated = re.search(r" on (\d{4}-\d\d-\d\d)", first)
    facts.date = dated.group(1) if dated else next((e.date for e in check.evidence if e.date), None)
    facts.estimated = "(estimated by " in first or len({e.record for e in check.evidence}) < len(check.evidence)
    uln = _ULN.search(check.explanation)
    if uln:
        facts.uln_threshold = Decimal(uln.group(1)), uln.group(2)
    return facts


def reference_high(screening: Screening, check: CheckResult) -> tuple[Decimal, str | None, str | None] | None:
    """(ULN, its unit, the result's unit) as recorded, where the engine kept the patient data."""
    record = next((e.record for e in check.evidence if e.record is not None), None)
    for graph in (screening.data_graph, screening.records):
        high = _decimal(graph.value(record, BK.referenceHigh)) if record is not None else None
        if high is not None:
            unit = graph.value(record, BK.unit)
            high_unit = graph.value(record, BK.referenceHighUnit) or unit
            return high, None if high_unit is None else str(high_unit), None if unit is None else str(unit)
    return None


def _in_unit(value: Decimal, source: str | None, target: str | None) -> tuple[Decimal, str | None]:
    """``value`` (in ``source``) expressed in ``target`` where UCUM can; else left in ``source``."""
    if not source or not target or source == target:
        return value, source
    try:
        return value * conversion_factor(source, target), target
    except UnitProblem:
        return value, source


def _obtain(params: CheckParameters, as_of: dt.date, what: str = "", adjective: str = "") -> str:
    """'Needs a pregnancy test dated 2025-02-22 or later.'"""
    noun = f"{adjective} {result_noun(params.label)}".strip()
    since = "" if params.window is None else f" dated {(as_of - dt.timedelta(days=params.window)).isoformat()} or later"
    sentence = f"Needs {article(noun)} {noun}{what}{',' if what and since else ''}{since}"
    if params.estimate is not None:
        label, numerator, num_window, denominator, den_window = params.estimate
        sentence += (f", or for the {label} estimate {article(denominator)} {denominator} dated "
                     f"{(as_of - dt.timedelta(days=den_window)).isoformat()} or later and {article(numerator)} "
                     f"{numerator} dated {(as_of - dt.timedelta(days=num_window)).isoformat()} or later")
    return sentence + "."


def _threshold_step(params: CheckParameters, check: CheckResult, facts: RecordFacts,
                    screening: Screening) -> str | None:
    """'ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL.' in the record's own unit where UCUM converts."""
    if params.pass_when not in SYMBOL:
        return None
    symbol = SYMBOL[params.pass_when]
    if params.threshold is not None:
        needed, unit = _in_unit(params.threshold, params.unit, facts.unit)
        need = f"needs {symbol} {quantity(needed, unit)}"
    elif params.uln_multiple is not None:
        need = f"needs {symbol} {format_number(params.uln_multiple)} × ULN"
        recorded = reference_high(screening, check)
        if recorded is not None:
            high, high_unit, unit = recorded
            high, shown = _in_unit(high, high_unit, unit)
            need += f" = {quantity(params.uln_multiple * high, shown)}"
        elif facts.uln_threshold is not None:
            needed, shown = _in_unit(*facts.uln_threshold, facts.unit)
            need += f" = {quantity(needed, shown)}"
    else:
        return None
    date = facts.date
    shown_value = ("" if facts.value is None
                   else f" {quantity(facts.value, facts.unit, facts.comparator)}{' (estimated)' if facts.estimated else ''}")
    return f"{capitalised(params.label)}{shown_value}{f' on {date}' if date else ''}; {need}."


def _unknown_result_step(params: CheckParameters, check: CheckResult, facts: RecordFacts, as_of: dt.date) -> str:
    """A missing, too old or unusable measurement: what to obtain and the earliest date that counts.

    Why a result in the window is unusable is in its explanation (the shapes' sentences)."""
    said = check.explanation
    if not check.evidence:
        return _obtain(params, as_of)
    if params.max_sensitivity is not None and "does not qualify" in said:
        limit = format_number(params.max_sensitivity)
        if "is not recorded" in said:
            return _obtain(params, as_of, f" with its assay sensitivity recorded ({limit} or better)")
        return _obtain(params, as_of, f" from an assay with sensitivity {limit} or better")
    if "cannot be used: reference range" in said:
        return _obtain(params, as_of, " with its reference range in a unit convertible to the result's")
    unit_problem = "cannot be used:" in said or (facts.value is not None and not facts.unit) or (
        facts.unit is not None and params.target_units
        and not any(is_commensurable(facts.unit, u) for u in params.target_units))
    if unit_problem:
        wanted = " or ".join(sorted(display_unit(u) or "1 (a fraction)" for u in params.target_units))
        return _obtain(params, as_of, f" in a unit convertible to {wanted}" if wanted else " with a valid UCUM unit")
    if params.uln_multiple is not None and "no upper limit of normal" in said:
        return _obtain(params, as_of, " with its reference range (upper limit of normal)")
    if facts.comparator or "is a bound" in said:
        return _obtain(params, as_of, " with an exact value, not a bound")
    return _obtain(params, as_of, adjective="conclusive")


def check_step(params: CheckParameters, check: CheckResult, screening: Screening,
               everything: dict[URIRef, CheckParameters] | None = None) -> Step:
    """What would change one failing or unknown check (``everything``: every check's
    parameters, which an any-of's alternatives need)."""
    as_of = screening.as_of
    if params.kind == "LatestResultCheck":
        facts = record_facts(check, params.label)
        if check.status == "unknown":
            return Step(_unknown_result_step(params, check, facts, as_of))
        numeric = params.pass_when is not None and (params.threshold is not None or params.uln_multiple is not None)
        if numeric and (facts.value is not None or params.pass_polarity is None):
            return Step(_threshold_step(params, check, facts, screening))
        if params.pass_polarity is not None:
            date = next((e.date for e in check.evidence if e.date), None)
            noun = result_noun(params.label)
            after = f" dated after {date}" if date else ""
            return Step(f"Needs {article(params.pass_polarity)} {params.pass_polarity} {noun}{after}.")
        return Step(None)
    if params.kind == "RecordPresenceCheck":
        if params.is_washout and check.status == "fail":
            dated = [(d, e) for e in check.evidence if (d := _date(e.date)) is not None]
            if not dated:
                return Step(None)
            last, _ = max(dated, key=lambda pair: pair[0])
            assert params.window is not None
            passes = last + dt.timedelta(days=params.window + 1)
            return Step(f"Passes from {passes.isoformat()}: {params.label} on {last.isoformat()} is within "
                        f"{params.window} days before D.", passes)
        # An excluding history, or a history taken as complete: nothing in the data changes it.
        return Step(None)
    if params.kind == "PriorRecordCountCheck" and params.min_count is not None:
        counted = params.counted_label or params.label
        before = f" on or before the {params.before_label} assessment" if params.before_label else ""
        # The count is the explanation's first word (components.ttl: "2 intensive chemotherapy blocks recorded ...").
        found = re.match(r"(\d+) ", check.explanation)
        return Step(f"Needs at least {params.min_count} {counted}s{before}"
                    f"{f'; {found.group(1)} recorded' if found else ''}.")
    if params.kind == "AnyOfCheck":
        return _any_of_step(check, screening, everything or {})
    if params.kind == "SexCheck":
        return Step("Needs the patient's administrative gender." if check.status == "unknown" else None)
    if params.kind == "AgeCheck" and check.status == "unknown":
        partial = re.search(r"partial birth date (\S+)\)", check.explanation)
        if partial is None:
            return Step("Needs the patient's birth date.")
        return Step(f"Needs the patient's full birth date (recorded: {partial.group(1)}).")
    return Step(None)  # age at or over the limit: time does not bring it back


def _any_of_step(check: CheckResult, screening: Screening, everything: dict[URIRef, CheckParameters]) -> Step:
    """An any-of (issue 18) changes when one alternative does: each alternative's step,
    joined with "or"; ``None`` when no alternative can change."""
    clauses: list[str] = []
    for alternative in check.alternatives:
        if alternative.status not in ("fail", "unknown") or alternative.iri not in everything:
            continue
        step = check_step(everything[alternative.iri], alternative, screening, everything)
        if step.sentence is not None:
            clauses.append(step.sentence.rstrip("."))
    if not clauses:
        return Step(None)
    return Step("; or ".join([clauses[0], *map(_continued, clauses[1:])]) + ".")


# ---------------------------------------------------------------------------
#  Criteria and patients
# ---------------------------------------------------------------------------

def criterion_steps(criterion: CriterionResult, params: dict[URIRef, CheckParameters],
                    screening: Screening) -> list[tuple[CheckResult, Step]]:
    """The steps of the failing checks, then of the unknown ones (all must change for the criterion to)."""
    steps: list[tuple[CheckResult, Step]] = []
    for status in ("fail", "unknown"):
        for check in criterion.checks:
            if check.status == status and check.iri in params:
                steps.append((check, check_step(params[check.iri], check, screening, params)))
    return steps


def _continued(sentence: str) -> str:
    """A sentence as the continuation of another: 'Needs …' -> 'needs …'; 'ANC …' stays."""
    return sentence[:1].lower() + sentence[1:] if sentence[1:2].islower() else sentence


def next_step_of(steps: list[tuple[CheckResult, Step]]) -> str | None:
    """One sentence (contract.md) with a clause per check that must change; ``None`` when any cannot."""
    if not steps or any(step.sentence is None for _, step in steps):
        return None
    clauses: list[str] = []
    for _, step in steps:
        clause = (step.sentence or "").rstrip(".")
        if clause and clause not in clauses:
            clauses.append(clause)
    return "; ".join([clauses[0], *map(_continued, clauses[1:])]) + "."


def earliest_eligible_date(patient: PatientResult, as_of: dt.date,
                           steps_of: dict[str, list[tuple[CheckResult, Step]]],
                           params: dict[URIRef, CheckParameters]) -> dt.date | None:
    """D when eligible; the latest washout end when only washouts fail; otherwise ``None``.

    A patient with a criterion ``unknown`` gets ``None``: past the washouts it
    would be indeterminate, not eligible.
    """
    if patient.deceased is not None:
        return None  # contract.md: deceased at D; nothing makes the patient eligible
    if patient.verdict == "eligible":
        return as_of
    if any(c.status == "unknown" for c in patient.criteria):
        return None
    dates: list[dt.date] = []
    for criterion in patient.criteria:
        if criterion.status != "fail":
            continue
        if not steps_of.get(criterion.id):
            return None  # a failure no check of the model accounts for
        for check, step in steps_of[criterion.id]:
            if not params[check.iri].is_washout or step.passes_from is None:
                return None
            dates.append(step.passes_from)
    return max(dates) if dates else None


def annotate(screening: Screening, model: Graph | dict[URIRef, CheckParameters]) -> None:
    """Fill ``next_step`` of every failing or unknown criterion and each patient's ``earliest_eligible_date``.

    Args:
        screening: the results of any engine; changed in place.
        model: the ontology graph the screening used, or the checks' parameters
            read from it (:func:`check_parameters`).
    """
    params = model if isinstance(model, dict) else check_parameters(model)
    for patient in screening.patients:
        steps_of: dict[str, list[tuple[CheckResult, Step]]] = {}
        for criterion in patient.criteria:
            if criterion.status not in ("fail", "unknown"):
                criterion.next_step = None
                continue
            steps_of[criterion.id] = steps = criterion_steps(criterion, params, screening)
            criterion.next_step = next_step_of(steps)
        patient.earliest_eligible_date = earliest_eligible_date(patient, screening.as_of, steps_of, params)


__all__ = ["annotate", "check_parameters", "CheckParameters", "format_number", "display_unit", "quantity"]
