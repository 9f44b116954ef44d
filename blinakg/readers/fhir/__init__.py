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

from .codes import FHIR_RESOURCE_IRI, NON_URI_SYSTEM_IRI, code_iri, code_iri_table, patient_key
from .kinds import LIFTED_RECORD_TYPES, can_matter, subject_element
from .reader import FhirLift, lift_ndjson_lines, read_fhir_file
from .values import UCUM_SYSTEM

__all__ = ["FhirLift", "read_fhir_file", "lift_ndjson_lines", "can_matter", "code_iri", "patient_key",
           "subject_element", "FHIR_RESOURCE_IRI", "LIFTED_RECORD_TYPES", "code_iri_table"]
