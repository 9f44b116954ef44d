"""The trial model: ontology files (``ontology/*.ttl``) and shapes (``shapes/*.ttl``).

Every Turtle file in ``ontology/`` is part of the model, so a site adds its own
code mappings by dropping a Turtle file there (or passing ``--terminology``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rdflib import Graph

from .errors import InputError
from .namespaces import ONTOLOGY_DIR, SHAPES_DIR
from .readers.rdfio import parse_rdf_file


def _load_dir(folder: Path) -> Graph:
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph += parse_rdf_file(path)
    return graph


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    return _load_dir(ONTOLOGY_DIR)


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    return _load_dir(SHAPES_DIR)


def load_model(extra: tuple[Path, ...] = ()) -> Graph:
    """Return a fresh copy of the ontology graph, plus any extra terminology files.

    Args:
        extra: Turtle (or other RDF) files with site-specific code mappings.

    Raises:
        InputError: an extra file cannot be parsed.
    """
    graph = Graph()
    graph += _ontology()
    for path in extra:
        if not path.is_file():
            raise InputError(path, "terminology file not found")
        graph += parse_rdf_file(path)
    return graph


def load_shapes() -> Graph:
    """Return a fresh copy of the shapes graph."""
    graph = Graph()
    graph += _shapes()
    return graph
