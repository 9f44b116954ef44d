"""Reading FHIR R4 JSON and lifting it into the project's patient RDF.

``fhir-input.md``: "Hospitals export patient records as FHIR R4 JSON far more
often than as RDF. `blinakg` reads them (a Bundle of any type, a single
resource, or NDJSON with one resource a line, as a FHIR bulk export writes
them) and lifts them into the project's patient RDF. A file may hold several
patients. References are resolved both as `Patient/<id>` and as `urn:uuid:<…>`
full URLs (Synthea writes the latter). A resource whose subject cannot be
resolved is reported, not silently dropped."

The target vocabulary is ``docs/patient-vocabulary.md``; the mapping, resource
by resource, and every warning this module writes are in
``docs/fhir-mapping.md``.

Code IRIs come from the model, never from this module: each ``bk:CodeSystem``
names its FHIR system URI (``bk:fhirSystem``) and the IRI prefix of its codes
(``bk:iriPrefix``). A coding of any other system is kept as ``<system>/<code>``,
so that a site can map it later by adding a code system and ``skos`` mappings
in Turtle.

A file that cannot be read as FHIR at all raises :class:`InputError` (with line
and column where the JSON parser knows them). Problems inside an otherwise
readable file become warnings that name the file, the resource and, for NDJSON,
the line; the resource is dropped (no resourceType, no resolvable subject) or
kept without the part that cannot be used.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..errors import InputError, NotFhirError
from ..namespaces import BK, BK_IRI
from .paths import path_text
from .relevance import Relevance

__all__ = ["FhirLift", "read_fhir_file", "lift_ndjson_lines", "can_matter", "code_iri", "patient_key",
           "subject_element", "FHIR_RESOURCE_IRI", "LIFTED_RECORD_TYPES", "code_iri_table"]

FHIR_RESOURCE_IRI = "https://w3id.org/blinakg/fhir/"
"""A resource with an id gets the IRI ``<this><ResourceType>/<id>``."""

UCUM_SYSTEM = "http://unitsofmeasure.org"

NON_URI_SYSTEM_IRI = "urn:blinakg:codesystem:"
"""Codes of a ``system`` that is not a URI (e.g. ``"LOINC"``) are kept under this."""

JsonObject = dict[str, Any]

# Resource type -> (record class, the element that names the patient).
LIFTED_RECORD_TYPES: dict[str, tuple[URIRef, str]] = {
    "Observation": (BK.Observation, "subject"),
    "Condition": (BK.Condition, "subject"),
    "Procedure": (BK.Procedure, "subject"),
    "MedicationAdministration": (BK.MedicationUse, "subject"),
    "MedicationStatement": (BK.MedicationUse, "subject"),
    "AllergyIntolerance": (BK.AllergyIntolerance, "patient"),
    "Consent": (BK.Consent, "patient"),
}
"""The record types ``fhir-input.md`` uses. Patient is lifted too; Medication is
read where a record refers to it; every other type is ignored without a warning."""

# Which date elements give bk:effective (or bk:periodStart / bk:periodEnd), first found wins.
_DATE_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Observation": ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"),
    "Condition": ("onsetDateTime", "onsetPeriod", "recordedDate"),
    "Procedure": ("performedDateTime", "performedPeriod"),
    "MedicationAdministration": ("effectiveDateTime", "effectivePeriod"),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod", "dateAsserted"),
    "AllergyIntolerance": ("onsetDateTime", "onsetPeriod", "recordedDate"),
    "Consent": ("dateTime",),
}

_VALUE_TYPES_READ = ("valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger")
_COMPARATORS = ("<", "<=", ">=", ">")
_GENDERS = ("male", "female", "other", "unknown")

_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_REFERENCE_RE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
# Characters an IRI may not hold (RFC 3987): percent-encoded in codes.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_MAX_NUMBER_TEXT = 100


@dataclass
class FhirLift:
    """What one FHIR file lifts to.

    Attributes:
        graph: the patient RDF, in the ``bk:`` vocabulary of ``docs/patient-vocabulary.md``.
        warnings: one sentence per problem found inside an otherwise readable
            file, each naming the file (with ``:line`` for NDJSON) and the resource.
    """

    graph: Graph
    warnings: list[str] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)


def read_fhir_file(path: Path | str, model: Graph, relevance: Relevance | None = None) -> FhirLift:
    """Read one FHIR R4 JSON file and lift it into patient RDF.

    ``fhir-input.md``: "a Bundle of any type, a single resource, or NDJSON with
    one resource a line ... A file may hold several patients."

    Args:
        path: a ``.json`` file (a Bundle of any type, or a single resource) or an
            ``.ndjson`` file (one resource a line; blank lines are allowed).
            ``bk:sourceFile`` records it as given.
        model: the model graph (:func:`blinakg.model.load_model`); its
            ``bk:fhirSystem`` / ``bk:iriPrefix`` pairs turn codings into concept IRIs.

    Returns:
        The lifted graph and the warnings.

    Raises:
        InputError: the file cannot be read, is not valid JSON (with line and
            column; for NDJSON the line is the file's line), or is not FHIR at all.
    """
    path = Path(path)
    reader = _Reader(path, code_iri_table(model), relevance)
    for line, resource in _load_resources(path, reader.warn):
        reader.collect(resource, line=line, entry="", full_url=None, history=False)
    return reader.lift()


def code_iri_table(model: Graph) -> dict[str, str]:
    """Map FHIR code system URIs to IRI prefixes, as the model states them.

    Every ``?cs bk:fhirSystem ?system ; bk:iriPrefix ?prefix`` in the model
    counts, so a site adds a code system by adding triples. When two code
    systems claim one system URI, the alphabetically first prefix is used.

    Args:
        model: the model graph.

    Returns:
        system URI -> IRI prefix.
    """
    pairs = sorted(
        (str(system), str(prefix))
        for code_system, system in model.subject_objects(BK.fhirSystem)
        for prefix in model.objects(code_system, BK.iriPrefix)
    )
    table: dict[str, str] = {}
    for system, prefix in pairs:
        table.setdefault(system, prefix)
    return table


# ---------------------------------------------------------------------------
#  Parsing
# ---------------------------------------------------------------------------


def _parse_json(text: str) -> Any:
    """Parse JSON keeping every number's exact text as a Decimal (0.1 stays 0.1).

    ``NaN`` / ``Infinity`` (not JSON, but Python would take them) come back as
    strings, so that a Quantity holding one is "not a number".
    """
    from .safety import parse_json  # numbers within bounds, no lone surrogates (issue 12: M1, T6)

    return parse_json(text)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object without a resourceType"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool) or value is None:
        return f"the JSON literal {json.dumps(value)}"
    return "a JSON number"


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str) and bool(value["resourceType"].strip())


def _load_resources(path: Path, warn: Callable[[int | None, str], None]) -> list[tuple[int | None, JsonObject]]:
    """Read the file: its top-level resources, each with its NDJSON line (None for .json).

    Raises:
        InputError: unreadable, not UTF-8, not JSON, or not FHIR.
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".ndjson"):
        raise InputError(path, f"not a FHIR JSON file: expected the extension .json or .ndjson, not {path.suffix!r}")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        before = raw[: err.start].decode("utf-8", "replace")
        line, column = _line_col(before, len(before))
        raise InputError(path, "the file is not UTF-8 text", line, column) from None
    if suffix == ".ndjson":
        return _load_ndjson(path, text, warn)
    if not text.strip():
        raise InputError(path, "the file is empty; a FHIR JSON file holds one resource or a Bundle")
    try:
        value = _parse_json(text)
    except json.JSONDecodeError as err:
        hint = " (one resource a line is NDJSON: name the file .ndjson)" if err.msg == "Extra data" else ""
        raise InputError(path, f"not valid JSON: {err.msg}{hint}", err.lineno, err.colno) from None
    except (ValueError, RecursionError) as err:
        raise InputError(path, f"not valid JSON: {err or type(err).__name__}",
                         getattr(err, "lineno", None), getattr(err, "colno", None)) from None
    if not _is_resource(value):
        start = len(text) - len(text.lstrip())
        line, column = _line_col(text, start)
        raise NotFhirError(
            path,
            f"not FHIR: the file holds {_json_kind(value)}, not a FHIR resource or Bundle "
            "(every FHIR resource has a resourceType)",
            line,
            column,
        )
    return [(None, value)]


def _load_ndjson(path: Path, text: str, warn: Callable[[int | None, str], None]) -> list[tuple[int | None, JsonObject]]:
    resources: list[tuple[int | None, JsonObject]] = []
    first_bad: tuple[int, str] | None = None
    # Split on newlines only: str.splitlines() would also split inside JSON strings (U+2028, \x1c, …).
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            value = _parse_json(line)
        except json.JSONDecodeError as err:
            raise InputError(path, f"not valid JSON: {err.msg}", number, err.colno) from None
        except (ValueError, RecursionError) as err:
            raise InputError(path, f"not valid JSON: {err or type(err).__name__}", number,
                             getattr(err, "colno", None)) from None
        if _is_resource(value):
            resources.append((number, value))
            continue
        kind = _json_kind(value)
        if first_bad is None:
            first_bad = (number, kind)
        warn(number, f"the line holds {kind}, not a FHIR resource; it was ignored.")
    if not resources and first_bad is not None:
        raise NotFhirError(
            path,
            f"not FHIR NDJSON: no line holds a FHIR resource (line {first_bad[0]} holds {first_bad[1]})",
            first_bad[0],
            1,
        )
    if not resources:
        warn(None, "the file holds no resources.")
    return resources


# ---------------------------------------------------------------------------
#  Small helpers over parsed JSON (which may hold anything)
# ---------------------------------------------------------------------------


def _obj(value: Any) -> JsonObject | None:
    return value if isinstance(value, dict) else None


def _get(value: Any, key: str) -> Any:
    """``value[key]`` when value is a JSON object, else None."""
    return value.get(key) if isinstance(value, dict) else None


def _objs(value: Any) -> list[JsonObject]:
    """A list of objects (a single object counts as a list of one)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _number(value: Any) -> Literal | None:
    """An xsd:decimal from a JSON number, its lexical form the number as written.

    Exponent forms (``1e-5``) are written out (``0.00001``): xsd:decimal has none.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        return None
    lexical = format(value, "f")
    if len(lexical) > _MAX_NUMBER_TEXT:
        return None
    return Literal(lexical, datatype=XSD.decimal, normalize=False)


def _date_literal(value: Any, allow_time: bool = True) -> Literal | None:
    """A FHIR date / dateTime / instant as an RDF literal, or None when it is not one.

    ``YYYY-MM-DD`` -> xsd:date; ``YYYY-MM`` -> xsd:gYearMonth; ``YYYY`` -> xsd:gYear;
    a full dateTime -> xsd:dateTime as written (seconds ``:00`` are added when
    only hours and minutes are given, since xsd:dateTime requires them).
    """
    if not isinstance(value, str):
        return None
    match = _DATE_RE.fullmatch(value)
    if match:
        year, month, day = match.groups()
        if year == "0000":
            return None
        if month is None:
            return Literal(value, datatype=XSD.gYear, normalize=False)
        if not 1 <= int(month) <= 12:
            return None
        if day is None:
            return Literal(value, datatype=XSD.gYearMonth, normalize=False)
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return None
        return Literal(value, datatype=XSD.date, normalize=False)
    if not allow_time:
        return None
    match = _DATETIME_RE.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if year == "0000":
        return None
    if zone and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 14 or zone_minutes > 59 or (zone_hours == 14 and zone_minutes):
            return None
    lexical = value if second is not None else f"{year}-{month}-{day}T{hour}:{minute}:00{zone or ''}"
    return Literal(lexical, datatype=XSD.dateTime, normalize=False)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _iri_safe(text: str) -> str:
    return _NOT_IN_IRI.sub(lambda m: quote(m.group(0), safe=""), text)


def _unit(quantity: JsonObject) -> str | None:
    """``fhir-input.md`` quantities carry UCUM: Quantity.code when the system is
    UCUM (or not given), else Quantity.unit; None when neither is there."""
    system = quantity.get("system")
    code = _text(quantity.get("code"))
    if code is not None and (system is None or system == UCUM_SYSTEM):
        return code
    return _text(quantity.get("unit"))


# ---------------------------------------------------------------------------
#  Lifting
# ---------------------------------------------------------------------------


class _Triples:
    """The triples of one resource, added to the file's graph only once it is lifted whole."""

    def __init__(self) -> None:
        self.triples: list[tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]] = []

    def add(self, triple: tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]) -> None:
        self.triples.append(triple)


@dataclass
class _Found:
    """One resource found in the file, with where it was found."""

    resource: JsonObject
    line: int | None  # NDJSON line
    entry: str  # Bundle entry number ("3", or "2.3" in a nested Bundle); "" at top level
    full_url: str | None
    history: bool  # from a history Bundle: later versions of one resource come first

    @cached_property
    def type(self) -> str:
        return str(self.resource["resourceType"]).strip()

    @cached_property
    def id(self) -> str | None:
        return _text(self.resource.get("id"))

    @cached_property
    def key(self) -> str | None:
        return f"{self.type}/{self.id}" if self.id else None


class _Reader:
    """Collects the resources of one file, indexes them, then lifts them."""

    def __init__(self, path: Path, codes: dict[str, str], relevance: Relevance | None = None):
        self.path = path
        self.codes = codes
        self.relevance = relevance
        self.passed_over: Counter[str] = Counter()
        self.source_file = Literal(path_text(path))
        self.graph = Graph()
        self.graph.bind("bk", BK_IRI)
        self.warnings: list[str] = []
        self.found: list[_Found] = []
        self.by_key: dict[str, _Found] = {}
        self.by_url: dict[str, _Found] = {}
        self.deleted: set[str] = set()
        self.referenced_patients: dict[str, URIRef] = {}  # Patient.id -> IRI, of patients named by reference

    # -- warnings -----------------------------------------------------------

    def warn(self, line: int | None, message: str) -> None:
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        self.warnings.append(f"{where}: {message}")

    def name(self, found: _Found) -> str:
        """How warnings and provenance name a resource: ``Observation/obs-9``."""
        if found.key:
            return found.key
        if found.full_url:
            return f"the {found.type} with fullUrl {found.full_url}"
        if found.entry:
            return f"the {found.type} in entry {found.entry}"
        return f"the {found.type}"

    def source_record(self, found: _Found) -> str:
        """``bk:sourceRecord``: ``Type/id``, else the fullUrl, else where in the file it was."""
        if found.key:
            return found.key
        if found.full_url:
            return found.full_url
        where = f" line {found.line}" if found.line is not None else ""
        where += f" entry {found.entry}" if found.entry else ""
        return f"{found.type} in {self.path}{where}"

    # -- collecting ---------------------------------------------------------

    def collect(self, resource: JsonObject, line: int | None, entry: str, full_url: str | None, history: bool) -> None:
        """Add a resource; a Bundle's entries (of any Bundle type, nested too) instead of the Bundle."""
        if resource["resourceType"].strip() == "Bundle":
            is_history = resource.get("type") == "history"
            entries = resource.get("entry")
            for number, item in enumerate(entries if isinstance(entries, list) else [], start=1):
                label = f"{entry}.{number}" if entry else str(number)
                if not isinstance(item, dict):
                    self.warn(line, f"Bundle entry {label} is not a JSON object; it was ignored.")
                    continue
                inner = item.get("resource")
                url = _text(item.get("fullUrl"))
                if inner is None:
                    # A request without a body (e.g. DELETE), or a deleted version in a history.
                    request = _obj(item.get("request")) or {}
                    target = _text(request.get("url"))
                    if is_history and request.get("method") == "DELETE" and target:
                        match = _REFERENCE_RE.search(target)
                        if match:
                            self.deleted.add(f"{match.group(1)}/{match.group(2)}")
                    continue
                if not _is_resource(inner):
                    self.warn(line, f"Bundle entry {label} holds a resource without a resourceType; it was ignored.")
                    continue
                self.collect(inner, line=line, entry=label, full_url=url, history=is_history)
            return
        found = _Found(resource, line, entry, full_url, history)
        if found.key is not None:
            if found.history and found.key in self.deleted:
                return  # an older version of a resource the history says was deleted
            if found.key in self.by_key:
                if not (found.history or self.by_key[found.key].history):
                    self.warn(line, f"{found.key} appears more than once; only its first occurrence is used.")
                return
            self.by_key[found.key] = found
        if full_url is not None:
            if full_url in self.by_url:
                if found.key is None:
                    self.warn(line, f"{self.name(found)} appears more than once; only its first occurrence is used.")
                    return
            else:
                self.by_url[full_url] = found
        self.found.append(found)

    # -- references ---------------------------------------------------------

    def resolve(self, reference: str, container: _Found) -> tuple[_Found | None, str | None, str | None]:
        """Resolve a reference: (the resource if in this file, its type, its id).

        ``fhir-input.md``: "References are resolved both as `Patient/<id>` and as
        `urn:uuid:<…>` full URLs". Absolute references (``https://…/Patient/<id>``)
        and ``/_history/<n>`` suffixes are read as ``Patient/<id>``; ``#id`` is a
        contained resource.
        """
        if reference.startswith("#"):
            for contained in _objs(container.resource.get("contained")):
                if _text(contained.get("id")) == reference[1:] and _is_resource(contained):
                    inner = _Found(contained, container.line, container.entry, None, False)
                    return inner, inner.type, None
            return None, None, None
        found = self.by_url.get(reference)
        if found is not None:
            return found, found.type, found.id
        match = _REFERENCE_RE.search(reference)
        if match is None:
            return None, None, None
        kind, rid = match.groups()
        return self.by_key.get(f"{kind}/{rid}"), kind, rid

    def iri(self, found: _Found) -> URIRef | BNode:
        """``https://w3id.org/blinakg/fhir/<ResourceType>/<id>``; else the fullUrl; else a blank node."""
        if found.id:
            return URIRef(f"{FHIR_RESOURCE_IRI}{quote(found.type, safe='')}/{quote(found.id, safe='-._~')}")
        if found.full_url and ":" in found.full_url:
            return URIRef(_iri_safe(found.full_url))
        return BNode()

    def patient_iri(self, found: _Found, element: str) -> URIRef | BNode | None:
        """The IRI of the record's patient, or None (after a warning) when it cannot be resolved.

        A ``Patient/<id>`` reference to a Patient that is not in this file still
        resolves (FHIR bulk exports put Patients in a file of their own): the
        patient gets ``a bk:Patient ; bk:fhirId`` so that it is screened.
        """
        name = self.name(found)
        value = found.resource.get(element)
        reference = _text(_get(value, "reference"))
        if reference is None:
            if value is None:
                self.warn(found.line, f"{name} has no {element}; it was ignored.")
            else:
                self.warn(found.line, f"{name} has a {element} without a reference; it was ignored.")
            return None
        target, kind, rid = self.resolve(reference, found)
        if kind is not None and kind != "Patient":
            self.warn(found.line, f"{name} has a {element} reference '{reference}' to a {kind}, not a Patient; it was ignored.")
            return None
        if target is not None:
            return self.iri(target)
        if kind == "Patient" and rid is not None:
            iri = self.referenced_patients.get(rid)
            if iri is None:  # once per patient, not once per record
                iri = self.referenced_patients[rid] = URIRef(f"{FHIR_RESOURCE_IRI}Patient/{quote(rid, safe='-._~')}")
                self.graph.add((iri, RDF.type, BK.Patient))
                self.graph.add((iri, BK.fhirId, Literal(rid)))
            return iri
        self.warn(
            found.line,
            f"{name} has a {element} reference '{reference}' that does not resolve to a Patient in this file; it was ignored.",
        )
        return None

    # -- codes --------------------------------------------------------------

    def code_iri(self, system: str, code: str) -> URIRef:
        """``prefix + code`` for a system the model knows; else ``<system>/<code>``."""
        return code_iri(self.codes, system, code)

    def concept_iris(self, found: _Found, concept: Any, element: str) -> list[URIRef]:
        """The concept IRIs of every coding (with a system and a code) of a CodeableConcept."""
        iris: list[URIRef] = []
        for coding in _objs(_get(concept, "coding")):
            code = _text(coding.get("code"))
            if code is None:
                continue
            system = _text(coding.get("system"))
            if system is None:
                self.warn(found.line, f"{self.name(found)} has a coding '{code}' in {element} without a system; that coding is ignored.")
                continue
            iri = self.code_iri(system, code)
            if ":" not in system and system not in self.codes:
                self.warn(found.line, f"{self.name(found)} has a coding in {element} whose system '{system}' is not a URI; it is kept as <{iri}>.")
            iris.append(iri)
        return iris

    # -- lifting ------------------------------------------------------------

    def lift(self) -> FhirLift:
        for triple in self.lift_triples():
            self.graph.add(triple)
        return FhirLift(self.graph, self.warnings, self.passed_over)

    def lift_triples(self) -> list[tuple[Any, Any, Any]]:
        """The triples of every resource a check can use; the others are counted in ``passed_over``."""
        triples: list[tuple[Any, Any, Any]] = []
        for found in self.found:
            if found.type != "Patient" and found.type not in LIFTED_RECORD_TYPES:
                if found.type not in ("Medication", "Bundle"):
                    self.passed_over[found.type] += 1
                continue
            if not self.can_matter(found):
                self.passed_over[found.type] += 1
                continue
            part = _Triples()
            try:
                if found.type == "Patient":
                    self.lift_patient(found, part)
                else:
                    self.lift_record(found, part)
            except Exception as err:  # a safety net: never a traceback for odd FHIR
                self.warn(found.line, f"{self.name(found)} could not be read ({type(err).__name__}: {err}); it was ignored.")
                continue
            triples.extend(part.triples)
        triples.extend(self.graph.triples((None, None, None)))  # patients named only by reference
        return triples

    def can_matter(self, found: _Found) -> bool:
        return self.relevance is None or can_matter(found.resource, self.codes, self.relevance)

    def provenance(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:sourceRecord`` and ``bk:sourceFile`` (the path as given)."""
        graph.add((node, BK.sourceRecord, Literal(self.source_record(found))))
        graph.add((node, BK.sourceFile, self.source_file))

    def lift_patient(self, found: _Found, graph: _Triples) -> None:
        """``fhir-input.md``: "birth date, sex | Patient | `birthDate`, `gender`"."""
        res, name = found.resource, self.name(found)
        node = self.iri(found)
        if isinstance(node, BNode):
            self.warn(found.line, f"{name} has neither an id nor a fullUrl; no record can refer to it.")
        graph.add((node, RDF.type, BK.Patient))
        if found.id:
            graph.add((node, BK.fhirId, Literal(found.id)))
        self.provenance(found, node, graph)
        if "birthDate" in res:
            birth = _date_literal(res["birthDate"], allow_time=False)
            if birth is None:
                self.warn(found.line, f"{name} has a birthDate {json.dumps(res['birthDate'], default=str)} that is not a FHIR date; it is kept without a birth date.")
            else:
                graph.add((node, BK.birthDate, birth))
        if "gender" in res:
            gender = res["gender"]
            if gender in _GENDERS:
                graph.add((node, BK.gender, Literal(gender)))
            else:
                self.warn(
                    found.line,
                    f"{name} has a gender {json.dumps(gender, default=str)} that is not male, female, other or unknown; "
                    "it is kept without a gender.",
                )

    def lift_record(self, found: _Found, graph: _Triples) -> None:
        """A clinical record: its class, patient, provenance, statuses, codes, dates and values.

        Statuses are lifted as written and never filtered here; ``fhir-input.md``:
        "Statuses that make a record no evidence: Observation `entered-in-error`,
        `cancelled`; Condition verificationStatus `refuted`, `entered-in-error`;
        Procedure `not-done`, `entered-in-error`; Medication* `not-taken`,
        `entered-in-error`, `not-done`; AllergyIntolerance verificationStatus
        `refuted`, `entered-in-error`." That judgement is the model's
        (``bk:StatusPolicy``), made after the lift.
        """
        res, name = found.resource, self.name(found)
        record_class, subject_element = LIFTED_RECORD_TYPES[found.type]
        patient = self.patient_iri(found, subject_element)
        if patient is None:
            return
        node = self.iri(found)
        if isinstance(node, BNode):
            self.warn(found.line, f"{name} has neither an id nor a fullUrl; it is kept and cited as '{self.source_record(found)}'.")
        graph.add((node, RDF.type, record_class))
        graph.add((node, BK.subject, patient))
        self.provenance(found, node, graph)

        status = _text(res.get("status"))
        if status is not None:
            graph.add((node, BK.status, Literal(status)))
        for element, prop in (("clinicalStatus", BK.clinicalStatus), ("verificationStatus", BK.verificationStatus)):
            code = self.status_code(res.get(element))
            if code is not None:
                graph.add((node, prop, Literal(code)))

        warned = len(self.warnings)
        codes = self.record_codes(found)
        for iri in codes:
            graph.add((node, BK.code, iri))
        if not codes and len(self.warnings) == warned:
            self.warn(found.line, f"{name} has no coding with a system and a code; it is kept, but no criterion can use it.")

        self.lift_dates(found, node, graph)
        if found.type == "Condition":
            self.lift_abatement(found, node, graph)
        if found.type == "Observation":
            self.lift_observation(found, node, graph)

    @staticmethod
    def status_code(concept: Any) -> str | None:
        """The ``code`` of the first coding of a status CodeableConcept."""
        for coding in _objs(_get(concept, "coding")):
            code = _text(coding.get("code"))
            if code is not None:
                return code
        return None

    def record_codes(self, found: _Found) -> list[URIRef]:
        """``bk:code``: every coding of the record's code.

        Observation, Condition, Procedure, AllergyIntolerance: ``code`` (for
        AllergyIntolerance also ``reaction.substance``); Medication*:
        ``medicationCodeableConcept``, or the ``code`` of the Medication that
        ``medicationReference`` names (contained or in the file); Consent:
        ``scope`` and ``category``.
        """
        res = found.resource
        iris: list[URIRef] = []
        if found.type == "Consent":
            iris += self.concept_iris(found, res.get("scope"), "scope")
            for index, category in enumerate(_objs(res.get("category"))):
                iris += self.concept_iris(found, category, f"category[{index}]")
        elif found.type in ("MedicationAdministration", "MedicationStatement"):
            if "medicationCodeableConcept" in res:
                iris += self.concept_iris(found, res["medicationCodeableConcept"], "medicationCodeableConcept")
            reference_object = _obj(res.get("medicationReference"))
            if reference_object is not None:
                reference = _text(reference_object.get("reference"))
                medication, kind, _ = self.resolve(reference, found) if reference else (None, None, None)
                if medication is not None and kind == "Medication":
                    iris += self.concept_iris(found, medication.resource.get("code"), f"the code of Medication {reference}")
                else:
                    self.warn(
                        found.line,
                        f"{self.name(found)} refers to the medication '{reference or ''}', which is not a Medication in this file; "
                        "it is kept without the medication's codes.",
                    )
        else:
            iris += self.concept_iris(found, res.get("code"), "code")
            if found.type == "AllergyIntolerance":
                for index, reaction in enumerate(_objs(res.get("reaction"))):
                    iris += self.concept_iris(found, reaction.get("substance"), f"reaction[{index}].substance")
        return list(dict.fromkeys(iris))

    def lift_dates(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:effective`` (or ``bk:periodStart`` / ``bk:periodEnd``): the first usable
        date element of the record type, in the order of ``_DATE_ELEMENTS``."""
        res = found.resource
        for element in _DATE_ELEMENTS[found.type]:
            if element not in res:
                continue
            if element.endswith("Period"):
                if self.lift_period(found, res[element], element, node, BK.periodStart, BK.periodEnd, graph):
                    return
                continue
            value = _date_literal(res[element])
            if value is None:
                self.bad_date(found, element, res[element])
                continue
            graph.add((node, BK.effective, value))
            return

    def lift_period(
        self, found: _Found, period: Any, element: str, node: URIRef | BNode, start_prop: URIRef, end_prop: URIRef, graph: _Triples
    ) -> bool:
        """A Period's start and end; True when at least one of them is usable."""
        period_object = _obj(period)
        if period_object is None:
            self.warn(found.line, f"{self.name(found)} has {_article(element)} {element} that is not a Period; it is kept without that date.")
            return False
        lifted = False
        for part, prop in (("start", start_prop), ("end", end_prop)):
            if part not in period_object:
                continue
            value = _date_literal(period_object[part])
            if value is None:
                self.bad_date(found, f"{element}.{part}", period_object[part])
                continue
            graph.add((node, prop, value))
            lifted = True
        return lifted

    def bad_date(self, found: _Found, element: str, value: Any) -> None:
        self.warn(
            found.line,
            f"{self.name(found)} has {_article(element)} {element} {json.dumps(value, default=str)} that is not a FHIR date or dateTime; "
            "it is kept without that date.",
        )

    def lift_abatement(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:abatement``: abatementDateTime, else abatementPeriod.end (else its start:
        the abatement had begun by then)."""
        res = found.resource
        if "abatementDateTime" in res:
            value = _date_literal(res["abatementDateTime"])
            if value is not None:
                graph.add((node, BK.abatement, value))
                return
            self.bad_date(found, "abatementDateTime", res["abatementDateTime"])
        period = _obj(res.get("abatementPeriod"))
        if period is not None:
            for part in ("end", "start"):
                if part in period:
                    value = _date_literal(period[part])
                    if value is not None:
                        graph.add((node, BK.abatement, value))
                        return
                    self.bad_date(found, f"abatementPeriod.{part}", period[part])

    def lift_observation(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """value[x], referenceRange, interpretation and components of an Observation."""
        res = found.resource
        has_value = self.lift_value(found, res, "", node, graph)
        if not has_value:
            # fhir-input.md: qualitative values may be "HL7 v3 ObservationInterpretation `POS` / `NEG`".
            for index, interpretation in enumerate(_objs(res.get("interpretation"))):
                for iri in self.concept_iris(found, interpretation, f"interpretation[{index}]"):
                    graph.add((node, BK.valueCode, iri))
        self.lift_reference_high(found, res, "", node, graph)
        for index, component in enumerate(_objs(res.get("component"))):
            part = BNode()
            graph.add((node, BK.component, part))
            graph.add((part, RDF.type, BK.Component))
            graph.add((part, BK.sourceRecord, Literal(self.source_record(found))))
            for iri in self.concept_iris(found, component.get("code"), f"component[{index}].code"):
                graph.add((part, BK.code, iri))
            self.lift_value(found, component, f"component[{index}].", part, graph)
            self.lift_reference_high(found, component, f"component[{index}].", part, graph)

    def lift_value(self, found: _Found, holder: JsonObject, at: str, node: URIRef | BNode, graph: _Triples) -> bool:
        """value[x] of an Observation or component; True when it has a value[x] element.

        ``fhir-input.md``: "Qualitative values: `valueCodeableConcept` ... ;
        `valueString` saying positive / reactive / detected or negative /
        non-reactive / not detected (any case); `valueBoolean`."
        """
        name = self.name(found)
        keys = [key for key in holder if key.startswith("value") and key[5:6].isupper()]
        if not keys:
            return False
        key = next((k for k in _VALUE_TYPES_READ if k in holder), keys[0])
        value = holder[key]
        if key == "valueQuantity":
            self.lift_quantity(found, value, f"{at}valueQuantity", node, graph)
        elif key == "valueCodeableConcept":
            iris = self.concept_iris(found, value, f"{at}valueCodeableConcept")
            for iri in iris:
                graph.add((node, BK.valueCode, iri))
            text = _text(_get(value, "text"))
            if not iris and text is not None:
                graph.add((node, BK.valueString, Literal(text)))
        elif key == "valueString":
            if isinstance(value, str):
                graph.add((node, BK.valueString, Literal(value)))
            else:
                self.warn(found.line, f"{name} has a {at}valueString that is not a string; it is kept without a value.")
        elif key == "valueBoolean":
            if isinstance(value, bool):
                graph.add((node, BK.valueBoolean, Literal(value)))
            else:
                self.warn(found.line, f"{name} has a {at}valueBoolean that is not true or false; it is kept without a value.")
        elif key == "valueInteger":
            number = _number(value)
            if number is not None:
                graph.add((node, BK.value, number))
            else:
                self.warn(found.line, f"{name} has a {at}valueInteger that is not a number; it is kept without a value.")
        else:
            self.warn(found.line, f"{name} has a {at}{key}, which blinakg does not read; it is kept without a value.")
        return True

    def lift_quantity(self, found: _Found, quantity: Any, at: str, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:value`` (exact decimal), ``bk:unit`` (UCUM code), ``bk:comparator``."""
        name = self.name(found)
        quantity_object = _obj(quantity)
        if quantity_object is None:
            self.warn(found.line, f"{name} has a {at} that is not a Quantity; it is kept without a value.")
            return
        unit = _unit(quantity_object)
        if unit is not None:
            graph.add((node, BK.unit, Literal(unit)))
        comparator = quantity_object.get("comparator")
        if comparator is not None and comparator not in _COMPARATORS:
            self.warn(
                found.line,
                f"{name} has a {at}.comparator {json.dumps(comparator, default=str)} that is not <, <=, >= or >; "
                "it is kept without a value.",
            )
            return
        if "value" not in quantity_object:
            self.warn(found.line, f"{name} has a {at} without a value; it is kept without a value.")
            return
        number = _number(quantity_object["value"])
        if number is None:
            self.warn(found.line, f"{name} has a {at}.value that is not a number; it is kept without a value.")
            return
        graph.add((node, BK.value, number))
        if comparator is not None:
            graph.add((node, BK.comparator, Literal(comparator)))

    def lift_reference_high(self, found: _Found, holder: JsonObject, at: str, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:referenceHigh`` / ``bk:referenceHighUnit`` from the first referenceRange with a high."""
        for index, reference_range in enumerate(_objs(holder.get("referenceRange"))):
            high = _obj(reference_range.get("high"))
            if high is None:
                continue
            number = _number(high.get("value"))
            if number is None:
                self.warn(
                    found.line,
                    f"{self.name(found)} has a {at}referenceRange[{index}].high.value that is not a number; "
                    "it is kept without an upper limit of normal.",
                )
                return
            graph.add((node, BK.referenceHigh, number))
            unit = _unit(high)
            if unit is not None:
                graph.add((node, BK.referenceHighUnit, Literal(unit)))
            return


def lift_ndjson_lines(path: Path, lines: list[tuple[int, int, int]], codes: dict[str, str],
                      relevance: Relevance | None = None) -> tuple[list[tuple[Any, Any, Any]], list[str], Counter[str]]:
    """Lift some lines of an NDJSON file, read where the first pass found them.

    Args:
        path: the file, as named on the command line (cited by ``bk:sourceFile``).
        lines: (line number, byte offset, length) of each line to read, in file order.
        codes: :func:`code_iri_table` of the model.
        relevance: which codes can matter (None: lift every record).

    Returns:
        The triples, the warnings (naming file and line), and the resources passed over by type.
    """
    reader = _Reader(path, codes, relevance)
    with open(path, "rb") as handle:
        for number, offset, length in lines:
            handle.seek(offset)
            text = handle.read(length).decode("utf-8-sig")
            reader.collect(_parse_json(text), line=number, entry="", full_url=None, history=False)
    return reader.lift_triples(), reader.warnings, reader.passed_over


def code_iri(codes: dict[str, str], system: str, code: str) -> URIRef:
    """A coding's concept IRI: ``prefix + code`` for a system the model knows
    (:func:`code_iri_table`); else ``<system>/<code>``."""
    prefix = codes.get(system) or codes.get(system.rstrip("/#"))
    if prefix is None:
        if ":" not in system:
            prefix = f"{NON_URI_SYSTEM_IRI}{quote(system, safe='')}/"
        elif system.endswith(("/", "#")):
            prefix = _iri_safe(system)
        else:
            prefix = _iri_safe(system) + "/"
    return URIRef(prefix + _iri_safe(code))


def can_matter(resource: JsonObject, codes: dict[str, str], relevance: Relevance) -> bool:
    """Whether a check can use this resource: Patients and Consents always; a record
    when one of its codes can fall in a value set, or when its codes cannot be told
    without resolving a reference (``medicationReference``)."""
    kind = str(resource.get("resourceType", "")).strip()
    if kind in ("Patient", "Consent"):
        return True
    if kind not in LIFTED_RECORD_TYPES:
        return False
    concepts: list[Any] = []
    if kind in ("MedicationAdministration", "MedicationStatement"):
        if "medicationReference" in resource:
            return True
        concepts.append(resource.get("medicationCodeableConcept"))
    else:
        concepts.append(resource.get("code"))
        if kind == "AllergyIntolerance":
            concepts.extend(_get(reaction, "substance") for reaction in _objs(resource.get("reaction")))
    for concept in concepts:
        for coding in _objs(_get(concept, "coding")):
            system, code = _text(coding.get("system")), _text(coding.get("code"))
            if system is not None and code is not None and relevance.matters(str(code_iri(codes, system, code))):
                return True
    return False


def patient_key(reference: Any) -> str | None:
    """The IRI of the patient a ``Patient/<id>`` reference (relative, absolute or
    versioned) names, as the lift writes it; None for any other reference."""
    text = _text(_get(reference, "reference"))
    match = _REFERENCE_RE.search(text) if text else None
    if match is None or match.group(1) != "Patient":
        return None
    return f"{FHIR_RESOURCE_IRI}Patient/{quote(match.group(2), safe='-._~')}"


def subject_element(kind: str) -> str | None:
    """The element that names a record's patient (``subject``, or ``patient``)."""
    entry = LIFTED_RECORD_TYPES.get(kind)
    return entry[1] if entry else None
