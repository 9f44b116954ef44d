"""Reading ClinicalTrials.gov study records in the classic XML (issue 9, part 1).

The classic export (``<clinical_study>``, public.xsd) as in
``../shared/registry/ctgov-pediatric-acute-leukemia-2021-05-11.zip``.

The parser is :mod:`defusedxml` with DTDs, entity declarations and external
references all forbidden (contract.md: "No command reaches the network ...
no ... XML entities"): a record never needs them, and a file that declares
them is refused as bad input, never expanded or fetched.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..errors import InputError
from .ctgov_json import MAX_DIGITS
from .record import NCT_ID, Intervention, MeshTerm, StudyRecord

FORMAT = "ClinicalTrials.gov classic XML"


def _text(element: Any, path: str) -> str | None:
    node = element.find(path)
    if node is None or node.text is None:
        return None
    value: str = node.text.strip()
    return value or None


def _all(element: Any, path: str) -> list[str]:
    return [n.text.strip() for n in element.findall(path) if n.text and n.text.strip()]


def _download_date(text: str | None) -> dt.date | None:
    """"ClinicalTrials.gov processed this data on May 11, 2021" -> 2021-05-11."""
    from .record import iso_date

    if not text:
        return None
    match = re.search(r"on\s+([A-Za-z]+\s+\d{1,2},\s*\d{4})", text)
    parsed = iso_date(match.group(1)) if match else None
    return dt.date.fromisoformat(parsed[0]) if parsed and parsed[1] == "date" else None


def parse_xml(data: bytes, label: str) -> StudyRecord:
    """Read one classic XML study record.

    Args:
        data: the file's bytes.
        label: how messages name the file.

    Raises:
        InputError: not well-formed XML, declares a DTD or entities, is not a
            ``<clinical_study>``, or has no NCT ID.
    """
    import defusedxml
    from defusedxml import ElementTree as DET
    from xml.etree.ElementTree import ParseError

    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ParseError as err:
        line, column = getattr(err, "position", (None, None))
        message = str(err).split(":")[0]
        raise InputError(label, f"not well-formed XML ({message})", line,
                         column + 1 if column is not None else None) from None
    except defusedxml.DefusedXmlException as err:
        raise InputError(label, f"refused: the XML declares a DTD, entities or external references "
                                f"({type(err).__name__}); a ClinicalTrials.gov record needs none") from None
    if root.tag != "clinical_study":
        raise InputError(label, f"not a ClinicalTrials.gov study record: the root element is <{root.tag}>, "
                                "not <clinical_study>")
    nct = _text(root, "id_info/nct_id")
    if nct is None:
        raise InputError(label, "a study record without an NCT ID (no <id_info><nct_id>)")
    if not NCT_ID.match(nct):
        raise InputError(label, f"the NCT ID {nct!r} is not NCT followed by 8 digits")
    completion = root.find("completion_date")
    enrollment = root.find("enrollment")
    enrollment_count: int | None = None
    count_text = (enrollment.text or "").strip() if enrollment is not None else ""
    if re.fullmatch(r"[0-9]+", count_text):  # ASCII digits only: str.isdigit() takes "²", int() does not
        if len(count_text) > MAX_DIGITS:
            raise InputError(label, f"<enrollment> has {len(count_text)} digits; a count has at most {MAX_DIGITS}")
        enrollment_count = int(count_text)
    criteria = root.find("eligibility/criteria/textblock")
    secondary = _all(root, "id_info/secondary_id") + _all(root, "id_info/nct_alias")
    return StudyRecord(
        nct_id=nct,
        source_format=FORMAT,
        brief_title=_text(root, "brief_title") or "",
        official_title=_text(root, "official_title"),
        org_study_id=_text(root, "id_info/org_study_id"),
        secondary_ids=secondary,
        phase=_text(root, "phase"),
        overall_status=_text(root, "overall_status"),
        study_type=_text(root, "study_type"),
        lead_sponsor=_text(root, "sponsors/lead_sponsor/agency"),
        collaborators=_all(root, "sponsors/collaborator/agency"),
        start_date=_text(root, "start_date"),
        primary_completion_date=_text(root, "primary_completion_date"),
        completion_date=_text(root, "completion_date"),
        completion_date_type=completion.get("type") if completion is not None else None,
        enrollment=enrollment_count,
        enrollment_type=enrollment.get("type") if enrollment is not None else None,
        conditions=_all(root, "condition"),
        condition_mesh=[MeshTerm(t) for t in _all(root, "condition_browse/mesh_term")],
        interventions=[Intervention(type=_text(i, "intervention_type") or "", name=_text(i, "intervention_name") or "")
                       for i in root.findall("intervention")],
        intervention_mesh=[MeshTerm(t) for t in _all(root, "intervention_browse/mesh_term")],
        minimum_age=_text(root, "eligibility/minimum_age"),
        maximum_age=_text(root, "eligibility/maximum_age"),
        sex=_text(root, "eligibility/gender"),
        criteria_text=criteria.text if criteria is not None and criteria.text else None,
        criteria_wrapped=True,
        record_date=_download_date(_text(root, "required_header/download_date")),
    )


def looks_like_xml(data: bytes) -> bool:
    """Whether the bytes start like an XML document (after a BOM and whitespace)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


__all__ = ["parse_xml", "looks_like_xml", "FORMAT"]
