"""Reading the inputs of ``blinakg validate``: files and folders of FHIR R4 JSON
or patient RDF, by extension (contract.md):

    FHIR R4 JSON (``.json``: a Bundle or a single resource; ``.ndjson``: one
    resource a line) or RDF in the project's patient vocabulary (``.ttl``,
    ``.nt``, ``.nq``, ``.trig``, ``.jsonld``, ``.rdf``). A folder means every
    such file in it.

A folder is read recursively, files in name order; files of other extensions in
a folder are passed over, but a file named on the command line must be one of
these. Every file is read before anything is screened, so one bad file stops
the run with exit status 2 and nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from ..errors import InputError
from ..namespaces import BK
from .rdfio import RDF_FORMATS, parse_rdf_file

FHIR_SUFFIXES = (".json", ".ndjson")
INPUT_SUFFIXES = tuple(sorted(set(FHIR_SUFFIXES) | (set(RDF_FORMATS) - {".owl"})))


@dataclass
class Inputs:
    """The patient graph read from all inputs, the files read, and reading warnings."""

    graph: Graph
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def expand(paths: list[Path]) -> list[Path]:
    """The input files a list of command-line paths stands for.

    Raises:
        InputError: a path does not exist, has an unsupported extension, or is a
            folder with no input file in it.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
            if not found:
                raise InputError(path, f"folder holds no input file ({', '.join(INPUT_SUFFIXES)})")
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in INPUT_SUFFIXES:
                raise InputError(path, f"unsupported file type {path.suffix or '(none)'!r}; "
                                       f"expected one of {', '.join(INPUT_SUFFIXES)}")
            files.append(path)
        else:
            raise InputError(path, "no such file or folder")
    return files


def load_inputs(paths: list[Path], model: Graph) -> Inputs:
    """Read every input into one patient graph.

    Args:
        paths: files and folders from the command line.
        model: the ontology graph (the FHIR reader takes code mappings from it).

    Raises:
        InputError: an unreadable file, or inputs that hold no patient at all.
    """
    files = expand(paths)
    inputs = Inputs(graph=Graph(), files=files)
    for path in files:
        if path.suffix.lower() in FHIR_SUFFIXES:
            from .fhir import read_fhir_file

            lifted = read_fhir_file(path, model)
            inputs.graph += lifted.graph
            inputs.warnings.extend(lifted.warnings)
        else:
            inputs.graph += parse_rdf_file(path)
    if (None, RDF.type, BK.Patient) not in inputs.graph:
        where = files[0] if len(files) == 1 else ", ".join(str(f) for f in files)
        raise InputError(where, "no patient found: expected a FHIR Patient resource or a bk:Patient "
                                "(https://w3id.org/blinakg/ontology#Patient)")
    return inputs
