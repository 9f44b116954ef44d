"""Drafting computable trial models from registered eligibility text (issue 20; contract.md, "Drafting").

A pipeline of named components over spaCy's blank English tokeniser
(:mod:`blinakg.drafting.pipeline`), a composer that turns what they find into
checks with spans (:mod:`blinakg.drafting.compose`), and writers for the
contract's JSON and for Turtle trial models (:mod:`blinakg.drafting.turtle`).
All knowledge is in the pattern files of ``blinakg/drafting/patterns/``.
"""

from __future__ import annotations

DRAFTER_NAME = "blinakg-drafter"
DRAFTER_VERSION = "0.1.0"

__all__ = ["DRAFTER_NAME", "DRAFTER_VERSION"]
