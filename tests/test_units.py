"""UCUM conversion (blinakg.readers.units): exact at thresholds, and unusable units named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from blinakg.readers.units import Conversion, UnitProblem, convert, convert_exact, format_decimal, scale_to

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


# Issue 18: a conversion whose divisor gives no exact decimal keeps the result in the unit it
# starts from, and the threshold is scaled instead (exact at the boundary).
BILIRUBIN = (Conversion("umol/L", Decimal("17.1"), "mg/dL"),)


@pytest.mark.parametrize("value, unit, kept, scale", [
    ("5", "umol/L", "5", "17.1"),
    ("51.3", "umol/L", "51.3", "17.1"),
    ("0.05", "mmol/L", "50", "17.1"),
    ("3.0", "mg/dL", "3.0", "1"),
    ("30", "mg/L", "3.0", "1"),
])
def test_convert_exact_keeps_the_molar_unit(value: str, unit: str, kept: str, scale: str) -> None:
    got, got_unit, got_scale = convert_exact(Decimal(value), unit, "mg/dL", BILIRUBIN)
    assert (got, got_scale) == (Decimal(kept), Decimal(scale))
    assert got_unit == ("mg/dL" if scale == "1" else "umol/L")


@pytest.mark.parametrize("value, passes", [("5", True), ("10", True), ("20", True), ("50", True),
                                           ("51.29", True), ("51.3", False), ("51.31", False)])
def test_direct_bilirubin_against_three_mg_per_dl_is_exact(value: str, passes: bool) -> None:
    """< 3.0 mg/dL: the threshold in umol/L is 3.0 x 17.1 = 51.3, exactly."""
    kept, unit, _ = convert_exact(Decimal(value), "umol/L", "mg/dL", BILIRUBIN)
    threshold = Decimal("3.0") * scale_to("mg/dL", unit, BILIRUBIN)  # type: ignore[operator]
    assert (kept < threshold) is passes


def test_scale_between_units() -> None:
    assert scale_to("mg/dL", "umol/L", BILIRUBIN) == Decimal("17.1")
    assert scale_to("mg/dL", "mmol/L", BILIRUBIN) == Decimal("0.0171")
    assert scale_to("mg/dL", "mg/L", ()) == Decimal("10")
    assert scale_to("mg/dL", "umol/L", ()) is None
