"""Reading a cohort in chunks of patients, in bounded memory.

A FHIR bulk export splits each patient across one NDJSON file per resource
type. The first pass reads every NDJSON file a line at a time and keeps only an
index: for each patient, where its lines are (file, line number, byte offset,
length). Lines no check can use (:mod:`blinakg.readers.relevance`) are counted
and passed over there and then. A chunk of patients is lifted later, in a
worker, by reading just its lines again.

FHIR ``.json`` files (a Bundle or one resource) and RDF files are read whole,
as before, and their triples are split by patient: a patient, every record
whose ``bk:subject`` it is, and the blank nodes under those records. Triples
that belong to no patient go to every chunk.

Chunks take the patients in IRI order; a patient's results do not depend on
which other patients share its chunk, so the report is the same for any chunk
size and any number of workers.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ..errors import InputError, NotFhirError
from ..namespaces import BK
from .fhir import LIFTED_RECORD_TYPES, can_matter, code_iri_table, lift_ndjson_lines, patient_key, read_fhir_file
from .loader import FHIR_SUFFIXES, INPUT_SUFFIXES, refuse_anonymous_patients
from .paths import find_inputs
from .rdfio import parse_rdf_file
from .relevance import Relevance
from .safety import parse_json_index

Line = tuple[int, int, int]  # (line number, byte offset, length)
Triple = tuple[Any, Any, Any]


@dataclass
class PatientInput:
    """Where one patient's data is: NDJSON lines by file, and N-Triples already lifted."""

    lines: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))
    ntriples: list[str] = field(default_factory=list)


@dataclass
class ChunkInput:
    """The data of one chunk of patients, ready for a worker."""

    index: int
    patients: int
    lines: dict[int, list[Line]]
    ntriples: str
    files: list[Path] = field(default_factory=list)  # the inputs, which ``lines`` index into


@dataclass
class Cohort:
    """The first pass over every input: the per-patient index and what it found."""

    files: list[Path]
    patients: dict[str, PatientInput] = field(default_factory=dict)
    shared: list[str] = field(default_factory=list)
    medications: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))
    warnings: list[tuple[int, int, str]] = field(default_factory=list)  # (file index, line, message)
    passed_over: Counter[str] = field(default_factory=Counter)
    patient_count: int = 0

    def patient(self, key: str) -> PatientInput:
        found = self.patients.get(key)
        if found is None:
            found = self.patients[key] = PatientInput()
        return found

    def chunks(self, size: int) -> Iterator[ChunkInput]:
        """The patients in IRI order, ``size`` at a time."""
        keys = sorted(self.patients)
        shared = "".join(self.shared)
        for index, start in enumerate(range(0, len(keys), max(size, 1))):
            lines: dict[int, list[Line]] = defaultdict(list)
            texts = [shared]
            for key in keys[start:start + size]:
                entry = self.patients[key]
                for file_index, found in entry.lines.items():
                    lines[file_index].extend(found)
                texts.extend(entry.ntriples)
            for file_index in lines:
                lines[file_index] = sorted(set(lines[file_index]) | set(self.medications.get(file_index, ())))
            yield ChunkInput(index, len(keys[start:start + size]), dict(lines), "".join(texts), self.files)


_IRI_TEXT: dict[str, str] = {}  # IRI -> its N-Triples form, checked once by rdflib


def _nt(term: Any) -> str:
    """A term in N-Triples (W3C RDF 1.1 N-Triples, 2.4-2.6): what ``term.n3()`` gives,
    without its per-call checks (a lift writes about 200 triples a patient), and with
    literals always on one line (``n3()`` writes a string holding a line break in
    Turtle's long form, which N-Triples does not have)."""
    kind = type(term)
    if kind is URIRef or (kind is not Literal and kind is not BNode and isinstance(term, URIRef)):
        key = str.__str__(term)  # a plain str: rdflib terms hash (slowly) by type and text
        found = _IRI_TEXT.get(key)
        if found is None:
            found = _IRI_TEXT[key] = term.n3()  # raises on an IRI N-Triples cannot hold
        return found
    if kind is Literal or isinstance(term, Literal):
        text = '"' + str.__str__(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype}>" if term.datatype is not None else text
    if isinstance(term, BNode):
        return f"_:{term}"
    raise TypeError(f"not an RDF term: {term!r}")


def nt_line(triple: Triple) -> str:
    return f"{_nt(triple[0])} {_nt(triple[1])} {_nt(triple[2])} .\n"


def partition(triples: list[Triple], cohort: Cohort) -> None:
    """Give each triple to its patient (see the module docstring)."""
    owner: dict[Any, str] = {}
    for s, p, o in triples:
        if p == RDF.type and o == BK.Patient:
            owner[s] = str(s)
    for s, p, o in triples:
        if p == BK.subject:
            owner.setdefault(s, str(o))
    # Blank nodes under a record belong to its patient: one walk down from the
    # owned nodes (a fixed-point loop took a pass per level: a Turtle file nested
    # 100,000 deep took 10^10 steps; issue 12, T3).
    children: dict[Any, list[Any]] = defaultdict(list)
    for s, _, o in triples:
        if isinstance(o, BNode):
            children[s].append(o)
    pending = deque(owner)
    while pending:
        node = pending.popleft()
        for child in children.get(node, ()):
            if child not in owner:
                owner[child] = owner[node]
                pending.append(child)
    for triple in triples:
        key = owner.get(triple[0])
        if key is None:
            cohort.shared.append(nt_line(triple))
        else:
            cohort.patient(key).ntriples.append(nt_line(triple))
    cohort.patient_count += sum(1 for s, p, o in triples if p == RDF.type and o == BK.Patient)


@dataclass
class _Range:
    """One stretch of an NDJSON file for the first pass: whole lines, from byte
    ``start`` to ``end``, the first of them line ``first_line``."""

    file_index: int
    path: Path
    start: int
    end: int
    first_line: int


@dataclass
class _Indexed:
    """What the first pass found in one range (a partial :class:`Cohort`)."""

    cohort: Cohort
    loose: list[Line]
    resources: int
    first_bad: tuple[int, str] | None


RANGE_BYTES = 8 << 20  # first-pass work shared between processes in stretches of this size


def _ranges(file_index: int, path: Path) -> list[_Range]:
    """The file cut at line ends into stretches of about :data:`RANGE_BYTES`."""
    try:
        size = path.stat().st_size
        if size <= RANGE_BYTES:
            return [_Range(file_index, path, 0, size, 1)]
        ranges: list[_Range] = []
        with open(path, "rb") as handle:
            start, line = 0, 1
            while start < size:
                handle.seek(min(start + RANGE_BYTES, size))
                if handle.tell() < size:
                    handle.readline()  # to the end of the line the cut falls in
                end = handle.tell()
                ranges.append(_Range(file_index, path, start, end, line))
                handle.seek(start)
                line += handle.read(end - start).count(b"\n")
                start = end
        return ranges
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror or err})") from None


def index_range(part: _Range, codes: dict[str, str], relevance: Relevance | None) -> _Indexed:
    """First pass over one stretch of an NDJSON file: the per-patient index of its
    lines, and the lines to lift in the parent (Bundles, and resources whose
    patient is not named as ``Patient/<id>``)."""
    cohort = Cohort(files=[])
    file_index, path = part.file_index, part.path
    loose: list[Line] = []
    resources = 0
    first_bad: tuple[int, str] | None = None
    try:
        handle = open(path, "rb")
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror or err})") from None
    with handle:
        handle.seek(part.start)
        offset = part.start
        for number, raw in enumerate(handle, start=part.first_line):
            if offset >= part.end:
                break
            at, offset = offset, offset + len(raw)
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise InputError(path, "the file is not UTF-8 text", number, err.start + 1) from None
            if not text.strip():
                continue
            try:
                value = parse_json_index(text)  # lone surrogates refused, long numbers kept (issue 12: T6, M1)
            except json.JSONDecodeError as err:
                raise InputError(path, f"not valid JSON: {err.msg}", number, err.colno) from None
            except (ValueError, RecursionError) as err:
                raise InputError(path, f"not valid JSON: {err or type(err).__name__}", number,
                                 getattr(err, "colno", None)) from None
            kind = value.get("resourceType") if isinstance(value, dict) else None
            if not isinstance(kind, str) or not kind.strip():
                what = "a JSON object without a resourceType" if isinstance(value, dict) else f"a JSON {type(value).__name__}"
                first_bad = first_bad or (number, what)
                cohort.warnings.append((file_index, number, f"{path}:{number}: the line holds {what}, not a FHIR "
                                                            "resource; it was ignored."))
                continue
            resources += 1
            kind = kind.strip()
            line = (number, at, len(raw))
            if kind == "Patient":
                key = patient_key({"reference": f"Patient/{value.get('id')}"}) if isinstance(value.get("id"), str) else None
                if key is None:
                    loose.append(line)
                else:
                    cohort.patient(key).lines[file_index].append(line)
                    cohort.patient_count += 1
            elif kind in LIFTED_RECORD_TYPES:
                if relevance is not None and not can_matter(value, codes, relevance):
                    cohort.passed_over[kind] += 1
                    continue
                key = patient_key(value.get(LIFTED_RECORD_TYPES[kind][1]))
                if key is None:
                    loose.append(line)
                else:
                    cohort.patient(key).lines[file_index].append(line)
            elif kind == "Medication":
                cohort.medications[file_index].append(line)
            elif kind == "Bundle":
                loose.append(line)
            else:
                cohort.passed_over[kind] += 1
    return _Indexed(cohort, loose, resources, first_bad)


#: Indexes ranges elsewhere (in worker processes), yielding their results in order.
RangeMapper = Callable[[list[_Range]], Iterator[_Indexed]]


def _take(indexed: _Indexed, cohort: Cohort) -> None:
    """Add one range's partial index to the cohort's (ranges come in file order)."""
    part = indexed.cohort
    for key, entry in part.patients.items():
        mine = cohort.patient(key)
        for file_index, lines in entry.lines.items():
            mine.lines[file_index].extend(lines)
    for file_index, lines in part.medications.items():
        cohort.medications[file_index].extend(lines)
    cohort.warnings.extend(part.warnings)
    cohort.passed_over.update(part.passed_over)
    cohort.patient_count += part.patient_count


def read_cohort(paths: list[Path], model: Graph, relevance: Relevance | None = None,
                map_ranges: RangeMapper | None = None) -> Cohort:
    """The first pass over every input file; NDJSON files in stretches, indexed by
    ``map_ranges`` (e.g. in worker processes) when given, else here.

    Raises:
        InputError: an unreadable file, or inputs that hold no patient at all.
    """
    found = find_inputs(paths, INPUT_SUFFIXES, FHIR_SUFFIXES)  # what is passed over is said (issue 12, F2)
    files = found.files
    cohort = Cohort(files=files)
    cohort.warnings.extend((-1, 0, warning) for warning in found.warnings)
    codes = code_iri_table(model)
    parts = [part for file_index, path in enumerate(files) if path.suffix.lower() == ".ndjson"
             for part in _ranges(file_index, path)]
    ranges_of = Counter(part.file_index for part in parts)
    indexed: Iterator[_Indexed] = (map_ranges(parts) if map_ranges is not None and len(parts) > 1
                                   else (index_range(part, codes, relevance) for part in parts))
    try:
        _read_files(files, found.in_folders, indexed, ranges_of, codes, model, relevance, cohort)
    finally:
        close = getattr(indexed, "close", None)
        if close is not None:
            close()  # on an error: the ranges not yet indexed are cancelled
    if cohort.patient_count == 0 and not any(
            key.startswith("https://w3id.org/blinakg/fhir/Patient/") for key in cohort.patients):
        where = files[0] if len(files) == 1 else ", ".join(str(f) for f in files)
        raise InputError(where, "no patient found: expected a FHIR Patient resource or a bk:Patient "
                                "(https://w3id.org/blinakg/ontology#Patient)")
    return cohort


def _read_files(files: list[Path], in_folders: Any, indexed: Iterator[_Indexed], ranges_of: Counter[int],
                codes: dict[str, str], model: Graph, relevance: Relevance | None, cohort: Cohort) -> None:
    """Every input file in order: NDJSON from its first-pass ranges, the rest read whole."""
    for file_index, path in enumerate(files):
        suffix = path.suffix.lower()
        mark = len(cohort.warnings)
        try:
            if suffix == ".ndjson":
                loose: list[Line] = []
                resources, first_bad = 0, None
                for _ in range(ranges_of[file_index]):
                    item = next(indexed)
                    _take(item, cohort)
                    loose.extend(item.loose)
                    resources += item.resources
                    first_bad = first_bad or item.first_bad
                if not resources:
                    if first_bad is not None:
                        raise NotFhirError(path, f"not FHIR NDJSON: no line holds a FHIR resource (line {first_bad[0]} "
                                                 f"holds {first_bad[1]})", first_bad[0], 1)
                    cohort.warnings.append((file_index, 0, f"{path}: the file holds no resources."))
                if loose:
                    lines = sorted(set(loose) | set(cohort.medications.get(file_index, ())))
                    triples, warnings, passed = lift_ndjson_lines(path, lines, codes, relevance)
                    refuse_anonymous_patients(path, triples)
                    partition(triples, cohort)
                    cohort.warnings.extend((file_index, _line_of(w), w) for w in warnings)
                    cohort.passed_over.update(passed)
                continue
            if suffix in FHIR_SUFFIXES:
                lifted = read_fhir_file(path, model, relevance)
                refuse_anonymous_patients(path, lifted.graph)
                partition(list(lifted.graph), cohort)
                cohort.warnings.extend((file_index, 0, w) for w in lifted.warnings)
                cohort.passed_over.update(lifted.passed_over)
                continue
        except NotFhirError as err:
            if path not in in_folders:  # named on the command line: it must be what it says
                raise
            del cohort.warnings[mark:]  # its lines' warnings say the same thing, once a line
            cohort.warnings.append((file_index, 0, f"{path}: holds no FHIR resource ({err.message}), e.g. a "
                                                   "bulk-export log or manifest; it was passed over."))
            continue
        triples = list(parse_rdf_file(path))
        refuse_anonymous_patients(path, triples)
        partition(triples, cohort)


def _line_of(warning: str) -> int:
    """The line number a reader warning names (``path:LINE: …``), 0 when none."""
    head = warning.split(": ", 1)[0]
    tail = head.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def lift_chunk(chunk: ChunkInput, files: list[Path], codes: dict[str, str],
               relevance: Relevance | None) -> tuple[str, list[tuple[int, int, str]], Counter[str]]:
    """Lift a chunk's NDJSON lines: N-Triples, warnings (with sort keys) and what was passed over."""
    _IRI_TEXT.clear()  # reused within a chunk (a record's IRI, the predicates); never grows with the cohort
    texts = [chunk.ntriples]
    warnings: list[tuple[int, int, str]] = []
    passed: Counter[str] = Counter()
    for file_index in sorted(chunk.lines):
        triples, found, skipped = lift_ndjson_lines(files[file_index], chunk.lines[file_index], codes, relevance)
        texts.append("".join(nt_line(t) for t in triples))
        warnings.extend((file_index, _line_of(w), w) for w in found)
        passed.update(skipped)
    return "".join(texts), warnings, passed


__all__ = ["Cohort", "ChunkInput", "read_cohort", "index_range", "lift_chunk", "RangeMapper", "URIRef"]
