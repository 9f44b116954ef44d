"""Medication records: the codes of the medication a MedicationAdministration,
MedicationStatement or MedicationRequest names, inline or through a Medication
resource; the date an order counts by."""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, URIRef

from ...namespaces import BK
from .bundle import _Found, _Triples
from .dates import _DateLift, _date_literal
from .values import _get, _obj, _objs, _text


class _MedicationLift(_DateLift):
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

    def lift_order_dates(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> bool:
        """A MedicationRequest's dates from its dosage timing; False when it gives none
        (the order is then dated by ``authoredOn``).

        The first ``dosageInstruction`` whose ``timing`` gives a usable date
        decides: ``timing.repeat.boundsPeriod`` is the period the medication is
        to be given in (``bk:periodStart`` / ``bk:periodEnd``); else
        ``timing.event``, the times it is to be given: one event is the order's
        date, several span a period from the first to the last. An order is
        dated by when the medication was to be given, not by when it was
        written, whenever it says so.
        """
        for index, instruction in enumerate(_objs(found.resource.get("dosageInstruction"))):
            timing = _obj(instruction.get("timing"))
            if timing is None:
                continue
            at = f"dosageInstruction[{index}].timing"
            bounds = _get(timing.get("repeat"), "boundsPeriod")
            if bounds is not None and self.lift_period(found, bounds, f"{at}.repeat.boundsPeriod", node,
                                                       BK.periodStart, BK.periodEnd, graph):
                return True
            if self.lift_events(found, timing.get("event"), f"{at}.event", node, graph):
                return True
        return False

    def lift_events(self, found: _Found, events: Any, at: str, node: URIRef | BNode, graph: _Triples) -> bool:
        """``timing.event``: one date, or a period from the first event to the last."""
        days: list[tuple[str, Literal]] = []
        for index, event in enumerate(events if isinstance(events, list) else []):
            value = _date_literal(event)
            if value is None:
                self.bad_date(found, f"{at}[{index}]", event)
                continue
            days.append((str(value)[:10], value))  # ordered by their date part
        if not days:
            return False
        days.sort(key=lambda day: day[0])
        if len(days) == 1 or days[0][0] == days[-1][0]:
            graph.add((node, BK.effective, days[-1][1]))
        else:
            graph.add((node, BK.periodStart, days[0][1]))
            graph.add((node, BK.periodEnd, days[-1][1]))
        return True
