"""A ClinicalTrials.gov study record, whatever format it came in (issue 9, part 1).

Both readers (:mod:`.ctgov_xml`, :mod:`.ctgov_json`) fill a :class:`StudyRecord`
with the classic registry's wording ("Phase 1/Phase 2", "Active, not
recruiting", "1 Year"), so a trial reads the same from either format and
:mod:`.trial_rdf` has one thing to turn into RDF.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

NCT_ID = re.compile(r"^NCT\d{8}$")

_MONTHS = {name: index for index, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}


@dataclass
class Intervention:
    """A registered intervention: its type (Drug, Biological, ...) and name."""

    type: str
    name: str


@dataclass
class MeshTerm:
    """A MeSH term the registry assigned, with its ID when the format gives it."""

    term: str
    id: str | None = None


@dataclass
class StudyRecord:
    """The registration facts blinakg keeps of one study record."""

    nct_id: str
    source_format: str
    brief_title: str = ""
    official_title: str | None = None
    org_study_id: str | None = None
    secondary_ids: list[str] = field(default_factory=list)
    phase: str | None = None
    overall_status: str | None = None
    study_type: str | None = None
    lead_sponsor: str | None = None
    collaborators: list[str] = field(default_factory=list)
    start_date: str | None = None
    primary_completion_date: str | None = None
    completion_date: str | None = None
    completion_date_type: str | None = None
    enrollment: int | None = None
    enrollment_type: str | None = None
    conditions: list[str] = field(default_factory=list)
    condition_mesh: list[MeshTerm] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    intervention_mesh: list[MeshTerm] = field(default_factory=list)
    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: str | None = None
    criteria_text: str | None = None
    criteria_wrapped: bool = True
    record_date: dt.date | None = None


def iso_date(text: str | None) -> tuple[str, str] | None:
    """A registry date as (lexical form, XSD type): ``date`` or ``gYearMonth`` (``gYear``).

    Accepts the classic forms "December 8, 2014", "January 2004" and the v2
    forms "2014-12-08", "2014-12"; ``None`` for anything else.
    """
    if not text:
        return None
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return None
        return value, "date"
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return value, "gYearMonth"
    if re.fullmatch(r"\d{4}", value):
        return value, "gYear"
    match = re.fullmatch(r"([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})", value)
    if match and match.group(1).lower() in _MONTHS:
        try:
            day = dt.date(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
        except ValueError:
            return None
        return day.isoformat(), "date"
    match = re.fullmatch(r"([A-Za-z]+)\s+(\d{4})", value)
    if match and match.group(1).lower() in _MONTHS:
        return f"{match.group(2)}-{_MONTHS[match.group(1).lower()]:02d}", "gYearMonth"
    return None


#: Age units of the registry, and how a bound in them is kept on an age check.
_AGE_UNITS = {"year": ("Years", 1), "month": ("Months", 1), "week": ("Days", 7), "day": ("Days", 1)}


def age_bound(text: str | None) -> tuple[str, int] | None:
    """A registered age ("1 Year", "6 Months", "N/A") as (unit, amount): unit Years, Months or Days.

    ``None`` when there is no limit ("N/A", empty) or the text is not an age.
    """
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d+)\s+([A-Za-z]+?)s?\s*", text)
    if not match:
        return None
    unit = _AGE_UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    return unit[0], int(match.group(1)) * unit[1]


def registered_age(text: str | None) -> str | None:
    """The age as registered, or ``None`` for no limit ("N/A")."""
    if text is None:
        return None
    value = text.strip()
    if not value or value.upper() == "N/A":
        return None
    return value


__all__ = ["NCT_ID", "StudyRecord", "Intervention", "MeshTerm", "iso_date", "age_bound", "registered_age"]
