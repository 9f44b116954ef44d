"""Reading ClinicalTrials.gov study records in the API v2 JSON (issue 9, part 1).

The structure of ``GET /api/v2/studies/{nctId}`` (ClinicalTrials.gov "Study
Data Structure"): ``protocolSection`` with its modules
(``identificationModule``, ``statusModule``, ``sponsorCollaboratorsModule``,
``conditionsModule``, ``designModule``, ``armsInterventionsModule``,
``eligibilityModule``) and ``derivedSection`` (``conditionBrowseModule`` /
``interventionBrowseModule`` ``meshes``: ``{"id", "term"}``; ``miscInfoModule``
``versionHolder``, the date of the data). A search answer (``{"studies":
[...]}``) holds several.

Enumerated values are written the classic way (``PHASE1`` + ``PHASE2`` ->
"Phase 1/Phase 2", ``ACTIVE_NOT_RECRUITING`` -> "Active, not recruiting"), so a
trial reads the same from either format.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ..errors import InputError
from .record import NCT_ID, Intervention, MeshTerm, StudyRecord

FORMAT = "ClinicalTrials.gov API v2 JSON"

_PHASES = {"NA": "N/A", "EARLY_PHASE1": "Early Phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2",
           "PHASE3": "Phase 3", "PHASE4": "Phase 4"}
_STATUS = {"ACTIVE_NOT_RECRUITING": "Active, not recruiting", "ENROLLING_BY_INVITATION": "Enrolling by invitation",
           "NOT_YET_RECRUITING": "Not yet recruiting", "UNKNOWN": "Unknown status",
           "NO_LONGER_AVAILABLE": "No longer available", "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
           "APPROVED_FOR_MARKETING": "Approved for marketing"}
_TYPES = {"DIETARY_SUPPLEMENT": "Dietary Supplement", "COMBINATION_PRODUCT": "Combination Product",
          "DIAGNOSTIC_TEST": "Diagnostic Test", "EXPANDED_ACCESS": "Expanded Access"}


def _words(value: str | None, table: dict[str, str] | None = None) -> str | None:
    """``ACTIVE_NOT_RECRUITING`` -> "Active, not recruiting"; ``DRUG`` -> "Drug"."""
    if not value:
        return None
    if table and value in table:
        return table[value]
    return value.replace("_", " ").capitalize()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


#: A MeSH unique ID: descriptors D, supplementary concepts C, qualifiers Q; 6 digits, or 9 for newer records.
#: It becomes part of an IRI (<http://id.nlm.nih.gov/mesh/D054198>), so nothing else is let through.
MESH_ID = re.compile(r"[CDQ][0-9]{6}(?:[0-9]{3})?")
#: The most digits a count (enrollment) may have; Python refuses to read integers of more than 4,300.
MAX_DIGITS = 12


def _meshes(module: Any, label: str) -> list[MeshTerm]:
    terms = []
    for mesh in _list(_dict(module).get("meshes")):
        term = _str(_dict(mesh).get("term"))
        mesh_id = _str(_dict(mesh).get("id"))
        if mesh_id is not None and not MESH_ID.fullmatch(mesh_id):
            raise InputError(label, f"the MeSH identifier {mesh_id[:40]!r} is not a MeSH unique ID "
                                    "(D, C or Q and 6 or 9 digits)")
        if term:
            terms.append(MeshTerm(term=term, id=mesh_id))
    return terms


def _integer(text: str) -> int:
    """``json``'s reader of integers, bounded: a count has no use for thousands of digits."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _TooLong(text)
    return int(text)


class _TooLong(ValueError):
    """An integer with more digits than any count has."""


def _lone_surrogate(document: Any) -> str | None:
    """The first string holding a lone surrogate (``"\\ud800"`` decodes to one): not Unicode text."""
    todo = [document]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("ascii")[:60]
        elif isinstance(value, dict):
            todo.extend(value.keys())
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return None


def is_study(document: Any) -> bool:
    """Whether a JSON value is one v2 study (it has a ``protocolSection`` object)."""
    return isinstance(document, dict) and isinstance(document.get("protocolSection"), dict)


def study_record(study: dict[str, Any], label: str) -> StudyRecord:
    """One v2 study object as a :class:`StudyRecord`.

    Raises:
        InputError: no NCT ID, or one that is not NCT + 8 digits.
    """
    protocol = _dict(study.get("protocolSection"))
    ident = _dict(protocol.get("identificationModule"))
    nct = _str(ident.get("nctId"))
    if nct is None:
        raise InputError(label, "a study record without an NCT ID (no protocolSection.identificationModule.nctId)")
    if not NCT_ID.match(nct):
        raise InputError(label, f"the NCT ID {nct!r} is not NCT followed by 8 digits")
    status = _dict(protocol.get("statusModule"))
    sponsors = _dict(protocol.get("sponsorCollaboratorsModule"))
    design = _dict(protocol.get("designModule"))
    eligibility = _dict(protocol.get("eligibilityModule"))
    derived = _dict(study.get("derivedSection"))
    enrollment = _dict(design.get("enrollmentInfo"))
    count = enrollment.get("count")
    phases = [_PHASES.get(p, p) for p in _list(design.get("phases")) if isinstance(p, str)]
    phases = [p for p in phases if p != "N/A"] or (["N/A"] if phases else [])
    completion = _dict(status.get("completionDateStruct"))
    version = _str(_dict(derived.get("miscInfoModule")).get("versionHolder"))
    updated = _str(_dict(status.get("lastUpdatePostDateStruct")).get("date"))
    record_date: dt.date | None = None
    for candidate in (version, updated):
        try:
            record_date = dt.date.fromisoformat(candidate) if candidate else None
        except ValueError:
            record_date = None
        if record_date is not None:
            break
    criteria = eligibility.get("eligibilityCriteria")
    conditions_module = _dict(protocol.get("conditionsModule"))
    return StudyRecord(
        nct_id=nct,
        source_format=FORMAT,
        brief_title=_str(ident.get("briefTitle")) or "",
        official_title=_str(ident.get("officialTitle")),
        org_study_id=_str(_dict(ident.get("orgStudyIdInfo")).get("id")),
        secondary_ids=[s for s in (_str(_dict(i).get("id")) for i in _list(ident.get("secondaryIdInfos"))) if s]
        + [a for a in (_str(x) for x in _list(ident.get("nctIdAliases"))) if a],
        phase="/".join(phases) or None,
        overall_status=_words(_str(status.get("overallStatus")), _STATUS),
        study_type=_words(_str(design.get("studyType")), _TYPES),
        lead_sponsor=_str(_dict(sponsors.get("leadSponsor")).get("name")),
        collaborators=[c for c in (_str(_dict(x).get("name")) for x in _list(sponsors.get("collaborators"))) if c],
        start_date=_str(_dict(status.get("startDateStruct")).get("date")),
        primary_completion_date=_str(_dict(status.get("primaryCompletionDateStruct")).get("date")),
        completion_date=_str(completion.get("date")),
        completion_date_type=_words(_str(completion.get("type"))),
        enrollment=count if isinstance(count, int) and not isinstance(count, bool) else None,
        enrollment_type=_words(_str(enrollment.get("type"))),
        conditions=[c for c in (_str(x) for x in _list(conditions_module.get("conditions"))) if c],
        condition_mesh=_meshes(derived.get("conditionBrowseModule"), label),
        interventions=[Intervention(type=_words(_str(_dict(i).get("type")), _TYPES) or "",
                                    name=_str(_dict(i).get("name")) or "")
                       for i in _list(_dict(protocol.get("armsInterventionsModule")).get("interventions"))],
        intervention_mesh=_meshes(derived.get("interventionBrowseModule"), label),
        minimum_age=_str(eligibility.get("minimumAge")),
        maximum_age=_str(eligibility.get("maximumAge")),
        sex=_words(_str(eligibility.get("sex"))),
        criteria_text=criteria if isinstance(criteria, str) and criteria.strip() else None,
        criteria_wrapped=False,
        record_date=record_date,
    )


def parse_json(data: bytes, label: str) -> list[StudyRecord]:
    """Read a v2 study, or a search answer's ``studies``.

    Raises:
        InputError: not UTF-8 JSON, not a study record, or a study without an NCT ID.
    """
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_int=_integer)
    except UnicodeDecodeError:
        raise InputError(label, "the file is not UTF-8 text") from None
    except _TooLong as err:
        raise InputError(label, f"not a study record: an integer of {len(str(err))} digits "
                                f"(a count has at most {MAX_DIGITS})") from None
    except json.JSONDecodeError as err:
        raise InputError(label, f"not valid JSON: {err.msg}", err.lineno, err.colno) from None
    except RecursionError:
        raise InputError(label, "not a study record: JSON nested too deeply") from None
    surrogate = _lone_surrogate(document)
    if surrogate is not None:
        raise InputError(label, f"not Unicode text: a lone surrogate escape in the string {surrogate!r}")
    if is_study(document):
        return [study_record(document, label)]
    if isinstance(document, dict) and isinstance(document.get("studies"), list):
        studies = document["studies"]
        if studies and all(is_study(s) for s in studies):
            return [study_record(s, f"{label} (study {n})") for n, s in enumerate(studies, start=1)]
    raise InputError(label, "not a ClinicalTrials.gov study record: no protocolSection "
                            "(the API v2 JSON of a study, or a search answer with studies)")


__all__ = ["parse_json", "study_record", "is_study", "FORMAT"]
