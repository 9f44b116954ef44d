"""Collecting the resources of one file (Bundles of any type, nested, history),
naming them in warnings, and resolving references between them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ...namespaces import BK, BK_IRI
from ..relevance import Relevance
from ..paths import path_text
from .codes import _REFERENCE_RE, code_iri, resource_iri, url_iri
from .files import _is_resource
from .values import JsonObject, _get, _obj, _objs, _text


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


class _Base:
    """Collects the resources of one file and indexes them; the lifts of the
    modules beside this one build on it."""

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
            return URIRef(resource_iri(found.type, found.id))
        if found.full_url and ":" in found.full_url:
            return URIRef(url_iri(found.full_url))
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
                iri = self.referenced_patients[rid] = URIRef(resource_iri("Patient", rid))
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

    def provenance(self, found: _Found, node: URIRef | BNode, graph: _Triples) -> None:
        """``bk:sourceRecord`` and ``bk:sourceFile`` (the path as given)."""
        graph.add((node, BK.sourceRecord, Literal(self.source_record(found))))
        graph.add((node, BK.sourceFile, self.source_file))
