"""Reading the inputs of ``blinakg validate``: files and folders of FHIR R4 JSON
or patient RDF, by extension (contract.md):

    FHIR R4 JSON (``.json``: a Bundle or a single resource; ``.ndjson``: one
    resource a line) or RDF in the project's patient vocabulary (``.ttl``,
    ``.nt``, ``.nq``, ``.trig``, ``.jsonld``, ``.rdf``). A folder means every
    such file in it.

A folder is read recursively, files in name order; files of other extensions in
a folder are passed over, and so is a JSON file that holds no FHIR resource (a
bulk-export log), with a warning; a file named on the command line must be one
of these and be what its extension says. Every file is read before anything is screened, so one bad file stops
the run with exit status 2 and nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rdflib import BNode, Graph
from rdflib.namespace import RDF

from ..errors import InputError, NotFhirError
from ..namespaces import BK
from .paths import find_inputs
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

    What is passed over inside folders is said on standard error (see
    :func:`blinakg.readers.paths.find_inputs`; ``load_inputs`` puts it in the report).

    Raises:
        InputError: a path does not exist, cannot be read, is not a file or
            folder, has an unsupported extension, or is a folder with no input file in it.
    """
    import sys

    found = find_inputs(paths, INPUT_SUFFIXES, FHIR_SUFFIXES)
    for warning in found.warnings:
        print(f"blinakg: warning: {warning}", file=sys.stderr)
    return found.files


def refuse_anonymous_patients(path: Path, triples: Iterable[tuple[Any, Any, Any]]) -> None:
    """A patient the report cannot name is an error, not a silent "0 patients, all eligible" (issue 12, W1).

    Raises:
        InputError: a patient (``a bk:Patient``) is a blank node: a FHIR Patient
            without id or fullUrl, or a blank-node patient in RDF.
    """
    for patient, predicate, obj in triples:
        if predicate == RDF.type and obj == BK.Patient and isinstance(patient, BNode):
            if path.suffix.lower() in FHIR_SUFFIXES:
                raise InputError(path, "a Patient resource has neither an id nor a fullUrl, so the report "
                                       "cannot name it; give it an id")
            raise InputError(path, "a bk:Patient is a blank node, so the report cannot name it; give it an IRI")


def load_inputs(paths: list[Path], model: Graph) -> Inputs:
    """Read every input into one patient graph.

    Args:
        paths: files and folders from the command line.
        model: the ontology graph (the FHIR reader takes code mappings from it).

    Raises:
        InputError: an unreadable file, or inputs that hold no patient at all.
    """
    found = find_inputs(paths, INPUT_SUFFIXES, FHIR_SUFFIXES)
    files = found.files
    inputs = Inputs(graph=Graph(), files=files, warnings=list(found.warnings))
    for path in files:
        if path.suffix.lower() in FHIR_SUFFIXES:
            from .fhir import read_fhir_file

            try:
                lifted = read_fhir_file(path, model)
            except NotFhirError as err:
                if path not in found.in_folders:  # named on the command line: it must be what it says
                    raise
                inputs.warnings.append(f"{path}: holds no FHIR resource ({err.message}), e.g. a bulk-export "
                                       "log or manifest; it was passed over.")
                continue
            refuse_anonymous_patients(path, lifted.graph)
            inputs.graph += lifted.graph
            inputs.warnings.extend(lifted.warnings)
        else:
            graph = parse_rdf_file(path)
            refuse_anonymous_patients(path, graph)
            inputs.graph += graph
    if (None, RDF.type, BK.Patient) not in inputs.graph:
        where = files[0] if len(files) == 1 else ", ".join(str(f) for f in files)
        raise InputError(where, "no patient found: expected a FHIR Patient resource or a bk:Patient "
                                "(https://w3id.org/blinakg/ontology#Patient)")
    return inputs
