"""Small helpers over parsed FHIR JSON, which may hold anything: objects, texts,
exact numbers and UCUM units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rdflib import Literal
from rdflib.namespace import XSD

UCUM_SYSTEM = "http://unitsofmeasure.org"

JsonObject = dict[str, Any]

_MAX_NUMBER_TEXT = 100


def _obj(value: Any) -> JsonObject | None:
    return value if isinstance(value, dict) else None


def _get(value: Any, key: str) -> Any:
    """``value[key]`` when value is a JSON object, else None."""
    return value.get(key) if isinstance(value, dict) else None


def _objs(value: Any) -> list[JsonObject]:
    """A list of objects (a single object counts as a list of one)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _number(value: Any) -> Literal | None:
    """An xsd:decimal from a JSON number, its lexical form the number as written.

    Exponent forms (``1e-5``) are written out (``0.00001``): xsd:decimal has none.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        return None
    lexical = format(value, "f")
    if len(lexical) > _MAX_NUMBER_TEXT:
        return None
    return Literal(lexical, datatype=XSD.decimal, normalize=False)



def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"



def _unit(quantity: JsonObject) -> str | None:
    """``fhir-input.md`` quantities carry UCUM: Quantity.code when the system is
    UCUM (or not given), else Quantity.unit; None when neither is there."""
    system = quantity.get("system")
    code = _text(quantity.get("code"))
    if code is not None and (system is None or system == UCUM_SYSTEM):
        return code
    return _text(quantity.get("unit"))

