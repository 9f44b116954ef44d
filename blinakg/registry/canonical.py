"""Blank nodes named canonically in linear time (issue 19.4).

A trial graph's content hash says whether it changed, so its blank nodes need
names that do not depend on the parse. rdflib's ``to_canonical_graph`` is
quadratic or worse on deep structures (a 30 KB model with an RDF list 5,000
deep did not finish in 180 s), and Oxigraph's canonicalization is exponential
in the worst case. What trial models hold are trees: lists, ``[ … ]`` nodes,
each the object of one triple. Those are named here bottom-up by a hash of
their content (a Merkle tree), then top-down by the node they hang from, in
time linear in the triples. Blank nodes that are not tree-shaped (the object
of several triples, or in a cycle, which only ``_:`` labels can write) go to
rdflib's algorithm when few, and are refused when many: bounded work per input.
"""

from __future__ import annotations

import hashlib

from rdflib import BNode, URIRef
from rdflib.term import Node

from ..errors import InputError
from .trial_rdf import Triple, as_graph

#: The most blank nodes not shaped as trees that rdflib's general algorithm is given.
MAX_GENERAL_BLANK_NODES = 200


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _trees(content: set[Triple]) -> tuple[dict[Node, list[Triple]], dict[Node, Triple], bool]:
    """(triples by blank subject, the one triple each blank node is the object of, whether all are trees)."""
    below: dict[Node, list[Triple]] = {}
    above: dict[Node, Triple] = {}
    trees = True
    for triple in content:
        s, _, o = triple
        if isinstance(s, BNode):
            below.setdefault(s, []).append(triple)
        if isinstance(o, BNode):
            if o in above:
                trees = False
            above[o] = triple
    return below, above, trees


def _content_hashes(blanks: set[Node], below: dict[Node, list[Triple]]) -> dict[Node, str] | None:
    """Each blank node's hash of its subtree, children first (iterative: lists are deep); None on a cycle."""
    done: dict[Node, str] = {}
    on_path: set[Node] = set()
    for root in blanks:
        if root in done:
            continue
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in done:
                continue
            children = [o for _, _, o in below.get(node, []) if isinstance(o, BNode)]
            if not expanded:
                if node in on_path:
                    return None
                on_path.add(node)
                stack.append((node, True))
                stack.extend((c, False) for c in children if c not in done)
                continue
            if any(c not in done for c in children):
                return None  # a child still open: a cycle
            lines = sorted(f"{p.n3()} {done[o] if isinstance(o, BNode) else o.n3()}" for _, p, o in below.get(node, []))
            done[node] = _digest(*lines)
            on_path.discard(node)
    return done


def _labels(blanks: set[Node], above: dict[Node, Triple], hashes: dict[Node, str]) -> dict[Node, str]:
    """Each blank node's name: its content hash, placed by the node and predicate it hangs from."""
    labels: dict[Node, str] = {}
    for start in blanks:
        path = []
        node = start
        while node not in labels:
            path.append(node)
            parent = above.get(node)
            if parent is None or not isinstance(parent[0], BNode):
                break
            node = parent[0]
        for node in reversed(path):
            parent = above.get(node)
            if parent is None:
                labels[node] = _digest("root", hashes[node])
            else:
                s, p, _ = parent
                where = labels[s] if isinstance(s, BNode) else s.n3()
                labels[node] = _digest(where, p.n3(), hashes[node])
    return labels


def canonical(content: set[Triple], graph_iri: URIRef, label: str) -> set[Triple]:
    """Blank nodes as skolem IRIs under the graph (``<graph>/genid/…``), named canonically.

    Raises:
        InputError: more than ``MAX_GENERAL_BLANK_NODES`` blank nodes shared or in cycles.
    """
    blanks: set[Node] = {t for triple in content for t in (triple[0], triple[2]) if isinstance(t, BNode)}
    if not blanks:
        return content
    base = f"{graph_iri}/genid/"
    below, above, trees = _trees(content)
    hashes = _content_hashes(blanks, below) if trees else None
    if hashes is None:
        return _general(content, base, len(blanks), label)
    names = {node: URIRef(base + name) for node, name in _labels(blanks, above, hashes).items()}
    return {tuple(names[t] if isinstance(t, BNode) else t for t in triple)  # type: ignore[misc]
            for triple in content}


def _general(content: set[Triple], base: str, count: int, label: str) -> set[Triple]:
    """rdflib's canonical labels, for the few graphs whose blank nodes are not trees."""
    if count > MAX_GENERAL_BLANK_NODES:
        raise InputError(label, f"{count} blank nodes, some the object of several triples or in a cycle: more "
                                f"than {MAX_GENERAL_BLANK_NODES} such are not compared; give them IRIs")
    from rdflib.compare import to_canonical_graph

    return {tuple(URIRef(base + str(t)) if isinstance(t, BNode) else t for t in triple)  # type: ignore[misc]
            for triple in to_canonical_graph(as_graph(content))}


__all__ = ["canonical", "MAX_GENERAL_BLANK_NODES"]
