"""Which resource types are lifted, which element names their patient, and
whether a resource can matter to some check."""

from __future__ import annotations

from typing import Any

from rdflib import URIRef

from ...namespaces import BK
from ..relevance import Relevance
from .codes import code_iri
from .values import JsonObject, _get, _objs, _text


# Resource type -> (record class, the element that names the patient).
LIFTED_RECORD_TYPES: dict[str, tuple[URIRef, str]] = {
    "Observation": (BK.Observation, "subject"),
    "Condition": (BK.Condition, "subject"),
    "Procedure": (BK.Procedure, "subject"),
    "MedicationAdministration": (BK.MedicationUse, "subject"),
    "MedicationStatement": (BK.MedicationUse, "subject"),
    "MedicationRequest": (BK.MedicationOrder, "subject"),  # also a bk:MedicationUse
    "AllergyIntolerance": (BK.AllergyIntolerance, "patient"),
    "Consent": (BK.Consent, "patient"),
}
"""The record types ``fhir-input.md`` uses. Patient is lifted too; Medication is
read where a record refers to it; every other type is ignored without a warning."""

MEDICATION_RECORD_TYPES = ("MedicationAdministration", "MedicationStatement", "MedicationRequest")

STATUS_REQUIRED = ("Observation", "MedicationRequest")
"""Records that count only under the statuses the model lists (``bk:evidenceStatuses``):
FHIR requires their ``status`` (1..1), and one without it is not evidence."""
"""The records whose codes are a medication's (``medication[x]``)."""



def can_matter(resource: JsonObject, codes: dict[str, str], relevance: Relevance) -> bool:
    """Whether a check can use this resource: Patients and Consents always; a record
    when one of its codes can fall in a value set, or when its codes cannot be told
    without resolving a reference (``medicationReference``)."""
    kind = str(resource.get("resourceType", "")).strip()
    if kind in ("Patient", "Consent"):
        return True
    if kind not in LIFTED_RECORD_TYPES:
        return False
    concepts: list[Any] = []
    if kind in MEDICATION_RECORD_TYPES:
        if "medicationReference" in resource:
            return True
        concepts.append(resource.get("medicationCodeableConcept"))
    else:
        concepts.append(resource.get("code"))
        if kind == "AllergyIntolerance":
            concepts.extend(_get(reaction, "substance") for reaction in _objs(resource.get("reaction")))
    for concept in concepts:
        for coding in _objs(_get(concept, "coding")):
            system, code = _text(coding.get("system")), _text(coding.get("code"))
            if system is not None and code is not None and relevance.matters(str(code_iri(codes, system, code))):
                return True
    return False



def subject_element(kind: str) -> str | None:
    """The element that names a record's patient (``subject``, or ``patient``)."""
    entry = LIFTED_RECORD_TYPES.get(kind)
    return entry[1] if entry else None
