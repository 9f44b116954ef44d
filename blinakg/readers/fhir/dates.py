"""FHIR dates, dateTimes, instants and Periods as RDF literals, and the date
elements of each record type."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from ...namespaces import BK
from .bundle import _Base, _Found, _Triples
from .values import _article, _obj

# Which date elements give bk:effective (or bk:periodStart / bk:periodEnd), first found wins.
_DATE_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Observation": ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"),
    "Condition": ("onsetDateTime", "onsetPeriod", "recordedDate"),
    "Procedure": ("performedDateTime", "performedPeriod"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod"),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod", "dateAsserted"),
    "MedicationRequest": ("authoredOn",),  # when no dosage timing dates it (medications.py)
    "AllergyIntolerance": ("onsetDateTime", "onsetPeriod", "recordedDate"),
    "Consent": ("dateTime",),
}

_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def _date_literal(value: Any, allow_time: bool = True) -> Literal | None:
    """A FHIR date / dateTime / instant as an RDF literal, or None when it is not one.

    ``YYYY-MM-DD`` -> xsd:date; ``YYYY-MM`` -> xsd:gYearMonth; ``YYYY`` -> xsd:gYear;
    a full dateTime -> xsd:dateTime as written (seconds ``:00`` are added when
    only hours and minutes are given, since xsd:dateTime requires them).
    """
    if not isinstance(value, str):
        return None
    match = _DATE_RE.fullmatch(value)
    if match:
        year, month, day = match.groups()
        if year == "0000":
            return None
        if month is None:
            return Literal(value, datatype=XSD.gYear, normalize=False)
        if not 1 <= int(month) <= 12:
            return None
        if day is None:
            return Literal(value, datatype=XSD.gYearMonth, normalize=False)
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return None
        return Literal(value, datatype=XSD.date, normalize=False)
    if not allow_time:
        return None
    match = _DATETIME_RE.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if year == "0000":
        return None
    if zone and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 14 or zone_minutes > 59 or (zone_hours == 14 and zone_minutes):
            return None
    lexical = value if second is not None else f"{year}-{month}-{day}T{hour}:{minute}:00{zone or ''}"
    return Literal(lexical, datatype=XSD.dateTime, normalize=False)



class _DateLift(_Base):
    """Dates of records: effective dates, periods, abatement."""

    def lift_dates(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:effective`` (or ``bk:periodStart`` / ``bk:periodEnd``): the first usable
        date element of the record type, in the order of ``_DATE_ELEMENTS``."""
        res = found.resource
        for element in _DATE_ELEMENTS[found.type]:
            if element not in res:
                continue
            if element.endswith("Period"):
                if self.lift_period(found, res[element], element, node, BK.periodStart, BK.periodEnd, graph):
                    return
                continue
            value = _date_literal(res[element])
            if value is None:
                self.bad_date(found, element, res[element])
                continue
            graph.add((node, BK.effective, value))
            return

    def lift_period(
        self, found: _Found, period: Any, element: str, node: URIRef | BNode, start_prop: URIRef, end_prop: URIRef, graph: _Triples
    ) -> bool:
        """A Period's start and end; True when at least one of them is usable."""
        period_object = _obj(period)
        if period_object is None:
            self.warn(found.line, f"{self.name(found)} has {_article(element)} {element} that is not a Period; it is kept without that date.")
            return False
        lifted = False
        for part, prop in (("start", start_prop), ("end", end_prop)):
            if part not in period_object:
                continue
            value = _date_literal(period_object[part])
            if value is None:
                self.bad_date(found, f"{element}.{part}", period_object[part])
                continue
            graph.add((node, prop, value))
            lifted = True
        return lifted

    def bad_date(self, found: _Found, element: str, value: Any) -> None:
        self.warn(
            found.line,
            f"{self.name(found)} has {_article(element)} {element} {json.dumps(value, default=str)} that is not a FHIR date or dateTime; "
            "it is kept without that date.",
        )

    def lift_abatement(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:abatement``: abatementDateTime, else abatementPeriod.end (else its start:
        the abatement had begun by then)."""
        res = found.resource
        if "abatementDateTime" in res:
            value = _date_literal(res["abatementDateTime"])
            if value is not None:
                graph.add((node, BK.abatement, value))
                return
            self.bad_date(found, "abatementDateTime", res["abatementDateTime"])
        period = _obj(res.get("abatementPeriod"))
        if period is not None:
            for part in ("end", "start"):
                if part in period:
                    value = _date_literal(period[part])
                    if value is not None:
                        graph.add((node, BK.abatement, value))
                        return
                    self.bad_date(found, f"abatementPeriod.{part}", period[part])
