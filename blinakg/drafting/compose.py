"""The composer: the spans the pipeline found -> checks with spans (contract.md, "Drafting").

A criterion is cut into clauses (";", sentence ends, ":"), a clause into
alternatives ("X ≥ a or Y ≥ b"); each alternative is read for ages,
measurements (element, comparator, quantity and unit, or a multiple of the
ULN, or a test's polarity) and record mentions (negation, history, activity,
windows). What the reading leaves over, and whatever a cue marks as beyond
the record (donors, concurrent therapy, judgement, permissions, conditions),
becomes a ``review`` check whose note says what was not read. Never a guess:
when in doubt, review.
"""

from __future__ import annotations

import calendar
import re
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from ..readers.units import UnitProblem, convert, format_decimal
from .patterns import Element, Patterns
from .pipeline import Drafting
from .terminology import value_sets

INCLUSION, EXCLUSION, UNCLASSIFIED = "inclusion", "exclusion", "unclassified"
JOINERS = {"and", "or", ",", "/", "and/or", "nor", "(", ")", "either", "both", "the", "a", "an", "any", "its", "their",
           "of", "with", "to", "-", "prior", "previous", "known", "or/and"}
GAP = {"count", "counts", "level", "levels", "value", "values", "of", "must", "be", "is", "are", "should", "(", ")",
       "serum", "blood", "plasma", "concentration", "result", "results", "value", "greater", "total", ":", ",", "a",
       "shall", "will", "has", "have", "needs", "to", "remain", "measured", "by", "lab", "test", "the", "patient",
       "patients", "must", "peripheral", "absolute", "-", "="}
MAX_NOTE_WORDS = 14


@dataclass
class Check:
    """One drafted check: ``fields`` are its contract JSON fields (beside kind and span);
    ``meta`` what the Turtle writer needs besides (value set names, labels, applicability)."""

    kind: str
    span: tuple[int, int]
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "span": [self.span[0], self.span[1]]}
        for key, value in self.fields.items():
            out[key] = [c.as_json() for c in value] if key == "checks" else value
        return out

    def key(self) -> str:
        import json

        body = self.as_json()
        body.pop("span")
        return json.dumps(body, sort_keys=True, default=str)


def review(span: tuple[int, int], note: str) -> Check:
    return Check("review", span, {"note": note})


def _quote(words: list[str]) -> str:
    text = " ".join(words[:MAX_NOTE_WORDS])
    return f"'{text}{' …' if len(words) > MAX_NOTE_WORDS else ''}'"


@lru_cache(maxsize=64)
def calendar_span(months: int) -> tuple[int, int]:
    """The shortest and longest N calendar months can be, in days (start days over 28 years)."""
    shortest, longest = 10 ** 9, 0
    start = dt.date(2000, 1, 1)
    for offset in range(0, 366 * 28):
        day = start + dt.timedelta(days=offset)
        month_index = day.month - 1 + months
        year, month = day.year + month_index // 12, month_index % 12 + 1
        end = dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
        length = (end - day).days
        shortest, longest = min(shortest, length), max(longest, length)
    return shortest, longest


class Reader:
    """Reads one parsed criterion (a spaCy ``Doc``) into checks."""

    def __init__(self, drafting: Drafting, doc: Any, kind: str, whole_text: str, aside: bool = False):
        self.aside = aside
        self.qualifies = False
        self.scoped: list[tuple[int, int]] = []  # character ranges of alternatives after the first
        self.drafting = drafting
        self.patterns: Patterns = drafting.patterns
        self.doc = doc
        self.kind = kind
        self.text = whole_text
        n = len(doc)
        self.elements: dict[int, Any] = {s.start: s for s in doc.spans["bk_elements"]}
        self.element_cover = [None] * n
        for span in doc.spans["bk_elements"]:
            for i in range(span.start, span.end):
                self.element_cover[i] = span
        self.comparators = {s.start: s for s in doc.spans["bk_comparators"]}
        self.numbers = {s.start: s for s in doc.spans["bk_numbers"]}
        self.units = {s.start: s for s in doc.spans["bk_units"]}
        self.uln = self._index(doc.spans["bk_uln"])
        self.windows = self._index(doc.spans["bk_windows"])
        self.ages = self._index(doc.spans["bk_ages"])
        self.context = self._index(doc.spans["bk_context"])
        self.used: set[int] = set()

    @staticmethod
    def _index(spans: Any) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        for span in spans:
            found.setdefault(span.start, []).append(span)
        for group in found.values():
            group.sort(key=lambda s: -(s.end - s.start))
        return found

    # ----------------------------------------------------------------- helpers

    def chars(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets [start, end) of tokens start..end-1, trimmed of punctuation."""
        doc = self.doc
        while start < end - 1 and doc[start].is_punct and doc[start].text not in "(<>≤≥%":
            start += 1
        while end - 1 > start and doc[end - 1].is_punct and doc[end - 1].text not in ")%":
            end -= 1
        return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)

    def span_at(self, index: dict[int, list[Any]], i: int, label: str | None = None,
                prefix: str | None = None) -> Any:
        for span in index.get(i, []):
            if (label is None or span.label_ == label) and (prefix is None or span.label_.startswith(prefix)):
                return span
        return None

    def cues(self, start: int, end: int, prefix: str) -> list[Any]:
        """Context spans whose label starts with ``prefix`` inside [start, end), longest first at a start."""
        found = []
        i = start
        while i < end:
            span = self.span_at(self.context, i, prefix=prefix)
            if span is not None and span.end <= end:
                found.append(span)
                i = span.end
            else:
                i += 1
        return found

    def element(self, span: Any) -> Element:
        return self.patterns.elements[span.label_]

    def words(self, start: int, end: int) -> list[str]:
        return [t.text for t in self.doc[start:end]]

    # ----------------------------------------------------------------- clauses

    def clauses(self) -> list[tuple[int, int]]:
        """Token ranges of the clauses: cut at ';', ':' and sentence-ending '.'; a list introduced by
        'as follows' / 'the following' is one clause to its end (the list is not read item by item)."""
        doc, bounds, start = self.doc, [], 0
        for token in doc:
            cut = token.text in (";",) or (token.text == ":" and token.i > start) or (
                token.text == "." and (token.i + 1 == len(doc) or doc[token.i + 1].is_title
                                       or not doc[token.i + 1].is_alpha))
            if token.text == ":" and self._introduces_list(start, token.i):
                bounds.append((start, len(doc)))
                return [b for b in bounds if b[0] < b[1]]
            label = self._label_before(token.i, start) if token.text == ":" else None
            if label is not None:  # "… Age: 6 months to 60 years": the label opens the next clause
                bounds.append((start, label))
                start = label
                continue
            if cut:
                bounds.append((start, token.i))
                start = token.i + 1
        bounds.append((start, len(doc)))
        return [b for b in bounds if b[0] < b[1]]

    def _label_before(self, colon: int, start: int) -> int | None:
        """The start of a known section label ('Age', 'Hepatic', 'Performance status') ending at the colon."""
        for i in range(max(start, colon - 4), colon):
            for span in self.context.get(i, []):
                if span.label_ == "label" and span.end == colon:
                    return i
        return None

    def _introduces_list(self, start: int, end: int) -> bool:
        lowered = " ".join(t.lower_ for t in self.doc[start:end])
        return any(cue in lowered for cue in ("following", "as follows", "any of", "one of", "defined by age",
                                               "based on age", "by age"))

    # ----------------------------------------------------------------- reading

    def read(self) -> list[Check]:
        checks: list[Check] = []
        for start, end in self.clauses():
            if self._is_label(start, end):
                blocked = self._blocking_cue(start, end)
                if blocked:  # "DONOR:" — everything under the label is for the investigator
                    return [review(self.chars(start, len(self.doc)), blocked)]
                scope = self.cues(start, end, "applies") + self.cues(start, end, "pre:conditional")
                if scope:  # "Females of childbearing potential: …" — all of it applies to some patients only
                    return [review(self.chars(start, len(self.doc)), "It applies only to some patients ("
                                   + _quote([scope[0].text]) + "): " + _quote(self.words(start, len(self.doc))))]
                continue
            checks.extend(self.read_clause(start, end))
        return checks

    def _is_label(self, start: int, end: int) -> bool:
        """A header before ':' ("Hepatic", "Cytotoxic therapy") states no condition."""
        if end < len(self.doc) and self.doc[end].text == ":" and end - start <= 5:
            return not any(t.like_num for t in self.doc[start:end])
        return all(t.is_punct or t.is_space for t in self.doc[start:end])

    def read_clause(self, start: int, end: int) -> list[Check]:
        span = self.chars(start, end)
        parts = self.alternatives(start, end)
        if len(parts) == 1:
            return self.read_part(*parts[0])
        # a condition inside one alternative qualifies that alternative only
        self.scoped.extend((self.doc[a].idx, self.doc[b - 1].idx + len(self.doc[b - 1].text)) for a, b in parts[1:])
        alternatives: list[Check] = []
        for part_start, part_end in parts:
            found = self.read_part(part_start, part_end)
            computable = [c for c in found if c.kind != "review"]
            part_span = self.chars(part_start, part_end)
            if len(computable) == 1 and len(found) == 1:
                alternatives.append(found[0])
            elif len(computable) >= 1:
                alternatives.append(review(part_span, "An alternative of several conditions, or only partly read: "
                                           + _quote(self.words(part_start, part_end))))
            else:
                alternatives.append(review(part_span, found[0].fields["note"] if found else
                                           "Not read: " + _quote(self.words(part_start, part_end))))
        return [self.any_of(alternatives, span)]

    def any_of(self, alternatives: list[Check], span: tuple[int, int]) -> Check:
        unique: dict[str, Check] = {}
        for check in alternatives:
            unique.setdefault(check.key(), check)
        kept = list(unique.values())
        if len(kept) == 1:
            return kept[0]
        if all(c.kind == "review" for c in kept):
            return review(span, " Or: ".join(c.fields["note"] for c in kept))
        return Check("any-of", span, {"checks": kept})

    def _blocking_cue(self, start: int, end: int, which: tuple[str, ...] = ("review", "permission")) -> str | None:
        """A cue that puts the span beyond the record: review (a conjunct), permission (a whole part)."""
        for category, reason in (("pre:review", "Left to the investigator"),
                                 ("pre:permission", "It states a permission: nothing in the record can fail it"),
                                 ("post:permission", "It states a permission: nothing in the record can fail it")):
            if category.split(":")[1] not in which:
                continue
            for cue in self.cues(start, end, category):
                if "permission" in category and self._negated_permission(cue):
                    continue
                if self.kind == EXCLUSION and cue.text.lower() in self.patterns["context"].get("exclusion_lists", []):
                    continue  # "one of the following: A, B, C" in an exclusion: each excludes alone
                return f"{reason} ({_quote([cue.text])}): " + _quote(self.words(start, end))
        return None

    def _negated_permission(self, cue: Any) -> bool:
        return any(s.label_ == "post:negation" and s.start <= cue.start and s.end >= cue.end
                   for group in self.context.values() for s in group)

    def alternatives(self, start: int, end: int) -> list[tuple[int, int]]:
        """Cut at an 'or' whose left side holds a complete condition (a number, ULN, 'normal', a polarity)."""
        parts, part_start = [], start
        for i in range(start, end):
            if self.doc[i].lower_ != "or" or i == part_start or self.element_cover[i] is not None:
                continue
            if self._holds_condition(part_start, i) and self._has_content(i + 1, end):
                parts.append((part_start, i))
                part_start = i + 1
        parts.append((part_start, end))
        return parts

    def _holds_condition(self, start: int, end: int) -> bool:
        for i in range(start, end):
            if i in self.numbers or self.span_at(self.uln, i, "uln") or self.span_at(self.uln, i, "normal") \
                    or self.span_at(self.context, i, prefix="polarity:"):
                return True
        return False

    def _has_content(self, start: int, end: int) -> bool:
        return any(i in self.elements or i in self.numbers for i in range(start, end))

    # ------------------------------------------------------------------ a part

    def read_part(self, start: int, end: int) -> list[Check]:
        """Checks of one condition: ages, measurements, record mentions; leftovers to review."""
        span = self.chars(start, end)
        self.used = set()
        checks: list[Check] = []
        notes: list[str] = []
        blocked = self._blocking_cue(start, end, ("permission",))
        if blocked:
            return [review(span, blocked)]
        if self.cues(start, end, "pre:conditional"):
            cue = self.cues(start, end, "pre:conditional")[0]
            return [review(span, f"It applies only to some patients or under a condition the record does not "
                                 f"state ({_quote([cue.text])}): " + _quote(self.words(start, end)))]
        for part_start, part_end in self.conjuncts(start, end):
            checks.extend(self.read_conjunct(part_start, part_end))
        return checks

    def conjuncts(self, start: int, end: int) -> list[tuple[int, int]]:
        """Cut at 'and' / ',' that open a new condition ('…, and no prior radiotherapy'), so a window or a
        negation of one condition is not carried into the next."""
        parts, part_start = [], start
        for i in range(start + 1, end - 1):
            if self.kind == EXCLUSION and (self.doc[i].text == "," or (
                    self.doc[i].lower_ == "or" and self.doc[i - 1].text == ",")) \
                    and self._has_content(part_start, i) and any(t.is_alpha for t in self.doc[i + 1:end]) \
                    and self._next_word(i + 1, end) not in self.patterns["context"]["qualifier_openers"]:
                parts.append((part_start, i if self.doc[i].text == "," else i - 1))  # in an exclusion, a list
                part_start = i + 1  # "A, B, or C": each excludes alone
                continue
            following = self._next(i + 1)
            if self.kind != EXCLUSION and self.doc[i].lower_ == "and" and self._holds_condition(part_start, i) \
                    and following < end and not self.doc[following].like_num and following not in self.elements \
                    and following not in self.comparators and not self.span_at(self.ages, following, prefix="cmp:"):
                parts.append((part_start, i))  # "at least 2 weeks since … and recovered": each is required
                part_start = i + 1
                continue
            if self.doc[i].lower_ not in ("and", ",") or not self._has_content(part_start, i):
                continue
            j = i + 1
            while j < end and (self.doc[j].is_space or self.doc[j].lower_ == "and"):
                j += 1
            opens = self.span_at(self.context, j, prefix="pre:negation") is not None or (
                j in self.comparators and any(self.span_at(self.windows, k, "since")
                                              for k in range(j, min(end, j + 9))))
            if opens:
                parts.append((part_start, i))
                part_start = i + 1
        parts.append((part_start, end))
        return parts

    def _next_word(self, i: int, end: int) -> str:
        while i < end and not self.doc[i].is_alpha:
            i += 1
        return self.doc[i].lower_ if i < end else ""

    def read_conjunct(self, start: int, end: int) -> list[Check]:
        span = self.chars(start, end)
        self.used = set()
        blocked = self._blocking_cue(start, end, ("review",))
        if blocked:
            return [review(span, blocked)]
        if self.kind == EXCLUSION:  # "one of the following genetic syndromes: A, B" — the list's name is read
            for cue in self.cues(start, end, "pre:review"):
                if cue.text.lower() in self.patterns["context"].get("exclusion_lists", []):
                    colon = next((t.i for t in self.doc[cue.end:end] if t.text == ":"), None)
                    if colon is not None:
                        self.used.update(range(cue.start, colon + 1))
        notes: list[str] = []
        exception = self.cues(start, end, "pre:exception")
        self.limit = exception[0].start if exception else end
        applies = self.cues(start, end, "applies")
        if applies and not any(self.element(m).applicable_to for i, m in self.elements.items() if start <= i < end):
            return [review(span, "It applies only to some patients (" + _quote([applies[0].text]) + "): "
                           + _quote(self.words(start, end)))]
        for cue in applies:  # "females of childbearing potential": the check's own applicability
            self.used.update(range(cue.start, cue.end))
        self.window = self.read_window(start, end, notes)
        checks: list[Check] = []
        checks.extend(self.read_ages(start, self.limit, notes))
        checks.extend(self._timed(self.read_measurements(start, self.limit, notes), notes))
        checks.extend(self.read_mentions(start, end, notes))
        if exception:
            self.used.update(range(exception[0].start, end))
            checks = self._with_exception(checks, exception[0], start, end)
        leftover = self.leftover(start, end)
        if leftover:
            notes.append("Not read: " + _quote(leftover))
        if leftover and self.kind == EXCLUSION:
            checks = soften(checks, span, "What the exclusion adds is not read: " + " ".join(dict.fromkeys(notes)))
        elif leftover:  # "radiotherapy to substantial bone marrow": unread words may narrow a record
            where = set(self.leftover_at(start, end))
            records = [c for c in checks if c.kind == "record-presence" and "mention" in c.meta
                       and self._qualifies(c.meta["mention"], where, end)]
            checks = [c for c in checks if c not in records] + soften(
                records, span, "What the criterion adds is not read: " + _quote(leftover))
        unreadable = [m for i, m in self.elements.items() if start <= i < end and self.element(m).kind == "unreadable"]
        findings = [c for c in checks if c.meta.get("element_id") in
                    {e.id for e in self.patterns.elements.values() if e.kind == "finding"}]
        if findings and unreadable:  # "Active CNS involvement (CNS3)": the finding is qualified by what is not read
            others = [c for c in checks if c not in findings]
            checks = others + soften(findings, span, "The finding is qualified: " + _quote([unreadable[0].text]))
        if notes:
            checks.append(review(span, " ".join(dict.fromkeys(notes))))
        return checks

    def _with_exception(self, checks: list[Check], cue: Any, start: int, end: int) -> list[Check]:
        """'X ≤ 1.5 × ULN unless disease-related': any-of the check and the exception (for the
        investigator). A record-presence check already sends a record to review."""
        results = [c for c in checks if c.kind in ("latest-result", "age", "any-of")]
        others = [c for c in checks if c not in results]
        if not results:
            return checks
        note = "The criterion allows an exception: " + _quote(self.words(cue.start, end))
        exception = review(self.chars(cue.start, end), note)
        if len(results) == 1 and results[0].kind != "any-of":
            return others + [self.any_of([results[0], exception], self.chars(start, end))]
        return others + [review(self.chars(start, end), note)]

    def leftover(self, start: int, end: int) -> list[str]:
        """Words of the part that nothing read: content words and numbers no span used or covers."""
        return [self.doc[i].text for i in self.leftover_at(start, end)]

    def leftover_at(self, start: int, end: int) -> list[int]:
        covered = set(self.used)
        for index in (self.context, self.windows, self.ages):
            for i, group in index.items():
                if start <= i < end:
                    for s in group:
                        if s.label_ in ("filler", "label", "dref", "anchor", "join") or s.label_.startswith(
                                ("pre:negation", "pre:history", "pre:active", "post:negation", "pre:termination")):
                            covered.update(range(s.start, s.end))
        found = []
        for i in range(start, end):
            token = self.doc[i]
            if i in covered or token.is_punct or token.is_space or token.is_stop or token.text in "<>=≤≥x×":
                continue
            if token.is_alpha or token.like_num or i in self.numbers:
                found.append(i)
        return found

    def _qualifies(self, mention: tuple[int, int], leftover: set[int], end: int) -> bool:
        """Unread words straight after a record's mention, before the next list joiner or element
        ('radiotherapy to substantial bone marrow'), qualify it; a list item further on does not."""
        i = mention[1]
        while i < end:
            token = self.doc[i]
            if token.lower_ in ("or", "and", "nor", "/", ",", ";", "and/or") or (i in self.elements and i > mention[1]):
                return False
            if i in leftover:
                return True
            i += 1
        return False

    # -------------------------------------------------------------------- ages

    def read_ages(self, start: int, end: int, notes: list[str]) -> list[Check]:
        cues = [s for i in range(start, end) for s in self.ages.get(i, []) if s.label_ == "cue"]
        not_now = [s for i in range(start, end) for s in self.ages.get(i, []) if s.label_ == "not-now"]
        bounds = self._age_expression(start, end)
        if bounds is None:
            return []
        first, last, found = bounds
        if self.aside:
            self.qualifies = True
            self.used.update(range(first, last))
            notes.append("An age condition in parentheses qualifies the criterion: " + _quote(self.words(first, last)))
            return []
        only_age = not self.aside and not self.leftover_outside(0, len(self.doc), first, last)
        if not_now:
            notes.append(f"An age at another time than consent ({_quote([not_now[0].text])}) is not read.")
            self.used.update(range(first, last))
            for s in not_now:
                self.used.update(range(s.start, s.end))
            return []
        if not cues and not only_age:
            return []
        self.used.update(range(first, last))
        for s in cues:
            self.used.update(range(s.start, s.end))
        fields = {"min_age": None, "max_age": None, "min_inclusive": True, "max_inclusive": False}
        fields.update(found)
        if self.kind == EXCLUSION:
            inverted = self._invert_age(fields)
            if inverted is None:
                notes.append("An age range that excludes is not read.")
                return []
            fields = inverted
        return [Check("age", self.chars(first, last), fields)]

    @staticmethod
    def _invert_age(fields: dict[str, Any]) -> dict[str, Any] | None:
        """The age check that lets in whom an excluding age bound shuts out (one bound only).
        'Younger than N' excludes -> at least N; 'N or younger' (completed units) -> at least N + 1;
        'at least N' excludes -> younger than N. An exclusive lower bound has no clean complement."""
        low, high = fields.get("min_age"), fields.get("max_age")
        base = {"min_age": None, "max_age": None, "min_inclusive": True, "max_inclusive": False}
        if low is not None and high is not None:
            return None
        if high is not None:
            value = high["value"] + 1 if fields.get("max_inclusive") else high["value"]
            if not isinstance(value, int):
                return None
            return {**base, "min_age": {"value": value, "unit": high["unit"]}}
        if low is not None and fields.get("min_inclusive"):
            return {**base, "max_age": dict(low)}
        return None

    def leftover_outside(self, start: int, end: int, first: int, last: int) -> bool:
        for i in list(range(start, first)) + list(range(last, end)):
            token = self.doc[i]
            if token.is_punct or token.is_stop:
                continue
            if self.span_at(self.context, i, "filler") or self.span_at(self.ages, i, "cue"):
                continue
            return True
        return False

    def _age_unit(self, i: int) -> tuple[str, int] | None:
        span = self.span_at(self.ages, i, prefix="unit:")
        return None if span is None else (span.label_[5:], span.end)

    def _age_expression(self, start: int, end: int) -> tuple[int, int, dict[str, Any]] | None:
        """The first age range or bound: (first token, end token, fields)."""
        for i in range(start, end):
            if i not in self.numbers:
                continue
            value = self.drafting.numbers.value(self.doc[i].text)
            if value is None:
                continue
            found = self._age_range(i, end, value) or self._age_bound(start, i, end, value)
            if found is not None:
                return found
        return None

    def _bound(self, value: float, unit: str) -> dict[str, Any]:
        number: float | int = int(value) if value == int(value) else value
        return {"value": number, "unit": unit}

    def _age_range(self, i: int, end: int, low: float) -> tuple[int, int, dict[str, Any]] | None:
        j = i + 1
        low_unit = self._age_unit(j)
        if low_unit is not None:
            j = low_unit[1]
        join = self.span_at(self.ages, j, prefix="join")
        if join is None:
            return None
        exclusive = join.label_ == "join-lt"
        j = join.end
        comparator = self.span_at(self.ages, j, prefix="cmp:")
        if comparator is not None and comparator.label_ in ("cmp:lt", "cmp:le"):
            exclusive = comparator.label_ == "cmp:lt"
            j = comparator.end
        if j >= end or j not in self.numbers:
            return None
        high = self.drafting.numbers.value(self.doc[j].text)
        high_unit = self._age_unit(j + 1)
        if high is None or high_unit is None or high < 0 or (low_unit is None and high < low):
            return None
        first, low_inclusive = i, True
        for j in range(max(0, i - 4), i):
            before = self.span_at(self.ages, j, prefix="cmp:")
            if before is not None and before.end == i:
                if before.label_ not in ("cmp:gt", "cmp:ge"):
                    return None
                first, low_inclusive = j, before.label_ == "cmp:ge"
        prefix = self.span_at(self.ages, first - 1, "prefix") if first > 0 else None
        if prefix is not None:
            first = prefix.start
        last = high_unit[1]
        post = self.span_at(self.ages, last, prefix="post:")
        if post is not None:
            return None  # "1 to 21 years or older": not a range the drafter reads
        return first, last, {"min_age": self._bound(low, (low_unit or high_unit)[0]), "min_inclusive": low_inclusive,
                             "max_age": self._bound(high, high_unit[0]), "max_inclusive": not exclusive}

    def _age_bound(self, start: int, i: int, end: int, value: float) -> tuple[int, int, dict[str, Any]] | None:
        unit = self._age_unit(i + 1)
        if unit is None:
            return None
        op, first, last = None, i, unit[1]
        for j in range(max(start, i - 4), i):
            comparator = self.span_at(self.ages, j, prefix="cmp:")
            if comparator is not None and comparator.end == i:
                op, first = comparator.label_[4:], j
        cue_between = self.span_at(self.ages, last, "cue")
        tail = cue_between.end if cue_between is not None else last
        post = self.span_at(self.ages, tail, prefix="post:")
        if post is not None and op is None:
            op, last = post.label_[5:], post.end
        if op is None:
            return None
        bound = self._bound(value, unit[0])
        if op in ("lt", "le"):
            return first, last, {"max_age": bound, "max_inclusive": op == "le"}
        return first, last, {"min_age": bound, "min_inclusive": op == "ge"}

    # ------------------------------------------------------------ measurements

    def groups(self, start: int, end: int, kinds: tuple[str, ...]) -> list[tuple[list[Any], str, int, int]]:
        """Runs of element mentions of ``kinds`` joined by and / or / commas: (mentions, joiner, first, end)."""
        mentions = [self.elements[i] for i in range(start, end) if i in self.elements]
        found: list[tuple[list[Any], str, int, int]] = []
        current: list[Any] = []
        joiner = "single"
        for mention in mentions:
            if self.element(mention).kind not in kinds:
                if current:
                    found.append((current, joiner, current[0].start, current[-1].end))
                current, joiner = [], "single"
                continue
            if current:
                between = [t.lower_ for t in self.doc[current[-1].end:mention.start] if not t.is_space]
                if all(w in JOINERS for w in between) and len(between) <= 4:
                    words = set(between)
                    if mention.label_ != current[-1].label_ or "(" not in words:
                        joiner = "and/or" if "and/or" in words or "/" in words or {"and", "or"} <= words else \
                            "or" if "or" in words else "and" if words & {"and", ",", "both"} or not words else joiner
                    current.append(mention)
                    continue
                found.append((current, joiner, current[0].start, current[-1].end))
                current, joiner = [], "single"
            current = [mention]
        if current:
            found.append((current, joiner, current[0].start, current[-1].end))
        return found

    def read_measurements(self, start: int, end: int, notes: list[str]) -> list[Check]:
        checks: list[Check] = []
        for mentions, joiner, first, last in self.groups(start, end, ("result", "test", "finding")):
            checks.extend(self._measure_group(mentions, joiner, first, last, start, end, notes))
        return checks

    def _measure_group(self, mentions: list[Any], joiner: str, first: int, last: int, start: int, end: int,
                       notes: list[str]) -> list[Check]:
        labels = ", ".join(m.text for m in mentions)
        kinds = {self.element(m).kind for m in mentions}
        if kinds & {"test", "finding"}:
            return self._qualitative_group(mentions, joiner, first, last, start, end, notes)
        limit = self._limit_after(last, end) or self._limit_before(first, start)
        if limit is None and len(mentions) == 1:
            limit = self._scale_range(self.element(mentions[0]), last, end)
        for mention in mentions:
            self.used.update(range(mention.start, mention.end))
        if limit is None:
            notes.append(f"No limit read for {labels}.")
            return []
        if joiner == "and/or":
            notes.append(f"'and/or' between {labels} is not read.")
            return []
        self.used.update(limit["tokens"])
        checks = []
        seen = set()
        for mention in mentions:
            element = self.element(mention)
            if element.id in seen:
                continue
            seen.add(element.id)
            check = self._result_check(element, limit, (min(mention.start, limit["first"]),
                                                        max(mention.end, limit["end"])), notes)
            if check is not None:
                checks.append(check)
        if joiner == "or" and len(checks) > 1:
            return [self.any_of(checks, self.chars(min(first, limit["first"]), max(last, limit["end"])))]
        return checks

    def _skip_gap(self, i: int, end: int, limit: int = 6) -> int:
        steps = 0
        while i < end and steps < limit and (self.doc[i].lower_ in GAP or self.doc[i].is_space) \
                and i not in self.comparators:
            steps += 0 if self.doc[i].is_space else 1
            i += 1
        return i

    def _next(self, i: int) -> int:
        """The next token from i that is not blank (an aside blanked out)."""
        while i < len(self.doc) and self.doc[i].is_space:
            i += 1
        return i

    def _limit_after(self, i: int, end: int) -> dict[str, Any] | None:
        i = self._skip_gap(i, end)
        first = i
        comparator = self.comparators.get(i)
        if comparator is None:
            normal = self.span_at(self.uln, i, "normal")
            if normal is not None:
                return {"op": "normal", "uln": 1.0, "first": first, "end": normal.end,
                        "tokens": set(range(first, normal.end))}
            return None
        if comparator.label_ == "eq":
            return None
        return self._quantity(comparator.end, end, comparator.label_, first)

    def _scale_range(self, element: Element, i: int, end: int) -> dict[str, Any] | None:
        """'ECOG 0-2', 'ECOG 0, 1 or 2', 'Karnofsky 50-100': grades of a bounded scale
        (``scale`` in the lexicon) from one end of it, read as one limit; a range
        inside the scale (two limits) is not read."""
        if element.scale is None:
            return None
        i = self._skip_gap(i, end)
        first, values, j = i, [], i
        while j < end:
            token = self.doc[j]
            if token.is_space or token.text in ("-", "–", ",") or token.lower_ in ("to", "or", "and", "through"):
                j += 1
                continue
            if j not in self.numbers:
                break
            value = self.drafting.numbers.value(token.text)
            if value is None:
                break
            values.append(value)
            j += 1
        if len(values) < 2 or values != sorted(values) or len(set(values)) != len(values):
            return None
        low, high = element.scale
        if values[0] == low and values[-1] < high:
            op, bound = "le", values[-1]
        elif values[-1] == high and values[0] > low:
            op, bound = "ge", values[0]
        else:
            return None
        return {"op": op, "value": format_decimal(Decimal(str(bound))), "unit": None, "first": first, "end": j,
                "tokens": set(range(first, j))}

    def _limit_before(self, first_mention: int, start: int) -> dict[str, Any] | None:
        """'≥ 25% blasts in the bone marrow': the limit written before the element."""
        previous = max((m.end for i, m in self.elements.items() if start <= i < first_mention), default=start)
        for i in range(max(start, previous, first_mention - 6), first_mention):
            comparator = self.comparators.get(i)
            if comparator is None or comparator.label_ == "eq":
                continue
            found = self._quantity(comparator.end, first_mention, comparator.label_, i)
            if found is not None and found["end"] >= first_mention - 2:
                return found
        return None

    def _quantity(self, i: int, end: int, op: str, first: int) -> dict[str, Any] | None:
        """Number + unit, number + multiplier + ULN, or ULN alone, from token i."""
        i = self._next(i)
        uln = self.span_at(self.uln, i, "uln")
        if uln is not None:
            return self._after_uln({"op": op, "uln": 1.0, "first": first}, i, uln.end, end)
        if i >= end or i not in self.numbers:
            return None
        value = self.drafting.numbers.value(self.doc[i].text)
        if value is None:
            return None
        j = self._next(i + 1)
        multiplier = self.span_at(self.uln, j, "mult")
        if multiplier is not None:
            k = multiplier.end
            while k < end and (self.doc[k].lower_ in ("the", "institutional", "an", "of") or self.doc[k].is_space):
                k += 1
            uln = self.span_at(self.uln, k, "uln")
            if uln is not None:
                return self._after_uln({"op": op, "uln": value, "first": first}, i, uln.end, end)
        unit = self.units.get(j)
        if unit is not None:
            return {"op": op, "value": self.doc[i].text.replace(",", ""), "unit": unit.label_, "first": first,
                    "end": unit.end, "tokens": set(range(first, unit.end))}
        return {"op": op, "value": self.doc[i].text.replace(",", ""), "unit": None, "first": first, "end": j,
                "tokens": set(range(first, j))}

    def _after_uln(self, found: dict[str, Any], i: int, j: int, end: int) -> dict[str, Any]:
        after = self.span_at(self.uln, self._next(j), "after")
        while after is not None and after.end <= end:
            j = after.end
            after = self.span_at(self.uln, self._next(j), "after")
        found.update({"end": j, "tokens": set(range(found["first"], j))})
        return found

    def _result_check(self, element: Element, limit: dict[str, Any], tokens: tuple[int, int],
                      notes: list[str]) -> Check | None:
        op = limit["op"]
        if op == "normal":
            if not element.normal_is_uln:
                notes.append(f"'Normal' {element.label} is not a limit the drafter reads.")
                return None
            op = "le"
        pass_when = self._pass_when(op)
        fields: dict[str, Any] = {"element": self._element_json(element, element.value_sets[0]),
                                  "pass_when": pass_when, "threshold": None, "unit": None, "uln_multiple": None,
                                  "window_days": None}
        meta = self._meta(element, element.value_sets[0])
        if "uln" in limit:
            fields["uln_multiple"] = _number(limit["uln"])
        else:
            threshold = self._threshold(element, limit, notes)
            if threshold is None:
                return None
            fields["threshold"], fields["unit"] = threshold
        if element.partial_note:
            notes.append(element.partial_note)
        return Check("latest-result", self.chars(*tokens), fields, meta)

    def _pass_when(self, op: str) -> str:
        if self.kind == EXCLUSION:
            return str(self.patterns["comparators"]["invert"][op])
        return op

    def _threshold(self, element: Element, limit: dict[str, Any], notes: list[str]) -> tuple[Any, str] | None:
        unit = limit["unit"] if limit["unit"] is not None else element.unit_if_absent
        if unit is None:
            notes.append(f"The limit of {element.label} has no unit the drafter reads.")
            return None
        unit = self.patterns["units"].get("same_as", {}).get(unit, unit)
        canonical = value_sets()[element.value_sets[0]].canonical_unit
        try:
            value = Decimal(limit["value"])
        except InvalidOperation:
            return None
        if canonical is None or canonical == unit:
            return _number(value), unit
        try:
            converted = convert(value, unit, canonical)
        except UnitProblem:
            notes.append(f"The unit {unit} of {element.label} cannot be compared with {canonical}.")
            return None
        return _number(Decimal(format_decimal(converted))), canonical

    def _element_json(self, element: Element, value_set: str, label: str | None = None) -> dict[str, Any]:
        found = value_sets().get(value_set)
        codes = list(found.codes) if found is not None else []
        return {"label": label or (found.label if found is not None and len(element.value_sets) > 1
                                    else element.label), "codes": codes}

    def _meta(self, element: Element, value_set: str, window: int | None = None) -> dict[str, Any]:
        return {"value_set": value_set, "fallback_value_set": element.fallback_value_set,
                "default_window_days": window if window is not None else element.default_window_days,
                "applicable_to": element.applicable_to, "element_id": element.id}

    # -------------------------------------------------------- qualitative tests

    def _polarity_near(self, first: int, last: int, start: int, end: int) -> Any:
        for i in list(range(last, min(end, last + 4))) + list(range(max(start, first - 3), first)):
            span = self.span_at(self.context, i, prefix="polarity:")
            if span is not None:
                return span
        return None

    def _qualitative_group(self, mentions: list[Any], joiner: str, first: int, last: int, start: int, end: int,
                           notes: list[str]) -> list[Check]:
        polarity = self._polarity_near(first, last, start, end)
        checks = []
        for mention in mentions:
            element = self.element(mention)
            self.used.update(range(mention.start, mention.end))
            if element.kind == "result":
                notes.append(f"{mention.text} beside a test result is not read.")
                continue
            if self._compound(mention, start, end):
                notes.append(f"{mention.text} joined to another element by 'with' is not read.")
                continue
            negated = self._negated(mention, start, end)
            if polarity is None and element.kind == "finding":
                excluding = (self.kind == EXCLUSION) != negated
                if not excluding:
                    notes.append(f"A required {element.label} is not read.")
                    continue
                result = "negative"
            elif polarity is None:
                notes.append(f"No result read for {mention.text}.")
                continue
            else:
                self.used.update(range(polarity.start, polarity.end))
                stated = polarity.label_.split(":")[1]
                flip = (self.kind == EXCLUSION) != negated
                result = {"negative": "positive", "positive": "negative"}[stated] if flip else stated
            checks.append(self._qualitative(element.value_sets[0], element, result,
                                            (min(mention.start, polarity.start if polarity is not None else end),
                                             max(mention.end, polarity.end if polarity is not None else 0))))
        if joiner == "or" and len(checks) > 1:
            return [self.any_of(checks, self.chars(first, last))]
        return checks

    def _qualitative(self, value_set: str, element: Element, result: str, tokens: tuple[int, int],
                     label: str | None = None, window: int | None = None) -> Check:
        fields = {"element": self._element_json(element, value_set, label), "qualitative": result,
                  "window_days": None}
        return Check("latest-result", self.chars(*tokens), fields, self._meta(element, value_set, window))

    # -------------------------------------------------------- record mentions

    def _negated(self, mention: Any, start: int, end: int) -> bool:
        for cue in self.cues(start, mention.start, "pre:negation"):
            between = range(cue.end, mention.start)
            if not any(self.span_at(self.context, i, prefix="pre:termination") for i in between):
                self.used.update(range(cue.start, cue.end))
                return True
        for cue in self.cues(mention.end, end, "post:negation"):
            self.used.update(range(cue.start, cue.end))
            return self.kind != EXCLUSION  # "… are excluded" in an exclusion restates it
        return False

    def _has_cue_before(self, mention: Any, start: int, category: str, distance: int = 99) -> Any:
        for cue in self.cues(max(start, mention.start - distance), mention.start, category):
            return cue
        return None

    def _modifier(self, mention: Any, start: int) -> str | None:
        """A content word straight before the mention that no pattern reads ('cranial radiotherapy')."""
        i = mention.start - 1
        if i < start:
            return None
        token = self.doc[i]
        if not token.is_alpha or token.is_stop or self.element_cover[i] is not None:
            return None
        if any(self.context.get(j) for j in range(max(start, i - 4), i + 1)
               if any(s.end > i for s in self.context.get(j, []))):
            return None
        if any(s.end > i for j in range(max(start, i - 3), i + 1) for s in self.windows.get(j, []) + self.ages.get(j, [])):
            return None
        return token.text

    def _compound(self, mention: Any, start: int, end: int) -> bool:
        """'autoimmune disease with CNS involvement': two elements joined by 'with' name neither alone."""
        links = {"with", "without", "involving", "causing", "due", "to", "from", "by", "secondary", "related"}
        after = [t for t in self.doc[mention.end:min(end, mention.end + 3)] if not t.is_space]
        if after and after[0].lower_ in links:
            for token in after[1:]:
                if token.i in self.elements:
                    return True
        before = [t for t in self.doc[max(start, mention.start - 3):mention.start] if not t.is_space]
        if before and before[-1].lower_ in links:
            return any(self.element_cover[i] is not None for i in range(max(start, mention.start - 6),
                                                                         before[-1].i))
        return False

    def _timed(self, checks: list[Check], notes: list[str]) -> list[Check]:
        """'A negative pregnancy test within 7 days prior to enrollment': the window of a result."""
        window = getattr(self, "window", None)
        if window is None or not checks:
            return checks
        if window == "unreadable" or window[0] != "within" or window[2] is not None:
            notes.append("A window on a result, other than 'within N days/weeks', is not read.")
            return []
        timed = []
        for check in checks:
            for inner in check.fields["checks"] if check.kind == "any-of" else [check]:
                if inner.kind == "latest-result":
                    inner.fields["window_days"] = window[1]
            timed.append(check)
        return timed

    def read_mentions(self, start: int, end: int, notes: list[str]) -> list[Check]:
        window = getattr(self, "window", None)
        if window == "unreadable":
            return []
        checks: list[Check] = []
        exception = self.cues(start, end, "pre:exception")
        mentions = [self.elements[i] for i in range(start, end) if i in self.elements]
        limit = getattr(self, "limit", end)
        for mention in mentions:
            if mention.start >= limit:  # named by the exception, not by the condition
                self.used.update(range(mention.start, mention.end))
        mentions = [m for m in mentions if m.start < limit]
        previous_end = -10
        for mention in mentions:
            element = self.element(mention)
            if element.kind in ("result", "test", "finding"):
                previous_end = mention.end
                continue
            if element.kind == "unreadable":
                self.used.update(range(mention.start, mention.end))
                notes.append(element.note or f"{element.label} is not read.")
                previous_end = mention.end
                continue
            if element.generic_head and mention.start - previous_end <= 2:
                self.used.update(range(mention.start, mention.end))
                continue  # "HIV (…) infection": the head of the element before
            previous_end = mention.end
            if self._compound(mention, start, end):
                self.used.update(range(mention.start, mention.end))
                notes.append(f"'{mention.text}' joined to another element by 'with' is not read.")
                continue
            if element.test is not None and self._polarity_near(mention.start, mention.end, start, end):
                checks.extend(self._timed(self._test_of_presence(element, mention, start, end), notes))
                continue
            checks.extend(self._presence(element, mention, start, end, window, exception, notes))
        return checks

    def _test_of_presence(self, element: Element, mention: Any, start: int, end: int) -> list[Check]:
        assert element.test is not None
        polarity = self._polarity_near(mention.start, mention.end, start, end)
        self.used.update(range(mention.start, mention.end))
        self.used.update(range(polarity.start, polarity.end))
        stated = polarity.label_.split(":")[1]
        negated = self._negated(mention, start, end)
        flip = (self.kind == EXCLUSION) != negated
        result = {"negative": "positive", "positive": "negative"}[stated] if flip else stated
        value_set = element.test["value_sets"][0]
        return [self._qualitative(value_set, element, result,
                                  (min(mention.start, polarity.start), max(mention.end, polarity.end)),
                                  label=element.test["label"], window=element.test.get("default_window_days"))]

    def _presence(self, element: Element, mention: Any, start: int, end: int, window: Any,
                  exception: list[Any], notes: list[str]) -> list[Check]:
        self.used.update(range(mention.start, mention.end))
        modifier = self._modifier(mention, start)
        if modifier is not None:
            notes.append(f"'{modifier} {mention.text}' may name less than the value set {element.label}.")
            return []
        negated = self._negated(mention, start, end)
        excluding = (self.kind == EXCLUSION) != negated
        if excluding and element.requirable:
            notes.append(f"The trial's own disease ({mention.text}) named as excluding is read by the investigator.")
            return []
        if self.kind == EXCLUSION and negated:
            notes.append(f"A double negation around {mention.text} is not read.")
            return []
        active = element.active_only or self._has_cue_before(mention, start, "pre:active", 4) is not None
        if self._has_cue_before(mention, start, "pre:history") is not None:
            active = False
        for category in ("pre:active", "pre:history"):
            cue = self._has_cue_before(mention, start, category, 6)
            if cue is not None:
                self.used.update(range(cue.start, cue.end))
        present_means = "fail"
        doubtful = self._has_cue_before(mention, start, "pre:doubtful", 4)
        active_cue = self._has_cue_before(mention, start, "pre:active", 5)
        if doubtful is not None and active_cue is not None and "or" in {
                t.lower_ for t in self.doc[min(doubtful.end, active_cue.end):max(doubtful.start, active_cue.start)]}:
            self.used.update(range(doubtful.start, doubtful.end))  # "active or uncontrolled": any active one
            doubtful = None
        if doubtful is not None:
            self.used.update(range(doubtful.start, doubtful.end))
            present_means = "review"
        if exception:
            present_means = "review"
            cue = exception[0]
            self.used.update(range(cue.start, end))
        tokens = (mention.start, mention.end)
        if window is not None:
            rule, fail_days, review_days, w_first, w_end = window
            tokens = (min(mention.start, w_first), max(mention.end, w_end))
            allowed = {"at-least": not excluding or self.kind != EXCLUSION, "more-than": self.kind != EXCLUSION,
                       "less-than": self.kind == EXCLUSION, "within": excluding}
            if not allowed[rule] or (rule in ("at-least", "more-than") and negated):
                notes.append(f"A window around {mention.text} read in this sense is not computed.")
                return []
        elif not excluding:
            return self._required(element, mention, start, end, notes)
        checks = []
        for value_set in element.value_sets:
            label = value_sets()[value_set].label if len(element.value_sets) > 1 else element.label
            if window is None:
                checks.append(self._record(element, value_set, label, present_means, None, active, tokens))
                continue
            _, fail_days, review_days, _, _ = window
            checks.append(self._record(element, value_set, label, present_means, fail_days, active, tokens))
            if review_days is not None and review_days > fail_days:
                checks.append(self._record(element, value_set, label, "review", review_days, active, tokens))
        if element.partial_note:
            notes.append(element.partial_note)
        for check in checks:
            check.meta["mention"] = (mention.start, mention.end)
        return checks

    def _required(self, element: Element, mention: Any, start: int, end: int, notes: list[str]) -> list[Check]:
        requirement = self.cues(max(start, mention.start - 6), mention.start, "requirement")
        if element.requirable and requirement:
            self.used.update(range(requirement[0].start, requirement[0].end))
            return [self._record(element, element.value_sets[0], element.label, "pass", None, False,
                                 (requirement[0].start, mention.end))]
        notes.append(f"Whether {mention.text} is required or excluded is not read.")
        return []

    def _record(self, element: Element, value_set: str, label: str, present_means: str, window: int | None,
                active: bool, tokens: tuple[int, int]) -> Check:
        fields = {"element": self._element_json(element, value_set, label), "present_means": present_means,
                  "window_days": window, "active_only": bool(active)}
        return Check("record-presence", self.chars(*tokens), fields, self._meta(element, value_set))

    # ----------------------------------------------------------------- windows

    def read_window(self, start: int, end: int, notes: list[str]) -> Any:
        """The part's time window: (rule, fail days, review days or None, first, end), None, or 'unreadable'."""
        windows = self.patterns["windows"]
        for i in range(start, end):
            unit = self.span_at(self.windows, i, prefix="unit:")
            if unit is None or i - 1 < start:
                continue
            number_index = i - 1
            value = self.drafting.numbers.value(self.doc[number_index].text)
            within = None
            if value is None:
                within = self._within_cue(i, start)
                if within is None:
                    continue
                value, first = 1.0, within.start  # "within the last month"
            else:
                within = self._within_cue(number_index, start)
                first = within.start if within is not None else number_index
            name = unit.label_[5:]
            after = unit.end
            if name == "hour":
                notes.append("A window in hours is not read.")
                return "unreadable"
            if within is not None:
                rule = "within"
            else:
                comparator = self._comparator_before(number_index, start)
                since = self.span_at(self.windows, self._skip_fillers(after, end), "since")
                if since is None:
                    continue
                if comparator is None:
                    notes.append("A time since a record without 'at least' / 'more than' is not read.")
                    return "unreadable"
                first = comparator.start
                rule = windows["since_comparators"].get(comparator.label_)
                if rule is None:
                    return "unreadable"
                after = since.end
            anchor_ok = self._anchor(after, end)
            if not anchor_ok:
                notes.append("The window is counted from a date other than enrolment: not read.")
                return "unreadable"
            self.used.update(range(first, after))
            fail, review_days = self._days(rule, name, value)
            if fail is None or fail < 0:
                return "unreadable"
            return rule, fail, review_days, first, after
        return None

    def _within_cue(self, i: int, start: int) -> Any:
        for j in range(max(start, i - 4), i):
            cue = self.span_at(self.windows, j, "within")
            if cue is not None and cue.end >= i - 1 and all(
                    t.lower_ in ("the", "last", "past", "previous", "preceding", "prior") for t in self.doc[cue.end:i]):
                return cue
        return None

    def _comparator_before(self, i: int, start: int) -> Any:
        for j in range(max(start, i - 5), i):
            comparator = self.comparators.get(j)
            if comparator is not None and comparator.end == i:
                return comparator
        return None

    def _skip_fillers(self, i: int, end: int) -> int:
        while i < end and self.doc[i].lower_ in ("must", "have", "has", "elapsed", "passed", "be", "since", "the",
                                                  "completion", "of", "last", "dose", "ending", "end") \
                and self.span_at(self.windows, i, "since") is None:
            i += 1
        return i

    def _anchor(self, i: int, end: int) -> bool:
        """After the window: nothing, or 'prior to / before' + a date that is D (enrolment, study entry …)."""
        for j in range(i, end):
            anchor = self.span_at(self.windows, j, "anchor")
            if anchor is None or anchor.label_ != "anchor" or self.doc[j].lower_ in ("of", "prior"):
                if self.doc[j].lower_ not in ("prior", "before"):
                    continue
            k = (anchor.end if anchor is not None else j + 1)
            while k < end and self.doc[k].lower_ in ("the", "to", "start", "of", "time", "day", "study", "this"):
                if self.span_at(self.windows, k, "dref") is not None:
                    break
                k += 1
            dref = self.span_at(self.windows, k, "dref")
            if dref is None and k < end:
                return False
            if dref is not None:
                self.used.update(range(j, dref.end))
            return True
        return True

    def _days(self, rule: str, unit: str, value: float) -> tuple[int | None, int | None]:
        windows = self.patterns["windows"]
        offsets = windows["rules"][rule]
        if value != int(value):
            return None, None
        n = int(value)
        if unit in windows["unit_days"]:
            return n * int(windows["unit_days"][unit]) + int(offsets["exact"]), None
        months = n * int(windows["calendar_months"][unit])
        shortest, longest = calendar_span(months)
        return shortest + int(offsets["calendar_fail"]), longest + int(offsets["calendar_review"])


def demote(checks: list[Check], span: tuple[int, int], note: str) -> list[Check]:
    """Every computable check of a criterion to one review: a condition qualifies all of them."""
    if not any(c.kind != "review" for c in checks):
        return checks
    reviews = [c for c in checks if c.kind == "review"]
    return [review(span, note)] + reviews


def soften(checks: list[Check], span: tuple[int, int], note: str) -> list[Check]:
    """Checks of a criterion read only in part, whose unread part may narrow it (an exclusion's qualifier,
    a condition, an alternative elsewhere): what was read can pass the patient, never fail them — a record
    goes to review, a failing result or age gets a review alternative."""
    softened = []
    for check in checks:
        if check.kind == "record-presence" and check.fields["present_means"] in ("fail", "pass"):
            check.fields["present_means"] = "review" if check.fields["present_means"] == "fail" else "pass"
            if check.fields["present_means"] == "pass":
                softened.append(Check("any-of", check.span, {"checks": [check, review(span, note)]}))
                continue
            softened.append(check)
        elif check.kind in ("latest-result", "age"):
            softened.append(Check("any-of", check.span, {"checks": [check, review(span, note)]}))
        elif check.kind == "any-of":
            if not any(c.kind == "review" for c in check.fields["checks"]):
                check.fields["checks"].append(review(span, note))
            softened.append(check)
        else:
            softened.append(check)
    return softened


def _number(value: Any) -> int | float:
    decimal = Decimal(str(value))
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def _criterion_wide(drafting: Drafting, text: str, checks: list[Check],
                    scoped: list[tuple[int, int]] = ()) -> list[Check]:  # type: ignore[assignment]
    """A condition or a footnote mark anywhere in the criterion ('NOTE: *Non-leukemic patients only')
    may qualify every part of it: what was read cannot fail the patient. A condition inside an
    alternative ('… or a serum creatinine based on age') qualifies that alternative only."""
    if not any(c.kind != "review" for c in checks):
        return checks
    context = drafting.patterns["context"]
    lowered = text.lower()
    marks = [m for m in context.get("footnote_marks", []) if m in text]
    conditional = [c for c in context["pre"]["conditional"]
                   for found in re.finditer(rf"(?<![a-z]){re.escape(c.lower())}(?![a-z])", lowered)
                   if not any(a <= found.start() < b for a, b in scoped)]
    if not marks and not conditional:
        return checks
    what = f"a footnote mark '{marks[0]}'" if marks else f"a condition ('{conditional[0]}')"
    return demote(checks, (0, len(text.rstrip())), f"The criterion carries {what} the drafter does not resolve.")


ASIDE = re.compile(r"\(([^()]*)\)")


def asides(drafting: Drafting, text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with its asides blanked (same length, so offsets hold), and the asides to read alone.

    An aside is a parenthesis of two words or more that neither qualifies the
    criterion (an exception or a condition stays in place) nor is a bare
    abbreviation; "(e.g. …)" gives examples and is blanked without being read.
    """
    context = drafting.patterns["context"]["pre"]
    keep = [c.lower() for c in context["exception"] + context["conditional"]]
    blanked, found = list(text), []
    for match in ASIDE.finditer(text):
        inner = match.group(1).strip()
        lowered = f" {inner.lower()} "
        if len(inner.split()) < 2 or any(f" {cue} " in lowered for cue in keep):
            continue
        if not inner.lower().startswith(("e.g", "eg ", "for example", "such as")):
            found.append((match.start(1), match.end(1)))
        for i in range(match.start(), match.end()):
            blanked[i] = " "
    return "".join(blanked), found


def _shift(check: Check, offset: int) -> Check:
    check.span = (check.span[0] + offset, check.span[1] + offset)
    for inner in check.fields.get("checks", []) if check.kind == "any-of" else []:
        _shift(inner, offset)
    return check


def read_criterion(drafting: Drafting, text: str, kind: str) -> list[Check]:
    """The checks of one criterion's verbatim text (never raises on odd text)."""
    if not text or not text.strip():
        return []
    kind = kind if kind in (INCLUSION, EXCLUSION) else UNCLASSIFIED
    bare = text.strip().strip(".:;").strip().lower()
    if bare in drafting.patterns["context"].get("no_condition", []):
        return [review((0, len(text.rstrip())), "It states no condition of its own: " + _quote(text.split()))]
    main, aside_spans = asides(drafting, text)
    reader = Reader(drafting, drafting(main), kind, text)
    checks = reader.read() if main.strip() else []
    checks = _criterion_wide(drafting, text, checks, reader.scoped)
    for start, end in aside_spans:
        reader = Reader(drafting, drafting(text[start:end]), kind, text[start:end], aside=True)
        inner = reader.read()
        if reader.qualifies:
            checks = demote(checks, (0, len(text.rstrip())), "An age condition in parentheses qualifies it.")
        checks.extend(_shift(check, start) for check in inner)
    unique: dict[str, Check] = {}
    for check in checks:
        unique.setdefault(check.key(), check)
    found = list(unique.values())
    if not found:
        found = [review((0, len(text.rstrip())), "Nothing the drafter reads: " + _quote(text.split()))]
    return found


__all__ = ["Check", "read_criterion", "review", "soften", "demote", "calendar_span", "INCLUSION", "EXCLUSION", "UNCLASSIFIED"]
