"""UCUM conversion (blinakg.readers.units): exact at thresholds, and unusable units named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from blinakg.readers.units import Conversion, UnitProblem, convert, format_decimal

CASES = [
    ("800", "/uL", "10*9/L", "0.8"),
    ("1000", "/mm3", "10*9/L", "1"),
    ("1.0", "10*3/uL", "10*9/L", "1"),
    ("50000", "/uL", "10*9/L", "50"),
    ("90", "g/L", "g/dL", "9"),
    ("0.01", "%", "1", "0.0001"),
    ("0.001", "%", "1", "0.00001"),
    ("1.5", "m", "cm", "150"),
    ("55", "[in_i]", "cm", "139.7"),
    ("110", "mL/min/{1.73_m2}", "mL/min", "110"),
    ("1", "ukat/L", "U/L", "60"),
]


@pytest.mark.parametrize("value, unit, target, expected", CASES)
def test_conversion_is_exact(value: str, unit: str, target: str, expected: str) -> None:
    assert convert(Decimal(value), unit, target) == Decimal(expected)


def test_creatinine_umol_per_l_by_the_model_divisor() -> None:
    assert convert(Decimal("88.4"), "umol/L", "mg/dL", (Conversion("umol/L", Decimal("88.4")),)) == Decimal("1")


@pytest.mark.parametrize("unit, message", [
    (None, "the result has no unit"),
    ("", "the result has no unit"),
    ("foo", "unit 'foo' is not valid UCUM"),
    ("g/dL", "unit 'g/dL' cannot be converted to '10*9/L'"),
])
def test_unusable_units_are_named(unit: str | None, message: str) -> None:
    with pytest.raises(UnitProblem, match=message.replace("*", r"\*")):
        convert(Decimal(1), unit, "10*9/L")


def test_decimal_formatting() -> None:
    assert format_decimal(Decimal("0.800")) == "0.8"
    assert format_decimal(Decimal("5E+1")) == "50"
