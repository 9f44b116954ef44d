"""Drafting computable trial models from registered eligibility text (issue 20; contract.md, "Drafting").

A pipeline of named components over spaCy's blank English tokeniser
(:mod:`blinakg.drafting.pipeline`), a composer that turns what they find into
checks with spans (:mod:`blinakg.drafting.compose`), and writers for the
contract's JSON and for Turtle trial models (:mod:`blinakg.drafting.turtle`).
All knowledge is in the pattern files of ``blinakg/drafting/patterns/``.
"""

from __future__ import annotations

from typing import Any

DRAFTER_NAME = "blinakg-drafter"
DRAFTER_VERSION = "0.1.0"



def is_drafted(graph: Any, node: Any) -> bool:
    """Whether the trial ``node`` of ``graph`` is a draft: ``prov:wasGeneratedBy`` the drafter (any version)."""
    from rdflib.namespace import PROV

    from .patterns import load_patterns

    base = str(load_patterns()["vocabulary"]["drafter"])
    return any(str(agent).startswith(base) for agent in graph.objects(node, PROV.wasGeneratedBy))


__all__ = ["DRAFTER_NAME", "DRAFTER_VERSION", "is_drafted"]
