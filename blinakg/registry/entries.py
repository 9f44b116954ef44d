"""What an import reads and writes: inputs, and the entries (named graphs) made of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from .trial_rdf import Triple

GRAPH_BASE = "https://w3id.org/blinakg/graph/"
TRIAL_GRAPH_BASE = GRAPH_BASE + "trial/"
TERMINOLOGY_GRAPH_BASE = GRAPH_BASE + "terminology/"
REGISTRATION_GRAPH_BASE = GRAPH_BASE + "registration/"
TERMINOLOGY_KEY = "terminology/"
TURTLE_FORMAT = "Turtle trial model"
TERMINOLOGY_FORMAT = "Turtle terminology"


def trial_graph_iri(nct: str) -> URIRef:
    """The named graph of one trial."""
    return URIRef(TRIAL_GRAPH_BASE + nct)


@dataclass
class Source:
    """One input: a file, or a member of a .zip."""

    label: str
    suffix: str
    data: bytes
    path: Path | None = None


@dataclass
class TrialEntry:
    """One named graph, read and checked, ready to store: a trial, or a terminology file.

    ``nct`` is the trial's NCT ID, or ``terminology/<name>`` for a terminology
    file (its graph ``graph/terminology/<name>``); ``trial`` is None for those.
    ``requires`` are the terminology graphs a trial model reads value sets from.
    """

    nct: str
    trial: URIRef | None
    content: set[Triple]
    hash: str
    source: str
    source_format: str
    record_date: dt.date | None = None
    builtin: bool = False
    requires: list[URIRef] = field(default_factory=list)
    #: a record of a trial that has a model: stored in registration form (:mod:`.registration`)
    registration: bool = False
    #: replaces what is stored without --replace: what it replaces is derived (links) or moved (a record)
    unasked: bool = False

    @property
    def is_terminology(self) -> bool:
        return self.nct.startswith(TERMINOLOGY_KEY)

    @property
    def graph_iri(self) -> URIRef:
        if self.is_terminology:
            return URIRef(GRAPH_BASE + self.nct)
        if self.registration:
            return URIRef(REGISTRATION_GRAPH_BASE + self.nct)
        return trial_graph_iri(self.nct)


__all__ = ["Source", "TrialEntry", "trial_graph_iri", "GRAPH_BASE", "TRIAL_GRAPH_BASE", "TERMINOLOGY_GRAPH_BASE",
           "REGISTRATION_GRAPH_BASE", "TERMINOLOGY_KEY", "TURTLE_FORMAT", "TERMINOLOGY_FORMAT"]
