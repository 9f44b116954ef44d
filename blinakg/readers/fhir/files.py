"""Reading a FHIR file: its top-level resources (one for .json, one a line for
.ndjson), or an InputError naming the file, line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ...errors import InputError, NotFhirError
from .values import JsonObject


def _parse_json(text: str) -> Any:
    """Parse JSON keeping every number's exact text as a Decimal (0.1 stays 0.1).

    ``NaN`` / ``Infinity`` (not JSON, but Python would take them) come back as
    strings, so that a Quantity holding one is "not a number".
    """
    from ..safety import parse_json  # numbers within bounds, no lone surrogates (issue 12: M1, T6)

    return parse_json(text)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object without a resourceType"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool) or value is None:
        return f"the JSON literal {json.dumps(value)}"
    return "a JSON number"


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str) and bool(value["resourceType"].strip())


def _load_resources(path: Path, warn: Callable[[int | None, str], None]) -> list[tuple[int | None, JsonObject]]:
    """Read the file: its top-level resources, each with its NDJSON line (None for .json).

    Raises:
        InputError: unreadable, not UTF-8, not JSON, or not FHIR.
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".ndjson"):
        raise InputError(path, f"not a FHIR JSON file: expected the extension .json or .ndjson, not {path.suffix!r}")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        before = raw[: err.start].decode("utf-8", "replace")
        line, column = _line_col(before, len(before))
        raise InputError(path, "the file is not UTF-8 text", line, column) from None
    if suffix == ".ndjson":
        return _load_ndjson(path, text, warn)
    if not text.strip():
        raise InputError(path, "the file is empty; a FHIR JSON file holds one resource or a Bundle")
    try:
        value = _parse_json(text)
    except json.JSONDecodeError as err:
        hint = " (one resource a line is NDJSON: name the file .ndjson)" if err.msg == "Extra data" else ""
        raise InputError(path, f"not valid JSON: {err.msg}{hint}", err.lineno, err.colno) from None
    except (ValueError, RecursionError) as err:
        raise InputError(path, f"not valid JSON: {err or type(err).__name__}",
                         getattr(err, "lineno", None), getattr(err, "colno", None)) from None
    if not _is_resource(value):
        start = len(text) - len(text.lstrip())
        line, column = _line_col(text, start)
        raise NotFhirError(
            path,
            f"not FHIR: the file holds {_json_kind(value)}, not a FHIR resource or Bundle "
            "(every FHIR resource has a resourceType)",
            line,
            column,
        )
    return [(None, value)]


def _load_ndjson(path: Path, text: str, warn: Callable[[int | None, str], None]) -> list[tuple[int | None, JsonObject]]:
    resources: list[tuple[int | None, JsonObject]] = []
    first_bad: tuple[int, str] | None = None
    # Split on newlines only: str.splitlines() would also split inside JSON strings (U+2028, \x1c, …).
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            value = _parse_json(line)
        except json.JSONDecodeError as err:
            raise InputError(path, f"not valid JSON: {err.msg}", number, err.colno) from None
        except (ValueError, RecursionError) as err:
            raise InputError(path, f"not valid JSON: {err or type(err).__name__}", number,
                             getattr(err, "colno", None)) from None
        if _is_resource(value):
            resources.append((number, value))
            continue
        kind = _json_kind(value)
        if first_bad is None:
            first_bad = (number, kind)
        warn(number, f"the line holds {kind}, not a FHIR resource; it was ignored.")
    if not resources and first_bad is not None:
        raise NotFhirError(
            path,
            f"not FHIR NDJSON: no line holds a FHIR resource (line {first_bad[0]} holds {first_bad[1]})",
            first_bad[0],
            1,
        )
    if not resources:
        warn(None, "the file holds no resources.")
    return resources

