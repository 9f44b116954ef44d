"""The reader of one file: collect its resources, then lift each one a check can
use (patients, records) into triples."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ...errors import InputError
from ...namespaces import BK
from ..relevance import Relevance
from .bundle import _Found, _Triples
from .codes import UnusableIdError, code_iri_table
from .files import _load_resources, _parse_json
from .kinds import LIFTED_RECORD_TYPES, MEDICATION_RECORD_TYPES, STATUS_REQUIRED, can_matter
from .medications import _MedicationLift
from .observations import _ObservationLift
from .patient import _PatientLift
from .values import _get, _objs, _text


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



class _Reader(_PatientLift, _MedicationLift, _ObservationLift):
    """Collects the resources of one file, indexes them, then lifts them."""

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
            except UnusableIdError as err:
                # An id or fullUrl no IRI can hold: the export is broken, not one record (exit 2).
                where = f"{found.type} in Bundle entry {found.entry}: " if found.entry else ""
                raise InputError(self.path, f"{where}{err}", found.line) from None
            except Exception as err:  # a safety net: never a traceback for odd FHIR
                self.warn(found.line, f"{self.name(found)} could not be read ({type(err).__name__}: {err}); it was ignored.")
                continue
            triples.extend(part.triples)
        triples.extend(self.graph.triples((None, None, None)))  # patients named only by reference
        return triples

    def can_matter(self, found: _Found) -> bool:
        return self.relevance is None or can_matter(found.resource, self.codes, self.relevance)


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
        status = _text(res.get("status"))
        if status is None and found.type in STATUS_REQUIRED:
            # Issue 19.7: a result (or order) of unknown status is not evidence.
            self.warn(found.line, f"{name} has no status (FHIR requires one); it is not evidence and was ignored.")
            return
        patient = self.patient_iri(found, subject_element)
        if patient is None:
            return
        node = self.iri(found)
        if isinstance(node, BNode):
            self.warn(found.line, f"{name} has neither an id nor a fullUrl; it is kept and cited as '{self.source_record(found)}'.")
        graph.add((node, RDF.type, record_class))
        if record_class == BK.MedicationOrder:
            graph.add((node, RDF.type, BK.MedicationUse))  # read without inference
        graph.add((node, BK.subject, patient))
        self.provenance(found, node, graph)

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

        if found.type != "MedicationRequest" or not self.lift_order_dates(found, node, graph):
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
        elif found.type in MEDICATION_RECORD_TYPES:
            iris += self.medication_codes(found)
        else:
            iris += self.concept_iris(found, res.get("code"), "code")
            if found.type == "AllergyIntolerance":
                for index, reaction in enumerate(_objs(res.get("reaction"))):
                    iris += self.concept_iris(found, reaction.get("substance"), f"reaction[{index}].substance")
        return list(dict.fromkeys(iris))


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

