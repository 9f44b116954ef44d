"""Guards for JSON that is valid but hostile (issue 12, M1 and T6).

* A number such as ``1e999999999`` is valid JSON; kept as a ``Decimal`` it
  costs nothing until someone writes it out in full (2 GB), and
  ``1e9999999999`` overflows the first arithmetic on it, which dropped the
  Observation silently. No clinical value needs more than
  :data:`MAX_DIGITS` digits or an exponent beyond ±:data:`MAX_EXPONENT`: such a
  number is kept as its text, which the FHIR reader reports as "not a number".
* ``"x\\ud800"`` is valid JSON but not Unicode text (a lone surrogate): it
  cannot be written to a UTF-8 report, so the file is refused where it says so.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

#: The most significant digits a JSON number may have to be read as a number.
MAX_DIGITS = 40
#: The largest decimal exponent (either sign) a JSON number may have.
MAX_EXPONENT = 40

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonHazard(ValueError):
    """Valid JSON that blinakg refuses; ``lineno``/``colno`` are 1-based, within the text parsed."""

    def __init__(self, message: str, lineno: int, colno: int):
        super().__init__(message)
        self.msg = message
        self.lineno = lineno
        self.colno = colno


def bounded_number(text: str) -> Decimal | str:
    """A JSON number as an exact ``Decimal``, or its text when it is out of all bounds."""
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - json only hands over number syntax
        return text
    if not value.is_finite():
        return text
    digits = len(value.as_tuple().digits)
    if digits > MAX_DIGITS or (value != 0 and abs(value.adjusted()) > MAX_EXPONENT):
        return text
    return value


def _escaped(text: str, index: int) -> bool:
    """Whether the backslash at ``index`` starts an escape (is not itself escaped)."""
    count = 0
    while index - 1 - count >= 0 and text[index - 1 - count] == "\\":
        count += 1
    return count % 2 == 0


def find_lone_surrogate(text: str) -> int | None:
    """The index of the first ``\\uD800``–``\\uDFFF`` escape that is not half of a pair, or None."""
    if "\\u" not in text and "\\U" not in text:
        return None
    paired_low: set[int] = set()
    for match in _SURROGATE_ESCAPE.finditer(text):
        start = match.start()
        if start in paired_low or not _escaped(text, start):
            continue
        unit = int(match.group(0)[2:], 16)
        if unit >= 0xDC00:  # a low surrogate not after a high one
            return start
        following = _SURROGATE_ESCAPE.match(text, match.end())
        if following is None or int(following.group(0)[2:], 16) < 0xDC00:
            return start
        paired_low.add(following.start())
    return None


def _line_col(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _refuse_lone_surrogate(text: str) -> None:
    """Raise :class:`JsonHazard`, with line and column, when a string holds a lone surrogate."""
    index = find_lone_surrogate(text)
    if index is not None:
        line, column = _line_col(text, index)
        raise JsonHazard(f"a string holds the lone surrogate {text[index:index + 6]!s}, which is not "
                         "a Unicode character", line, column)


def parse_json(text: str) -> Any:
    """``json.loads`` keeping numbers exact (within bounds) and refusing lone surrogates.

    ``NaN`` / ``Infinity`` (not JSON, but Python would take them) come back as
    strings.

    Raises:
        json.JSONDecodeError: not JSON.
        JsonHazard: a lone surrogate in a string.
        RecursionError: nested deeper than Python's parser goes.
    """
    _refuse_lone_surrogate(text)
    return json.loads(text, parse_float=bounded_number, parse_int=bounded_number, parse_constant=str)


def _index_int(text: str) -> int | str:
    return int(text) if len(text) <= 18 else text


def parse_json_index(text: str) -> Any:
    """A cheaper :func:`parse_json` for a first pass that only looks at ids and
    references: floats as Python reads them (an overflow is ``inf``, no cost),
    long integers as their text (Python refuses more than 4,300 digits), lone
    surrogates refused all the same.

    Raises:
        json.JSONDecodeError: not JSON.
        JsonHazard: a lone surrogate in a string.
        RecursionError: nested deeper than Python's parser goes.
    """
    _refuse_lone_surrogate(text)
    return json.loads(text, parse_int=_index_int, parse_constant=str)
