"""The drafter's pattern library: the JSON files of ``blinakg/drafting/patterns/``, read and checked.

All knowledge the drafter uses is in those files (data elements, comparators,
units, multiples of the ULN, windows, age phrases, ConText cues, the Turtle
vocabulary); this module only reads them, checks their shape and hands them
out. A broken file is one :class:`~blinakg.errors.InputError` naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError

PATTERN_DIR = Path(__file__).parent / "patterns"
FILES = ("elements", "comparators", "units", "uln", "context", "windows", "ages", "vocabulary")
KINDS = ("result", "test", "presence", "finding", "unreadable")


@dataclass(frozen=True)
class Element:
    """One data element of the lexicon (``elements.json``)."""

    id: str
    label: str
    kind: str
    phrases: tuple[str, ...]
    value_sets: tuple[str, ...] = ()
    fallback_value_set: str | None = None
    default_window_days: int | None = None
    unit_if_absent: str | None = None  # the UCUM unit of a limit stated without one (a score: "ECOG 0-2")
    scale: tuple[float, float] | None = None  # the lowest and highest grade of a scale ("ECOG 0-2": at most 2)
    normal_is_uln: bool = False
    active_only: bool = False
    applicable_to: str | None = None
    generic_head: bool = False
    requirable: bool = False
    note: str | None = None
    partial_note: str | None = None
    test: dict[str, Any] | None = None


@dataclass
class Patterns:
    """Every pattern file, read."""

    elements: dict[str, Element]
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.raw[name]


def _load(directory: Path, name: str) -> dict[str, Any]:
    path = directory / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(path, f"cannot read the pattern file ({err.strerror or err})") from None
    except json.JSONDecodeError as err:
        raise InputError(path, f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(data, dict):
        raise InputError(path, "a pattern file must hold one JSON object")
    return data


def _element(entry: Any, path: Path, position: int) -> Element:
    if not isinstance(entry, dict):
        raise InputError(path, f"element {position} is not an object")
    missing = [key for key in ("id", "label", "kind", "phrases") if key not in entry]
    if missing:
        raise InputError(path, f"element {position} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
    if entry["kind"] not in KINDS:
        raise InputError(path, f"element {entry['id']}: kind '{entry['kind']}' is not one of {', '.join(KINDS)}")
    phrases = entry["phrases"]
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise InputError(path, f"element {entry['id']}: phrases must be a non-empty list of strings")
    value_sets = tuple(entry.get("value_sets", ()))
    if entry["kind"] != "unreadable" and not value_sets:
        raise InputError(path, f"element {entry['id']}: a {entry['kind']} element needs value_sets")
    if entry["kind"] == "unreadable" and not entry.get("note"):
        raise InputError(path, f"element {entry['id']}: an unreadable element needs a note saying why")
    known = {f for f in Element.__dataclass_fields__}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise InputError(path, f"element {entry['id']}: unknown field(s) {', '.join(unknown)}")
    values = dict(entry)
    values["phrases"] = tuple(phrases)
    values["value_sets"] = value_sets
    scale = values.get("scale")
    if scale is not None:
        if not (isinstance(scale, list) and len(scale) == 2 and all(isinstance(v, (int, float)) for v in scale)
                and scale[0] < scale[1]):
            raise InputError(path, f"element {entry['id']}: scale must be [lowest, highest], two numbers")
        values["scale"] = (float(scale[0]), float(scale[1]))
    return Element(**values)


@lru_cache(maxsize=4)
def load_patterns(directory: Path = PATTERN_DIR) -> Patterns:
    """Read and check every pattern file of ``directory``.

    Raises:
        InputError: a file is missing, not JSON, or not of the expected shape.
    """
    raw = {name: _load(directory, name) for name in FILES}
    path = directory / "elements.json"
    entries = raw["elements"].get("elements")
    if not isinstance(entries, list):
        raise InputError(path, "'elements' must be a list")
    elements: dict[str, Element] = {}
    for position, entry in enumerate(entries, start=1):
        element = _element(entry, path, position)
        if element.id in elements:
            raise InputError(path, f"element id '{element.id}' is given twice")
        elements[element.id] = element
    for name, key in (("comparators", "comparators"), ("units", "units"), ("context", "pre"),
                      ("windows", "units"), ("ages", "units"), ("vocabulary", "check_classes")):
        if not isinstance(raw[name].get(key), dict):
            raise InputError(directory / f"{name}.json", f"'{key}' must be an object")
    return Patterns(elements=elements, raw=raw)


__all__ = ["Element", "Patterns", "load_patterns", "PATTERN_DIR"]
