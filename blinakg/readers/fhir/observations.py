"""Observation values: value[x], reference ranges, interpretation, components."""

from __future__ import annotations

import json
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from ...namespaces import BK
from .bundle import _Base, _Found, _Triples
from .values import JsonObject, _get, _number, _obj, _objs, _text, _unit

_VALUE_TYPES_READ = ("valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger")
_COMPARATORS = ("<", "<=", ">=", ">")


class _ObservationLift(_Base):
    """The values of an Observation."""

    def lift_observation(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """value[x], referenceRange, interpretation and components of an Observation."""
        res = found.resource
        has_value = self.lift_value(found, res, "", node, graph)
        if not has_value:
            # fhir-input.md: qualitative values may be "HL7 v3 ObservationInterpretation `POS` / `NEG`".
            for index, interpretation in enumerate(_objs(res.get("interpretation"))):
                for iri in self.concept_iris(found, interpretation, f"interpretation[{index}]"):
                    graph.add((node, BK.valueCode, iri))
        self.lift_reference_high(found, res, "", node, graph)
        for index, component in enumerate(_objs(res.get("component"))):
            part = BNode()
            graph.add((node, BK.component, part))
            graph.add((part, RDF.type, BK.Component))
            graph.add((part, BK.sourceRecord, Literal(self.source_record(found))))
            for iri in self.concept_iris(found, component.get("code"), f"component[{index}].code"):
                graph.add((part, BK.code, iri))
            self.lift_value(found, component, f"component[{index}].", part, graph)
            self.lift_reference_high(found, component, f"component[{index}].", part, graph)

    def lift_value(self, found: _Found, holder: JsonObject, at: str, node: URIRef | BNode, graph: _Triples) -> bool:
        """value[x] of an Observation or component; True when it has a value[x] element.

        ``fhir-input.md``: "Qualitative values: `valueCodeableConcept` ... ;
        `valueString` saying positive / reactive / detected or negative /
        non-reactive / not detected (any case); `valueBoolean`."
        """
        name = self.name(found)
        keys = [key for key in holder if key.startswith("value") and key[5:6].isupper()]
        if not keys:
            return False
        key = next((k for k in _VALUE_TYPES_READ if k in holder), keys[0])
        value = holder[key]
        if key == "valueQuantity":
            self.lift_quantity(found, value, f"{at}valueQuantity", node, graph)
        elif key == "valueCodeableConcept":
            iris = self.concept_iris(found, value, f"{at}valueCodeableConcept")
            for iri in iris:
                graph.add((node, BK.valueCode, iri))
            text = _text(_get(value, "text"))
            if not iris and text is not None:
                graph.add((node, BK.valueString, Literal(text)))
        elif key == "valueString":
            if isinstance(value, str):
                graph.add((node, BK.valueString, Literal(value)))
            else:
                self.warn(found.line, f"{name} has a {at}valueString that is not a string; it is kept without a value.")
        elif key == "valueBoolean":
            if isinstance(value, bool):
                graph.add((node, BK.valueBoolean, Literal(value)))
            else:
                self.warn(found.line, f"{name} has a {at}valueBoolean that is not true or false; it is kept without a value.")
        elif key == "valueInteger":
            number = _number(value)
            if number is not None:
                graph.add((node, BK.value, number))
            else:
                self.warn(found.line, f"{name} has a {at}valueInteger that is not a number; it is kept without a value.")
        else:
            self.warn(found.line, f"{name} has a {at}{key}, which blinakg does not read; it is kept without a value.")
        return True

    def lift_quantity(self, found: _Found, quantity: Any, at: str, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:value`` (exact decimal), ``bk:unit`` (UCUM code), ``bk:comparator``."""
        name = self.name(found)
        quantity_object = _obj(quantity)
        if quantity_object is None:
            self.warn(found.line, f"{name} has a {at} that is not a Quantity; it is kept without a value.")
            return
        unit = _unit(quantity_object)
        if unit is not None:
            graph.add((node, BK.unit, Literal(unit)))
        comparator = quantity_object.get("comparator")
        if comparator is not None and comparator not in _COMPARATORS:
            self.warn(
                found.line,
                f"{name} has a {at}.comparator {json.dumps(comparator, default=str)} that is not <, <=, >= or >; "
                "it is kept without a value.",
            )
            return
        if "value" not in quantity_object:
            self.warn(found.line, f"{name} has a {at} without a value; it is kept without a value.")
            return
        number = _number(quantity_object["value"])
        if number is None:
            self.warn(found.line, f"{name} has a {at}.value that is not a number; it is kept without a value.")
            return
        graph.add((node, BK.value, number))
        if comparator is not None:
            graph.add((node, BK.comparator, Literal(comparator)))

    def lift_reference_high(self, found: _Found, holder: JsonObject, at: str, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:referenceHigh`` / ``bk:referenceHighUnit`` from the first referenceRange with a high."""
        for index, reference_range in enumerate(_objs(holder.get("referenceRange"))):
            high = _obj(reference_range.get("high"))
            if high is None:
                continue
            number = _number(high.get("value"))
            if number is None:
                self.warn(
                    found.line,
                    f"{self.name(found)} has a {at}referenceRange[{index}].high.value that is not a number; "
                    "it is kept without an upper limit of normal.",
                )
                return
            graph.add((node, BK.referenceHigh, number))
            unit = _unit(high)
            if unit is not None:
                graph.add((node, BK.referenceHighUnit, Literal(unit)))
            return
