"""A trial that is both a registry record and a computable model: one trial, one set of criteria (issue 18.5).

The record and the model both describe the trial's criteria, at the same IRIs
(``<trial>/I1`` …) but numbered differently (the record numbers header lines
and nested items too). Stored side by side, the union graph would state each
criterion twice, with two orders. So, once a trial has a model:

* its graph ``graph/trial/<NCT>`` is the model's (criteria, checks);
* the record goes to ``graph/registration/<NCT>`` in *registration form*: the
  registration facts as they are, the registered text as items under
  ``<trial>/registered/…`` (``bk:registeredCriterion``, ``bk:registeredSection``,
  never ``bk:criterion``), and each model criterion whose text is a registered
  item's linked to it by ``prov:wasDerivedFrom``.

The registration form is a pure function of the record's triples, so a record
stored before its model arrived is moved, not re-read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV

from ..namespaces import BK
from .entries import TERMINOLOGY_FORMAT, TURTLE_FORMAT, TrialEntry
from .trial_rdf import Triple, content_hash

#: blinakg's own model entry of a trial (``ontology/trials/<NCT>.ttl``) and the terminology entries it reads
BuiltinModel = Callable[[str], "tuple[TrialEntry, list[TrialEntry]] | None"]

#: The identifiers :func:`blinakg.registry.trial_rdf.add_criteria` gives criteria and header lines.
_ITEM_ID = re.compile(r"^[IECS]\d+(?:\.\d+)*$")
_MOVED_PREDICATES = {BK.criterion: BK.registeredCriterion, BK.section: BK.registeredSection}


def _registered(term: object, trial: URIRef) -> object:
    """``<trial>/I3.1`` -> ``<trial>/registered/I3.1``; other terms as they are."""
    if isinstance(term, URIRef) and term.startswith(f"{trial}/"):
        rest = term[len(trial) + 1:]
        if _ITEM_ID.match(rest):
            return URIRef(f"{trial}/registered/{rest}")
    return term


def registration_form(content: set[Triple], trial: URIRef) -> set[Triple]:
    """A record's triples with its text as registered items (see the module's docstring); links left out."""
    moved: set[Triple] = set()
    for s, p, o in content:
        if p == PROV.wasDerivedFrom:  # a link to a model's criterion: recomputed, never carried over
            continue
        predicate = _MOVED_PREDICATES.get(p, p) if s == trial else p  # type: ignore[call-overload]
        moved.add((_registered(s, trial), predicate, _registered(o, trial)))  # type: ignore[arg-type]
    return moved


def _normal(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def criterion_links(registration: set[Triple], model: set[Triple], trial: URIRef) -> set[Triple]:
    """``<model criterion> prov:wasDerivedFrom <registered item>`` where their texts are the same
    (whitespace and case aside)."""
    registered: dict[str, URIRef] = {}
    for s, p, o in registration:
        if p == BK.verbatimText and isinstance(s, URIRef) and s.startswith(f"{trial}/registered/"):
            registered.setdefault(_normal(o), s)
    criteria = {o for s, p, o in model if s == trial and p == BK.criterion}
    links: set[Triple] = set()
    for s, p, o in model:
        if p == BK.verbatimText and s in criteria and isinstance(o, Literal):
            item = registered.get(_normal(o))
            if item is not None:
                links.add((s, PROV.wasDerivedFrom, item))
    return links


def has_criteria(content: set[Triple], trial: URIRef) -> bool:
    """Whether a model's triples give the trial criteria with checks (a computable model)."""
    criteria = {o for s, p, o in content if s == trial and p == BK.criterion}
    return any(s in criteria and p == BK.check for s, p, _ in content)




# ---------------------------------------------------------------------------
#  At import: which records take the registration form, which stored records move
# ---------------------------------------------------------------------------

_STORED = (
    "SELECT ?g ?format ?source ?date WHERE {{ GRAPH ?g {{ ?g <https://w3id.org/blinakg/ontology#sourceFormat> "
    "?format . OPTIONAL {{ ?g <http://purl.org/dc/terms/source> ?source }} "
    "OPTIONAL {{ ?g <https://w3id.org/blinakg/ontology#recordDate> ?date }} }} "
    'FILTER (STRSTARTS(STR(?g), "{trial}") || STRSTARTS(STR(?g), "{registration}")) }}'
)
# A graph's own triples, less its provenance (on the graph IRI and the software agent).
_CONTENT = ("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} "
            'FILTER (?s != <{g}> && !STRSTARTS(STR(?s), "https://w3id.org/blinakg/software/")) }}')


@dataclass
class Stored:
    """What the store says of one trial or registration graph."""

    source_format: str
    source: str
    record_date: dt.date | None


def stored_graphs(store: Any) -> dict[str, Stored]:
    """The stored trial and registration graphs, by graph IRI."""
    from .entries import REGISTRATION_GRAPH_BASE, TRIAL_GRAPH_BASE

    found: dict[str, Stored] = {}
    result = store.query(_STORED.format(trial=TRIAL_GRAPH_BASE, registration=REGISTRATION_GRAPH_BASE))
    for graph, fmt, source, date in result.rows:
        day = None
        if date is not None:
            try:
                day = dt.date.fromisoformat(str(date))
            except ValueError:
                day = None
        found[str(graph)] = Stored(str(fmt), "" if source is None else str(source), day)
    return found


def stored_content(store: Any, graph: URIRef | str) -> set[Triple]:
    """A stored graph's triples, provenance left out."""
    return set(store.query(_CONTENT.format(g=graph)).graph)  # type: ignore[arg-type]


def _installed_model(installed: Graph, trial: URIRef) -> set[Triple] | None:
    """The trial's criteria as the installed model (``ontology/*.ttl``: NCT04604691) states them."""
    criteria = set(installed.objects(trial, BK.criterion))
    if not criteria:
        return None
    content: set[Triple] = {(trial, BK.criterion, c) for c in criteria}
    for criterion in criteria:
        content |= {(criterion, p, o) for p, o in installed.predicate_objects(criterion)  # type: ignore[misc]
                    if p in (BK.verbatimText, BK.check)}
    return content


def _is_record(entry: TrialEntry) -> bool:
    return entry.source_format not in (TURTLE_FORMAT, TERMINOLOGY_FORMAT)


def _is_model(entry: TrialEntry) -> bool:
    return entry.source_format == TURTLE_FORMAT and entry.trial is not None and has_criteria(entry.content,
                                                                                              entry.trial)


def _as_registration(entry: TrialEntry, model: set[Triple]) -> TrialEntry:
    assert entry.trial is not None
    content = registration_form(entry.content, entry.trial)
    content |= criterion_links(content, model, entry.trial)
    return TrialEntry(nct=entry.nct, trial=entry.trial, content=content, hash=content_hash(content),
                      source=entry.source, source_format=entry.source_format, record_date=entry.record_date,
                      registration=True, unasked=entry.unasked)


def settle(entries: list[TrialEntry], store: Any, installed: Graph, builtin_model: BuiltinModel) -> list[TrialEntry]:
    """The entries to store, once each trial's model is known (module docstring).

    * a record of a trial with a model (of the import, in the store, blinakg's
      own) becomes a registration entry, and blinakg's own model is added when
      the store holds none;
    * a model imported over a stored record moves that record to its
      registration graph; a stored registration graph gets its links again.

    Args:
        builtin_model: blinakg's own model entry of a trial and the terminology it reads, or None.
    """
    stored = stored_graphs(store)
    models = {e.nct: e for e in entries if _is_model(e)}
    given = {str(e.graph_iri) for e in entries}
    settled: list[TrialEntry] = []
    extra: list[TrialEntry] = []
    for entry in entries:
        if not _is_record(entry) or entry.trial is None:
            settled.append(entry)
            continue
        model = _model_of(entry, models, stored, store, installed, builtin_model, extra, given)
        settled.append(entry if model is None else _as_registration(entry, model))
    records = {e.nct for e in entries if _is_record(e)}
    for nct, model_entry in models.items():
        trial_graph = stored.get(str(model_entry.graph_iri))
        if trial_graph is not None and trial_graph.source_format not in (TURTLE_FORMAT, TERMINOLOGY_FORMAT):
            model_entry.unasked = True  # the stored record moves to its registration graph
        if nct in records:
            continue
        assert model_entry.trial is not None
        moved = _stored_registration(model_entry, stored, store)
        if moved is not None:
            settled.append(_as_registration(moved, model_entry.content))
    return settled + extra


def _model_of(record: TrialEntry, models: dict[str, TrialEntry], stored: dict[str, Stored], store: Any,
              installed: Graph, builtin_model: BuiltinModel, extra: list[TrialEntry],
              given: set[str]) -> set[Triple] | None:
    """The model a record's criteria are linked to: the import's, the store's, blinakg's own; or None."""
    assert record.trial is not None
    if record.nct in models:
        return models[record.nct].content
    trial_graph = str(record.graph_iri)
    here = stored.get(trial_graph)
    if here is not None and here.source_format == TURTLE_FORMAT:
        content = stored_content(store, trial_graph)
        if has_criteria(content, record.trial):
            return content
    own = builtin_model(record.nct)
    if own is not None:
        entry, terminology = own
        if here is not None and here.source_format not in (TURTLE_FORMAT, TERMINOLOGY_FORMAT):
            entry.unasked = True  # the stored record becomes the registration entry
        extra.append(entry)
        for needed in terminology:
            if str(needed.graph_iri) not in given:
                given.add(str(needed.graph_iri))
                extra.append(needed)
        return entry.content
    return _installed_model(installed, record.trial)


def _stored_registration(model: TrialEntry, stored: dict[str, Stored], store: Any) -> TrialEntry | None:
    """The stored record a model's import moves or links again, as a criteria-form entry; or None."""
    from .entries import REGISTRATION_GRAPH_BASE, TRIAL_GRAPH_BASE

    for base in (TRIAL_GRAPH_BASE, REGISTRATION_GRAPH_BASE):
        graph = base + model.nct
        found = stored.get(graph)
        if found is None or found.source_format in (TURTLE_FORMAT, TERMINOLOGY_FORMAT):
            continue
        content = stored_content(store, graph)
        return TrialEntry(nct=model.nct, trial=model.trial, content=content, hash="", source=found.source,
                          source_format=found.source_format, record_date=found.record_date, unasked=True)
    return None


__all__ = ["registration_form", "criterion_links", "has_criteria", "settle", "stored_graphs", "stored_content",
           "BuiltinModel", "Stored"]
