"""The registered eligibility text, split into criterion nodes (issue 9, part 1).

    "the eligibility text split into criterion nodes in registered order with
    their verbatim text: inclusion or exclusion where the text says, header
    lines such as "DISEASE CHARACTERISTICS:" kept as sections, nested bullets
    kept nested."

Two layouts reach this module:

* the classic XML export wraps lines hard and separates every item by a blank
  line (``wrapped=True``): a paragraph is one item, its lines joined with
  single spaces;
* API v2 JSON (Markdown) writes one item a line, ``* `` bullets nested by
  indentation (``wrapped=False``).

An item is a *section* (a header line: it ends with ``:``, or it is a short
line without a full stop followed by a bullet), or a *criterion*. Bullets
(``-``, ``*``, ``•``) are kept as :attr:`Item.marker`; numbered labels
(``1.``, ``a)``) stay in the text. Nesting follows indentation: an item's
parent is the nearest item above it indented less (a section for top-level
criteria). The kind is read from the headers: a header that says "inclusion"
makes what follows inclusion criteria, "exclusion" exclusion criteria; text
under no such header is of unstated kind. Nothing is dropped or rewritten:
:func:`rejoin` gives back the text block, whitespace aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INCLUSION, EXCLUSION, UNSTATED = "inclusion", "exclusion", "unstated"

_BULLET = re.compile(r"^([-*•])\s+")
_NUMBERED = re.compile(r"^(\(?(\d{1,3}|[A-Za-z]|[ivxIVX]{1,5})[.)])\s+")
_SAYS_INCLUSION = re.compile(r"\binclu(sion|ded?)\b", re.IGNORECASE)  # "Inclusion Criteria:", "... will be included:"
_SAYS_EXCLUSION = re.compile(r"\bexclu(sion|ded?)\b", re.IGNORECASE)
_SHORT_HEADER = 60
_LONG_HEADER = 160


@dataclass
class Item:
    """One header line or criterion of the registered text.

    Attributes:
        order: 1-based position in the text (headers and criteria share one sequence).
        text: the verbatim text (hard wraps joined by single spaces), bullet mark left out.
        is_section: a header line.
        kind: ``inclusion``, ``exclusion`` or ``unstated`` (criteria only; sections: the kind they set).
        marker: the bullet mark, or ``""``.
        parent: the ``order`` of the enclosing item (criterion or section), or ``None``.
        indent: the column the item starts at.
        identifier: ``I3``, ``E2.1``, ``C4`` for criteria; ``S1`` for sections.
        numbered: the text starts with a numbered or lettered label (``1.``, ``a)``).
    """

    order: int
    text: str
    is_section: bool = False
    kind: str = UNSTATED
    marker: str = ""
    parent: int | None = None
    indent: int = 0
    identifier: str = ""
    numbered: bool = False


def _blocks(text: str, wrapped: bool) -> list[tuple[int, list[str]]]:
    """(indent, lines) of each item: paragraphs when wrapped, else lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    for line in lines:
        if not line.strip():
            current = None
            continue
        indent = len(line) - len(line.lstrip())
        if wrapped and current is not None:
            current.append(line.strip())
            continue
        current = [line.strip()]
        blocks.append((indent, current))
    return blocks


def _header_kind(text: str, current: str) -> str:
    """The kind a header sets: inclusion or exclusion when it says so (not both), else unchanged.

    "Says so": the words inclusion / included / include, exclusion / excluded / exclude.
    """
    says_in = bool(_SAYS_INCLUSION.search(text))
    says_ex = bool(_SAYS_EXCLUSION.search(text))
    if says_in and not says_ex:
        return INCLUSION
    if says_ex and not says_in:
        return EXCLUSION
    if says_in and says_ex:
        return UNSTATED
    return current


def split_criteria(text: str, wrapped: bool = True) -> list[Item]:
    """Split a registered eligibility text block into items, in registered order.

    Args:
        text: the text block (classic XML ``eligibility/criteria/textblock`` or
            v2 ``eligibilityModule.eligibilityCriteria``).
        wrapped: the text is hard-wrapped with blank lines between items (XML).
    """
    raw = _blocks(text, wrapped)
    items: list[Item] = []
    for indent, lines in raw:
        first = lines[0]
        marker = ""
        bullet = _BULLET.match(first)
        if bullet:
            marker = bullet.group(1)
            first = first[bullet.end():]
        body = " ".join([first, *lines[1:]]).strip()
        items.append(Item(order=len(items) + 1, text=body, marker=marker, indent=indent,
                          numbered=bool(_NUMBERED.match(body)) and not marker))
    if not items:
        return items
    base = min(item.indent for item in items)
    # Headers: unmarked, unnumbered lines at the outermost indentation.
    for index, item in enumerate(items):
        if item.marker or item.numbered or item.indent > base + 1:
            continue
        following = items[index + 1] if index + 1 < len(items) else None
        ends_colon = item.text.endswith(":") and len(item.text) <= _LONG_HEADER
        short = (len(item.text) <= _SHORT_HEADER and not item.text.endswith(".")
                 and following is not None and (bool(following.marker) or following.numbered
                                                or following.indent > item.indent))
        says_kind = len(item.text) <= _SHORT_HEADER and re.search(r"\b(inclusion|exclusion)\b", item.text, re.I)
        item.is_section = bool(ends_colon or short or says_kind)
    kind = UNSTATED
    counters: dict[str, int] = {}
    child_counts: dict[int, int] = {}
    sections = 0
    major: Item | None = None    # the last header that says a kind, or is in capitals
    section: Item | None = None  # the header the next top-level criterion is under
    stack: list[Item] = []       # open criteria, innermost last
    for item in items:
        if item.is_section:
            kind = _header_kind(item.text, kind)
            item.kind = kind
            sections += 1
            item.identifier = f"S{sections}"
            is_major = (bool(re.search(r"(inclusion|exclusion)", item.text, re.I))
                        or item.text.rstrip(":").isupper())
            if is_major:
                major = item
            else:
                item.parent = major.order if major is not None else None
            section = item
            stack = []
            continue
        item.kind = kind
        while stack and stack[-1].indent >= item.indent:
            stack.pop()
        if stack:
            parent = stack[-1]
            item.parent = parent.order
            child_counts[parent.order] = child_counts.get(parent.order, 0) + 1
            item.identifier = f"{parent.identifier}.{child_counts[parent.order]}"
        else:
            item.parent = section.order if section is not None else None
            prefix = {INCLUSION: "I", EXCLUSION: "E"}.get(kind, "C")
            counters[prefix] = counters.get(prefix, 0) + 1
            item.identifier = f"{prefix}{counters[prefix]}"
        stack.append(item)
    return items


def rejoin(items: list[Item]) -> str:
    """The items' text in order, bullet marks restored: the text block again, whitespace aside."""
    parts = []
    for item in sorted(items, key=lambda i: i.order):
        parts.append(f"{item.marker} {item.text}" if item.marker else item.text)
    return "\n".join(parts)


def same_text(a: str, b: str) -> bool:
    """Equal once all whitespace is set aside."""
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


__all__ = ["Item", "split_criteria", "rejoin", "same_text", "INCLUSION", "EXCLUSION", "UNSTATED"]
