"""The drafter's spaCy pipeline: a blank English tokeniser and named matcher components.

Each component finds one kind of thing and writes it to ``doc.spans[<name>]``
(span labels carry what was found: an element ID, a comparator, a UCUM code,
a cue category); :mod:`blinakg.drafting.compose` turns the spans into checks.
No model is downloaded: ``spacy.blank("en")`` with tokeniser rules, and
``PhraseMatcher``/``Matcher`` over the pattern files (medspaCy's ConText is not
used: medspaCy 1.3 pins spaCy below 3.8 on Python 3.11 and pulls QuickUMLS and
PyRuSH in; the ConText cues are data in ``patterns/context.json``).

Components, in order (each testable alone on a ``Doc``):

==================  ==========================================================
``bk_elements``     data elements of ``elements.json`` (label: element id)
``bk_comparators``  comparators (label: ge, gt, le, lt, eq)
``bk_numbers``      numbers, numerals and number words (label: ``number``)
``bk_units``        units (label: UCUM code)
``bk_uln``          multipliers, ULN and "normal" phrases (label: mult, uln, normal, after)
``bk_windows``      time units and window cues (label: unit:<u>, since, within, anchor, dref)
``bk_ages``         age cues, age comparators and joiners (label: cue, not-now, cmp:<op>, post:<op>, join, join-lt, prefix)
``bk_context``      ConText cues (label: pre:<category> / post:<category>, polarity:<p>, requirement, label, filler)
==================  ==========================================================
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterable

from .patterns import Patterns, load_patterns

#: Extra tokeniser rules: comparator signs split from what follows, slashes
#: and carets split, digits split from letters ("70ml", "3.0x", "mm3").
PREFIXES = [r"[≥≤≧≦<>=~±]"]
INFIXES = [r"[/^≥≤<>=]", r"(?<=[0-9])(?=[A-Za-zµμ×%⁰¹²³⁴⁵⁶⁷⁸⁹])", r"(?<=[A-Za-zµμ×])(?=[0-9])",
           r"(?<=[0-9])(?=[×x])", r"(?<=[A-Za-z])[-](?=[A-Za-z])", r"(?<=[0-9])[-–](?=[0-9])",
           r"(?<=[A-Za-z0-9])[;:](?=[A-Za-z0-9])", r"(?<=[0-9])[-](?=[A-Za-z])"]
SUFFIXES = [r"%", r"[≥≤<>=]"]
NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")


def _make_nlp() -> Any:
    import spacy
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    nlp = spacy.blank("en")
    defaults: Any = nlp.Defaults
    tokenizer: Any = nlp.tokenizer
    tokenizer.prefix_search = compile_prefix_regex(PREFIXES + list(defaults.prefixes or ())).search
    tokenizer.suffix_search = compile_suffix_regex(SUFFIXES + list(defaults.suffixes or ())).search
    tokenizer.infix_finditer = compile_infix_regex(INFIXES + list(defaults.infixes or ())).finditer
    # spaCy's emoticon exceptions would keep "<3" ("< 3") and ":)" whole: drop those with signs or digits
    tokenizer.rules = {key: value for key, value in (tokenizer.rules or {}).items()
                       if not any(c in key for c in "<>=0123456789")}
    # Exceptions such as "a.m." keep their dots; "e.g." and "i.e." too. Nothing else is special.
    return nlp


def _is_abbreviation(phrase: str) -> bool:
    """All capitals (and digits/signs): matched case-sensitively ("ALL" is not "all")."""
    letters = [c for c in phrase if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(phrase) <= 12


class PhraseComponent:
    """A named component: phrases -> labelled spans in ``doc.spans[name]``, longest first, no overlaps."""

    def __init__(self, nlp: Any, name: str, phrases: Iterable[tuple[str, str]], overlap: bool = False):
        from spacy.matcher import PhraseMatcher

        self.name = name
        self.overlap = overlap
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.labels: dict[int, str] = {}
        grouped: dict[tuple[str, bool], list[Any]] = {}
        for label, phrase in phrases:
            exact = _is_abbreviation(phrase)
            grouped.setdefault((label, exact), []).extend(self._forms(nlp, phrase))
        for (label, exact), docs in grouped.items():
            key = f"{name}|{label}"
            (self.exact if exact else self.lower).add(key, docs)
            self.labels[nlp.vocab.strings[key]] = label

    @staticmethod
    def _forms(nlp: Any, phrase: str) -> list[Any]:
        """The phrase tokenised alone and, for a unit-like phrase ("/mm³", "x 10^9/L"), as it is
        tokenised after a number ("500/mm³" splits where "/mm³" alone does not)."""
        from spacy.tokens import Doc

        forms = [nlp.make_doc(phrase)]
        if phrase[:1] in "/x×X*" or phrase[:1].isalpha():
            glued = nlp.make_doc("1" + phrase)
            if len(glued) > 1 and glued[0].text == "1":
                words = [t.text for t in glued[1:]]
                form = Doc(nlp.vocab, words=words, spaces=[bool(t.whitespace_) for t in glued[1:]])
                if words != [t.text for t in forms[0]]:
                    forms.append(form)
        return forms

    def __call__(self, doc: Any) -> Any:
        from spacy.tokens import Span
        from spacy.util import filter_spans

        found = [Span(doc, start, end, label=self.labels[match_id])
                 for matcher in (self.exact, self.lower) for match_id, start, end in matcher(doc)]
        doc.spans[self.name] = found if self.overlap else filter_spans(found)
        return doc


class NumberComponent:
    """Numbers ("1,000", "1.5", ".5") and number words ("seven") as ``doc.spans["bk_numbers"]``."""

    name = "bk_numbers"

    def __init__(self, words: dict[str, int]):
        self.words = {k.lower(): v for k, v in words.items()}

    def __call__(self, doc: Any) -> Any:
        from spacy.tokens import Span

        spans = []
        for token in doc:
            if NUMBER.match(token.text) or token.lower_ in self.words:
                spans.append(Span(doc, token.i, token.i + 1, label="number"))
        doc.spans[self.name] = spans
        return doc

    def value(self, text: str) -> float | None:
        """The number a token states, or None."""
        if NUMBER.match(text):
            return float(text.replace(",", ""))
        found = self.words.get(text.lower())
        return None if found is None else float(found)


def _pairs(mapping: dict[str, list[str]], prefix: str = "") -> list[tuple[str, str]]:
    return [(prefix + label, phrase) for label, phrases in mapping.items() for phrase in phrases]


def _element_phrases(patterns: Patterns) -> list[tuple[str, str]]:
    return [(element.id, phrase) for element in patterns.elements.values() for phrase in element.phrases]


def _uln_phrases(patterns: Patterns) -> list[tuple[str, str]]:
    uln = patterns["uln"]
    return (_pairs({"mult": uln["multipliers"], "uln": uln["uln"], "normal": uln["normal"],
                    "after": uln["after_uln"]}))


def _window_phrases(patterns: Patterns) -> list[tuple[str, str]]:
    windows, context = patterns["windows"], patterns["context"]
    return (_pairs(windows["units"], "unit:") + _pairs({"since": windows["since"], "within": windows["within"],
                                                         "anchor": windows["anchor"],
                                                         "dref": context["d_references"]}))


def _age_phrases(patterns: Patterns) -> list[tuple[str, str]]:
    ages = patterns["ages"]
    return (_pairs({"cue": ages["cues"], "not-now": ages["not_now"], "join": ages["range_joiners"],
                    "join-lt": ages["range_exclusive_upper"], "prefix": ages["range_prefix"]})
            + _pairs(ages["comparators"], "cmp:") + _pairs(ages["postfix"], "post:")
            + _pairs(ages["units"], "unit:"))


def _context_phrases(patterns: Patterns) -> list[tuple[str, str]]:
    context = patterns["context"]
    return (_pairs(context["pre"], "pre:") + _pairs(context["post"], "post:")
            + _pairs(context["polarity"], "polarity:")
            + _pairs({"requirement": context["requirement"], "label": context["labels"],
                      "filler": context["filler"], "applies": context.get("applies", [])}))


class Drafting:
    """The loaded pipeline: the tokeniser and the components, in order."""

    def __init__(self, patterns: Patterns):
        self.patterns = patterns
        self.nlp = _make_nlp()
        nlp = self.nlp
        self.numbers = NumberComponent(patterns["windows"].get("numbers", {}))
        self.components: list[Callable[[Any], Any]] = [
            PhraseComponent(nlp, "bk_elements", _element_phrases(patterns)),
            PhraseComponent(nlp, "bk_comparators", _pairs(patterns["comparators"]["comparators"])),
            self.numbers,
            PhraseComponent(nlp, "bk_units", _pairs(patterns["units"]["units"])),
            PhraseComponent(nlp, "bk_uln", _uln_phrases(patterns), overlap=True),
            PhraseComponent(nlp, "bk_windows", _window_phrases(patterns), overlap=True),
            PhraseComponent(nlp, "bk_ages", _age_phrases(patterns), overlap=True),
            PhraseComponent(nlp, "bk_context", _context_phrases(patterns), overlap=True),
        ]

    def __call__(self, text: str) -> Any:
        doc = self.nlp.make_doc(text)
        for component in self.components:
            doc = component(doc)
        return doc


@lru_cache(maxsize=2)
def load_pipeline() -> Drafting:
    """The pipeline over the installed pattern files (built once: ~1 s)."""
    return Drafting(load_patterns())


__all__ = ["Drafting", "load_pipeline", "PhraseComponent", "NumberComponent"]
