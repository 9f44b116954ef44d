"""Medication records: the codes of the medication a MedicationAdministration or
MedicationStatement names, inline or through a Medication resource."""

from __future__ import annotations

from rdflib import URIRef

from .bundle import _Base, _Found
from .values import _obj, _text


class _MedicationLift(_Base):
    """The medication of a Medication* record."""

    def medication_codes(self, found: _Found) -> list[URIRef]:
        """``medicationCodeableConcept``, or the ``code`` of the Medication that
        ``medicationReference`` names (contained or in the file)."""
        res = found.resource
        iris: list[URIRef] = []
        if "medicationCodeableConcept" in res:
            iris += self.concept_iris(found, res["medicationCodeableConcept"], "medicationCodeableConcept")
        reference_object = _obj(res.get("medicationReference"))
        if reference_object is not None:
            reference = _text(reference_object.get("reference"))
            medication, kind, _ = self.resolve(reference, found) if reference else (None, None, None)
            if medication is not None and kind == "Medication":
                iris += self.concept_iris(found, medication.resource.get("code"), f"the code of Medication {reference}")
            else:
                self.warn(
                    found.line,
                    f"{self.name(found)} refers to the medication '{reference or ''}', which is not a Medication in this file; "
                    "it is kept without the medication's codes.",
                )
        return iris
