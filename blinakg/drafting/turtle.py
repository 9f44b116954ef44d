"""A drafted trial as a Turtle trial model, in the vocabulary of the authored models.

The model is the trial's registered graph (registration facts, sections,
criterion nodes with their IDs and verbatim text, as ``registry import`` stores
them) plus, on every criterion, its drafted checks: each with ``bk:spanStart``
/ ``bk:spanEnd`` and ``prov:wasGeneratedBy`` the drafter and its version, as is
the trial. Class and property names come from ``patterns/vocabulary.json``
(one mapping, renamed there). ``registry import --replace`` accepts the file;
the trial is then computable.

Two things the model cannot state the way the JSON does, written as the
authored models write them:

* an age bound in days or weeks (the engine reads years and months): an
  investigator-judgement check saying so;
* an any-of, when the model declares no any-of check class: its first
  computable alternative reports review instead of fail (``bk:statusIfFail`` /
  ``bk:statusIfPresent``), with a note naming the others — the authored
  models' "OR with an alternative no check reads".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, XSD

from . import DRAFTER_NAME, DRAFTER_VERSION
from .compose import Check
from .patterns import Patterns, load_patterns
from .source import CriterionText, TrialText, node_iri

BK = Namespace("https://w3id.org/blinakg/ontology#")
VS = Namespace("https://w3id.org/blinakg/valueset/")


def drafter_iri(patterns: Patterns | None = None) -> URIRef:
    vocabulary = (patterns or load_patterns())["vocabulary"]
    return URIRef(f"{vocabulary['drafter']}{DRAFTER_VERSION}")


def model_declares(local_name: str) -> bool:
    """Whether the installed ontology declares ``bk:<local_name>`` (the any-of class, once it exists)."""
    from ..namespaces import BK as DECLARED

    try:
        DECLARED.term(local_name)
    except (AttributeError, KeyError, ValueError):
        return False
    return True


class Writer:
    """Writes the checks of one trial into a graph."""

    def __init__(self, graph: Graph, patterns: Patterns):
        self.graph = graph
        self.vocabulary = patterns["vocabulary"]
        self.drafter = drafter_iri(patterns)
        self.any_of_class = self.vocabulary["check_classes"].get("any-of")
        self.any_of_declared = bool(self.any_of_class) and model_declares(self.any_of_class)

    def term(self, name: str) -> URIRef:
        return BK[name]

    def add(self, subject: URIRef, name: str, value: Any) -> None:
        self.graph.add((subject, self.term(name), value))

    def check(self, node: URIRef, iri: URIRef, check: Check, text: str, attach: bool = True) -> None:
        """One check: its class, parameters, span, provenance; linked to the criterion when ``attach``."""
        if check.kind == "any-of":
            self.any_of(node, iri, check, text)
            return
        if check.kind == "age" and not self._age_readable(check):
            check = Check("review", check.span, {"note": "An age bound in days or weeks: the engine reads ages "
                                                          "in years and months; for the investigator."})
        graph = self.graph
        graph.add((iri, RDF.type, self.term(self.vocabulary["check_classes"][check.kind])))
        graph.add((iri, RDF.type, OWL.NamedIndividual))
        if attach:  # an any-of's alternatives hang off the any-of only, never off the criterion
            graph.add((node, BK.check, iri))
            self.add(iri, "criterion", node)
        self.add(iri, self.vocabulary["span_start"], Literal(check.span[0]))
        self.add(iri, self.vocabulary["span_end"], Literal(check.span[1]))
        graph.add((iri, PROV.wasGeneratedBy, self.drafter))
        words = text[check.span[0]:check.span[1]]
        {"age": self.age, "latest-result": self.latest_result, "record-presence": self.record_presence,
         "review": self.review}[check.kind](iri, check, words)

    def _label(self, iri: URIRef, label: str) -> None:
        self.add(iri, self.vocabulary["label"], Literal(label[:120]))

    def _element(self, iri: URIRef, check: Check) -> None:
        meta = check.meta
        self._label(iri, check.fields["element"]["label"])
        self.add(iri, "valueSet", VS[meta["value_set"]])
        if meta.get("fallback_value_set"):
            self.add(iri, "fallbackValueSet", VS[meta["fallback_value_set"]])
        if meta.get("applicable_to"):
            self.add(iri, self.vocabulary["applicable_to"], BK[meta["applicable_to"]])

    def latest_result(self, iri: URIRef, check: Check, words: str) -> None:
        fields = check.fields
        self._element(iri, check)
        window = fields.get("window_days")
        if window is None:
            window = check.meta.get("default_window_days")
        if window is not None:
            self.add(iri, "windowDays", Literal(int(window)))
        if fields.get("qualitative"):
            self.add(iri, "passPolarity", Literal(fields["qualitative"]))
            return
        self.add(iri, "passWhen", Literal(fields["pass_when"]))
        if fields.get("uln_multiple") is not None:
            self.add(iri, "ulnMultiple", Literal(Decimal(str(fields["uln_multiple"]))))
        else:
            self.add(iri, "threshold", Literal(Decimal(str(fields["threshold"]))))
            self.add(iri, "unit", Literal(fields["unit"]))

    def record_presence(self, iri: URIRef, check: Check, words: str) -> None:
        fields = check.fields
        self._element(iri, check)
        self.add(iri, "activeOnly", Literal(bool(fields["active_only"])))
        if fields.get("window_days") is not None:
            self.add(iri, "windowDays", Literal(int(fields["window_days"])))
        for prop, status in self.vocabulary["present_means"][fields["present_means"]]:
            self.add(iri, prop, BK[status])
        if fields["present_means"] == "review":
            self.add(iri, self.vocabulary["note"], Literal(f"A record goes to the investigator: '{words}'."))

    def _age_readable(self, check: Check) -> bool:
        units = {b["unit"] for b in (check.fields.get("min_age"), check.fields.get("max_age")) if b}
        return bool(units) and units <= {"year", "month"}

    def age(self, iri: URIRef, check: Check, words: str) -> None:
        fields = check.fields
        names = self.vocabulary["age"]
        self._label(iri, f"age: {words}")
        for position, key in ((0, "min_age"), (1, "max_age")):
            bound = fields.get(key)
            if bound:
                self.add(iri, names[bound["unit"]][position], Literal(int(bound["value"])))
        if fields.get("min_age") and fields.get("min_inclusive") is False:
            self.add(iri, names["min_inclusive"], Literal(False))
        if fields.get("max_age") and fields.get("max_inclusive") is True:
            self.add(iri, names["max_inclusive"], Literal(True))

    def review(self, iri: URIRef, check: Check, words: str) -> None:
        self._label(iri, words or "criterion")
        self.add(iri, self.vocabulary["note"], Literal(check.fields["note"]))

    def any_of(self, node: URIRef, iri: URIRef, check: Check, text: str) -> None:
        alternatives: list[Check] = check.fields["checks"]
        if self.any_of_declared:
            graph = self.graph
            graph.add((iri, RDF.type, self.term(str(self.any_of_class))))
            graph.add((iri, RDF.type, OWL.NamedIndividual))
            graph.add((node, BK.check, iri))
            self.add(iri, "criterion", node)
            self.add(iri, self.vocabulary["span_start"], Literal(check.span[0]))
            self.add(iri, self.vocabulary["span_end"], Literal(check.span[1]))
            graph.add((iri, PROV.wasGeneratedBy, self.drafter))
            self._label(iri, text[check.span[0]:check.span[1]])
            for number, alternative in enumerate(alternatives, start=1):
                inner = URIRef(f"{iri}-alt-{number}")
                self.add(iri, self.vocabulary["any_of_alternative"], inner)
                self.check(node, inner, alternative, text, attach=False)
            return
        self.any_of_fallback(node, iri, check, text)

    def any_of_fallback(self, node: URIRef, iri: URIRef, check: Check, text: str) -> None:
        alternatives: list[Check] = check.fields["checks"]
        first = next((a for a in alternatives if a.kind in ("latest-result", "record-presence")), None)
        others = [text[a.span[0]:a.span[1]] for a in alternatives if a is not first]
        if first is None:
            self.check(node, iri, Check("review", check.span, {"note": "Alternatives the drafter cannot compute: "
                                                                       + " / ".join(others)}), text)
            return
        self.check(node, iri, first, text)
        if first.kind == "latest-result":
            self.add(iri, "statusIfFail", BK.Review)
        else:
            self.graph.remove((iri, BK.statusIfPresent, None))
            self.graph.remove((iri, BK.statusIfAbsent, None))
            status = "statusIfPresent" if first.fields["present_means"] != "pass" else "statusIfAbsent"
            self.add(iri, status, BK.Review)
        self.graph.remove((iri, self.term(self.vocabulary["note"]), None))
        self.add(iri, self.vocabulary["note"], Literal("Or: " + " / ".join(f"'{o}'" for o in others)
                                                       + " — the alternative is for the investigator."))


def trial_model(trial: TrialText, drafted: list[tuple[CriterionText, list[Check]]],
                patterns: Patterns | None = None) -> Graph:
    """The drafted trial model: the registered graph plus the drafted checks."""
    patterns = patterns or load_patterns()
    graph = Graph()
    for triple in trial.graph:
        graph.add(triple)
    graph.bind("bk", BK)
    graph.bind("vs", VS)
    graph.bind("prov", PROV)
    graph.bind("xsd", XSD)
    writer = Writer(graph, patterns)
    trial_node = URIRef(f"https://w3id.org/blinakg/trial/{trial.nct}")
    graph.add((trial_node, PROV.wasGeneratedBy, writer.drafter))
    for criterion, checks in drafted:
        node = node_iri(trial, criterion)
        for number, check in enumerate(checks, start=1):
            writer.check(node, URIRef(f"{node}-draft-{number}"), check, criterion.text)
    return graph


def turtle_text(graph: Graph, trial: TrialText) -> str:
    header = (f"# Drafted by {DRAFTER_NAME} {DRAFTER_VERSION} from the registered eligibility text of "
              f"{trial.nct}.\n# Every check is a draft (prov:wasGeneratedBy); review it before relying on it.\n")
    return header + graph.serialize(format="turtle")


__all__ = ["trial_model", "turtle_text", "drafter_iri", "DRAFTER_NAME"]
