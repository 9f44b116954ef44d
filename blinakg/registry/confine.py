"""What an imported graph may state: each trial's model confined to its own trial (issue 19.1).

A shared registry takes trial models from others. Screening evaluates every
trial's checks over one model graph, so a model stating one triple about
another trial's check (``<…/NCT04604691/I5-anc> a bk:InvestigatorJudgementCheck``)
would rewrite that trial. docs/registry.md, "What an imported model may state":

* a **trial model** states triples only about its own trial: every subject is
  blinakg's IRI of the trial (``https://w3id.org/blinakg/trial/<NCT>``) or the
  model's own trial IRI when outside blinakg's namespace, an IRI under one (``<trial>/…``: criteria, checks, its own
  value sets and tables), or a blank node reachable from those; besides, the
  registration links a record has (MeSH concepts, organisations) with their
  labels. It states nothing that changes the meaning of a shared term, even on
  its own nodes: no ``rdfs:subClassOf``, ``owl:sameAs``, domains, ranges,
  equivalences, SHACL;
* a **terminology file** (shared value sets, concepts, code rules, tables)
  states nothing about a trial, a term of blinakg's ontology (``bk:``) or a
  value set or table the installed model defines (``vs:anc`` is blinakg's), and
  no schema statements either. It may add facts about concepts and codes the
  model also uses (what a code means, which class it is): that is what
  terminology is for, and why a terminology file is shared by every trial
  that reads it.

The same rules are checked at import (exit 2 naming the foreign subjects,
nothing written) and applied again when screening reads a trial's graph from
the store (:func:`confined`), so a store written by another tool cannot leak
one trial into another.
"""

from __future__ import annotations

from typing import Iterable

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from ..errors import InputError
from ..namespaces import BK
from .trial_rdf import MESH_BASE, ORG_BASE, SCHEMA, TRIAL_BASE, Triple

MAX_NAMED = 5

#: The statements a record makes about the shared MeSH and organisation nodes (trial_rdf.add_mesh, add_organisation).
_SHARED_NODE_PREDICATES = {RDF.type, RDFS.label, SKOS.prefLabel, SKOS.inScheme, SKOS.notation, SKOS.exactMatch}
_SHARED_NODE_TYPES = {SKOS.Concept, BK.Organisation, SCHEMA.Organization}
#: Predicates that change what shared terms mean, whatever their subject.
_SCHEMA_PREDICATES = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.sameAs,
                      OWL.equivalentClass, OWL.equivalentProperty, OWL.inverseOf, OWL.imports,
                      OWL.propertyChainAxiom, OWL.hasKey, OWL.disjointWith, OWL.unionOf, OWL.intersectionOf,
                      OWL.onProperty, OWL.complementOf, OWL.oneOf}
_ALLOWED_OWL_TYPES = {OWL.NamedIndividual}


def _schema_statement(triple: Triple) -> bool:
    """Whether a triple says what a term means (an axiom, a class or property declaration, a shape)."""
    _, p, o = triple
    if p in _SCHEMA_PREDICATES or (isinstance(p, URIRef) and str(p).startswith(str(SH))):
        return True
    if p == RDF.type and isinstance(o, URIRef) and o not in _ALLOWED_OWL_TYPES:
        return any(str(o).startswith(str(ns)) for ns in (OWL, RDFS, SH)) or o == RDF.Property
    return False


def _reachable(triples: set[Triple], roots: set[Node]) -> set[Node]:
    """The blank nodes reachable from the roots through objects."""
    by_subject: dict[Node, list[Node]] = {}
    for s, _, o in triples:
        if isinstance(o, BNode):
            by_subject.setdefault(s, []).append(o)
    found: set[Node] = set()
    todo = [o for root in roots for o in by_subject.get(root, [])]
    while todo:
        node = todo.pop()
        if node in found:
            continue
        found.add(node)
        todo.extend(by_subject.get(node, []))
    return found


BLINAKG_BASE = "https://w3id.org/blinakg/"


def roots(nct: str, node: Node | None = None) -> set[URIRef]:
    """The IRIs a model of trial ``nct`` owns (with what is under them): blinakg's IRI of the trial, and
    the model's own trial IRI when it is outside blinakg's namespace (a value set or another trial's node
    named as "the trial" would own what it must not)."""
    from .trial_rdf import trial_iri

    found = {trial_iri(nct)}
    if isinstance(node, URIRef) and not str(node).startswith(BLINAKG_BASE):
        found.add(node)
    return found


def _own(node: Node, trials: set[URIRef]) -> bool:
    return isinstance(node, URIRef) and any(node == t or str(node).startswith(f"{t}/") for t in trials)


def _shared_node(triple: Triple) -> bool:
    s, p, o = triple
    if not (isinstance(s, URIRef) and (str(s).startswith(MESH_BASE) or str(s).startswith(ORG_BASE))):
        return False
    return p in _SHARED_NODE_PREDICATES and (p != RDF.type or o in _SHARED_NODE_TYPES)


def _trial_allowed(triples: set[Triple], trials: set[URIRef]) -> set[Triple]:
    """The triples of a trial model that state only what its trial may (module docstring)."""
    own = {s for s, _, _ in triples if _own(s, trials)}
    inside = own | _reachable(triples, own)
    return {t for t in triples if not _schema_statement(t) and (t[0] in inside or _shared_node(t))}


def confined(triples: Iterable[Triple], nct: str, node: Node | None = None) -> set[Triple]:
    """What screening takes of a trial's stored graph: its own statements only (``node``: its trial IRI)."""
    return _trial_allowed(set(triples), roots(nct, node))


def _describe(triples: set[Triple], refused: set[Triple]) -> str:
    subjects = sorted({str(s) if isinstance(s, URIRef) else "a blank node" for s, _, _ in refused})
    schema = sorted({str(t[1] if t[1] != RDF.type else t[2]) for t in refused if _schema_statement(t)})
    shown = ", ".join(f"<{s}>" if s != "a blank node" else s for s in subjects[:MAX_NAMED])
    more = f" and {len(subjects) - MAX_NAMED} more" if len(subjects) > MAX_NAMED else ""
    text = f"{shown}{more}"
    if schema:
        text += " (stating " + ", ".join(f"<{s}>" for s in schema[:MAX_NAMED]) + ")"
    return text


def check_trial_model(triples: set[Triple], trial: URIRef, nct: str, label: str) -> None:
    """Refuse a model that states anything about what is not its own trial.

    Raises:
        InputError: naming the file and the foreign subjects.
    """
    owned = roots(nct, trial)
    refused = triples - _trial_allowed(triples, owned)
    if refused:
        under = " or ".join(f"<{t}>" for t in sorted(owned))
        raise InputError(label, f"a model of {nct} may state only what concerns {nct} (subjects under {under}, "
                                f"or blank nodes reachable from them; no schema statements); it also states "
                                f"{_describe(triples, refused)}: put shared value sets in a terminology file "
                                "(nothing was added)")


def terminology_allowed(triples: Iterable[Triple], model: Graph) -> set[Triple]:
    """The triples of a terminology graph that state only shared terminology (module docstring)."""
    return {t for t in triples if not _terminology_foreign(t, model)}


def _terminology_foreign(triple: Triple, model: Graph) -> bool:
    s = triple[0]
    if _schema_statement(triple):
        return True
    if isinstance(s, URIRef) and (str(s).startswith(TRIAL_BASE) or str(s).startswith(str(BK))):
        return True
    # The model's own value sets and tables are blinakg's: a file adding a code to vs:anc would change
    # every trial that reads it. Concepts and code rules are shared by design (docs/registry.md).
    return any((s, RDF.type, kind) in model for kind in (BK.ValueSet, BK.AgeLimitTable))


def check_terminology(triples: set[Triple], model: Graph, label: str) -> None:
    """Refuse a terminology file that states anything about a trial, the ontology or the model's own terms.

    Raises:
        InputError: naming the file and the foreign subjects.
    """
    refused = {t for t in triples if _terminology_foreign(t, model)}
    if refused:
        raise InputError(label, "terminology may define value sets, concepts, code rules and tables of its own, "
                                "not state anything about a trial, a term of blinakg's ontology or a value set or "
                                "table of the model; it "
                                f"states {_describe(triples, refused)} (nothing was added)")


__all__ = ["confined", "check_trial_model", "check_terminology", "terminology_allowed"]
