"""Namespaces. Our own vocabulary is a closed namespace built from the ontology
file itself, so a typo in a ``bk:`` term fails loudly at import time."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, ClosedNamespace

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _data_root() -> Path:
    """The folder holding ``ontology/``, ``shapes/`` and ``queries/``.

    They live at the top of the repository; a build copies them into the package as
    ``blinakg/_data/`` (see ``pyproject.toml``), so an installed wheel finds them there,
    and a checkout (source tree, editable install) finds them beside the package.
    """
    packaged = files("blinakg") / "_data"
    # An installed wheel is a folder on disk (pip unpacks it), so the data is a real path
    # that Graph.parse and glob can read; a zipped import would fall back and fail loudly.
    if isinstance(packaged, Path) and (packaged / "ontology").is_dir():
        return packaged
    return PROJECT_ROOT


DATA_ROOT = _data_root()
ONTOLOGY_DIR = DATA_ROOT / "ontology"
SHAPES_DIR = DATA_ROOT / "shapes"
QUERIES_DIR = DATA_ROOT / "queries"

BK_IRI = "https://w3id.org/blinakg/ontology#"


def _terms_of(path: Path, base: str) -> list[str]:
    graph = Graph().parse(path, format="turtle")
    return sorted(
        str(s)[len(base):]
        for s in set(graph.subjects())
        if isinstance(s, URIRef) and str(s).startswith(base)
    )


# The core vocabulary, plus the registry's (issue 9), kept in its own file.
BK = ClosedNamespace(BK_IRI, sorted({term for name in ("blinakg.ttl", "registry.ttl")
                                     for term in _terms_of(ONTOLOGY_DIR / name, BK_IRI)}))
# rdflib finds a closed namespace's terms through __getattr__ (about 2 µs a lookup);
# the readers look terms up a dozen times per record, so each is also an attribute.
BK.__dict__.update({name: BK.term(name) for name in dir(BK) if not hasattr(str, name)})
TRIAL = Namespace("https://w3id.org/blinakg/trial/NCT04604691/")
TRIAL_IRI = URIRef("https://w3id.org/blinakg/trial/NCT04604691")
VS = Namespace("https://w3id.org/blinakg/valueset/")
LOCAL = Namespace("https://w3id.org/blinakg/code/")
SHAPES = Namespace("https://w3id.org/blinakg/shapes/")
RUN = Namespace("https://w3id.org/blinakg/run/")

__all__ = ["BK", "TRIAL", "TRIAL_IRI", "VS", "LOCAL", "SHAPES", "RUN", "OWL", "RDF", "PROJECT_ROOT",
           "DATA_ROOT", "ONTOLOGY_DIR", "SHAPES_DIR", "QUERIES_DIR"]
