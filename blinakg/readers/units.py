"""Unit conversion by UCUM, through ucumvert (UCUM parser) and pint.

criteria.md: "quantities — compared after conversion to the criterion's unit by
UCUM. A result whose unit is missing, not valid UCUM, or not convertible cannot
be used: the check is *unknown* and the explanation names the unit."

pint works in binary floats; UCUM factors are exact decimals (powers of ten,
2.54, 60 for U/ukat), so the factor is rounded to 12 significant digits and the
value itself is multiplied as a ``Decimal``: 90 g/L is exactly 9 g/dL, 0.01 % is
exactly 0.0001.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any


class UnitProblem(Exception):
    """A unit that cannot be used; the message names it."""


@lru_cache(maxsize=1)
def _registry() -> Any:
    from ucumvert import PintUcumRegistry  # slow to build (~0.3 s): only when needed

    return PintUcumRegistry()


#: Bounds on a UCUM code before pint sees it (issue 12, H1: ``10*99999999/L``
#: made pint compute 10**99999999 for minutes). Clinical units need exponents
#: of a dozen at most (10*12/L) and factors of a few digits (/100{WBCs}).
MAX_UNIT_LENGTH = 128
MAX_UNIT_EXPONENT = 30
MAX_FACTOR_DIGITS = 12
_ANNOTATION = re.compile(r"\{[^{}]*\}")
_DIGITS = re.compile(r"\d+")


def check_bounds(code: str) -> None:
    """Refuse a unit whose exponents or factors are beyond any clinical use.

    Raises:
        UnitProblem: the code is too long, or has an exponent above
            :data:`MAX_UNIT_EXPONENT` or a factor of more than :data:`MAX_FACTOR_DIGITS` digits.
    """
    if len(code) > MAX_UNIT_LENGTH:
        raise UnitProblem(f"unit '{code[:40]}…' is longer than {MAX_UNIT_LENGTH} characters; it is not used")
    bare = _ANNOTATION.sub("", code)
    for match in _DIGITS.finditer(bare):
        before = bare[: match.start()].rstrip("+-")
        exponent = bool(before) and (before[-1] in "*^" or before[-1].isalpha() or before[-1] in "]'")
        if exponent and int(match.group(0)) > MAX_UNIT_EXPONENT:
            raise UnitProblem(f"unit '{code}' has the exponent {match.group(0)}, beyond any clinical unit "
                              f"(at most {MAX_UNIT_EXPONENT}); it is not used")
        if not exponent and len(match.group(0)) > MAX_FACTOR_DIGITS:
            raise UnitProblem(f"unit '{code}' has a factor of {len(match.group(0))} digits; it is not used")


@lru_cache(maxsize=512)
def _parse(code: str) -> Any:
    check_bounds(code)
    try:
        return _registry().from_ucum(code)
    except Exception:
        raise UnitProblem(f"unit '{code}' is not valid UCUM") from None


@lru_cache(maxsize=1024)
def conversion_factor(source: str, target: str) -> Decimal:
    """Return the exact decimal factor that converts ``source`` units into ``target``.

    Raises:
        UnitProblem: either unit is not valid UCUM, or they are not commensurable.
    """
    if source == target:
        return Decimal(1)
    src, dst = _parse(source), _parse(target)
    try:
        factor = float((1 * src).to(dst).magnitude)
    except Exception:
        raise UnitProblem(f"unit '{source}' cannot be converted to '{target}'") from None
    return Decimal(format(factor, ".12g"))


def is_commensurable(source: str, target: str) -> bool:
    """True when UCUM can convert ``source`` into ``target``."""
    try:
        conversion_factor(source, target)
    except UnitProblem:
        return False
    return True


@dataclass(frozen=True)
class Conversion:
    """A conversion UCUM cannot make, as the ontology states it (``bk:UnitConversion``):
    convert to ``from_unit`` by UCUM, then divide by ``divisor``."""

    from_unit: str
    divisor: Decimal
    to_unit: str | None = None  # into this unit (bk:toUnit); None: the value set's canonical unit


def convert(value: Decimal, unit: str | None, target: str, extra: tuple[Conversion, ...] = ()) -> Decimal:
    """Convert ``value`` in ``unit`` into ``target``.

    Args:
        value: the magnitude.
        unit: its UCUM code (None or empty when the record has none).
        target: the UCUM code to compare in.
        extra: model-given conversions tried when UCUM alone cannot convert.

    Raises:
        UnitProblem: no unit, an invalid unit, or no way to convert.
    """
    if unit is None or not unit.strip():
        raise UnitProblem("the result has no unit")
    try:
        return value * conversion_factor(unit, target)
    except UnitProblem as problem:
        _parse(unit)  # an invalid unit is named as invalid, not as inconvertible
        for conversion in extra:
            if is_commensurable(unit, conversion.from_unit):
                return value * conversion_factor(unit, conversion.from_unit) / conversion.divisor
        raise problem


def convert_exact(value: Decimal, unit: str | None, target: str,
                  extra: tuple[Conversion, ...] = ()) -> tuple[Decimal, str, Decimal]:
    """``value`` in ``unit`` as an exact decimal: in ``target`` when UCUM converts,
    else in the ``from_unit`` of a model conversion, with that conversion's divisor.

    Returns:
        (the value, the unit it is now in, how many of that unit make one ``target``):
        ``(5, "umol/L", 17.1)`` for a direct bilirubin of 5 umol/L against mg/dL.
        Dividing by 17.1 would give a decimal that does not end (issue 18): a
        threshold is multiplied by the scale instead, which is exact.

    Raises:
        UnitProblem: no unit, an invalid unit, or no way to convert.
    """
    if unit is None or not unit.strip():
        raise UnitProblem("the result has no unit")
    try:
        return value * conversion_factor(unit, target), target, Decimal(1)
    except UnitProblem as problem:
        _parse(unit)  # an invalid unit is named as invalid, not as inconvertible
        for conversion in extra:
            if conversion.to_unit in (None, target) and is_commensurable(unit, conversion.from_unit):
                return value * conversion_factor(unit, conversion.from_unit), conversion.from_unit, conversion.divisor
        raise problem


def scale_to(limit_unit: str, kept_unit: str, extra: tuple[Conversion, ...] = ()) -> Decimal | None:
    """How many ``kept_unit`` make one ``limit_unit`` (a threshold in ``limit_unit``
    times this is the same threshold in ``kept_unit``), exactly; None when neither
    UCUM nor a model conversion relates them."""
    if limit_unit == kept_unit:
        return Decimal(1)
    try:
        return conversion_factor(limit_unit, kept_unit)
    except UnitProblem:
        pass
    for conversion in extra:
        if conversion.to_unit == limit_unit and is_commensurable(conversion.from_unit, kept_unit):
            return conversion.divisor * conversion_factor(conversion.from_unit, kept_unit)
    return None


def format_decimal(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 0.800 -> '0.8', 5E+1 -> '50'."""
    text = format(value.normalize(), "f")
    return text
