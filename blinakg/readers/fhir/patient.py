"""The Patient resource: identity, birth date, gender."""

from __future__ import annotations

import json

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from ...namespaces import BK
from .bundle import _Base, _Found, _Triples
from .dates import _date_literal

_GENDERS = ("male", "female", "other", "unknown")


class _PatientLift(_Base):
    """A Patient."""

    def lift_patient(self, found: _Found, graph: _Triples) -> None:
        """``fhir-input.md``: "birth date, sex | Patient | `birthDate`, `gender`"; and a death."""
        res, name = found.resource, self.name(found)
        node = self.iri(found)
        if isinstance(node, BNode):
            self.warn(found.line, f"{name} has neither an id nor a fullUrl; no record can refer to it.")
        graph.add((node, RDF.type, BK.Patient))
        if found.id:
            graph.add((node, BK.fhirId, Literal(found.id)))
        self.provenance(found, node, graph)
        if "birthDate" in res:
            birth = _date_literal(res["birthDate"], allow_time=False)
            if birth is None:
                self.warn(found.line, f"{name} has a birthDate {json.dumps(res['birthDate'], default=str)} that is not a FHIR date; it is kept without a birth date.")
            else:
                graph.add((node, BK.birthDate, birth))
        if "gender" in res:
            gender = res["gender"]
            if gender in _GENDERS:
                graph.add((node, BK.gender, Literal(gender)))
            else:
                self.warn(
                    found.line,
                    f"{name} has a gender {json.dumps(gender, default=str)} that is not male, female, other or unknown; "
                    "it is kept without a gender.",
                )
        self.lift_death(found, node, graph)

    def lift_death(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``fhir-input.md``: "death | Patient | `deceasedDateTime`, `deceasedBoolean`".

        Lifted as stated (``bk:deceasedDate``, ``bk:deceased``); whether the
        patient is deceased at D is derived (``engine/derive.py``).
        """
        res, name = found.resource, self.name(found)
        if "deceasedDateTime" in res:
            died = _date_literal(res["deceasedDateTime"])
            if died is None:
                self.warn(found.line, f"{name} has a deceasedDateTime {json.dumps(res['deceasedDateTime'], default=str)} "
                                      "that is not a FHIR dateTime; it is kept without a date of death.")
            else:
                graph.add((node, BK.deceasedDate, died))
        if "deceasedBoolean" in res:
            if isinstance(res["deceasedBoolean"], bool):
                graph.add((node, BK.deceased, Literal(res["deceasedBoolean"])))
            else:
                self.warn(found.line, f"{name} has a deceasedBoolean that is not true or false; it is kept as not stated.")
