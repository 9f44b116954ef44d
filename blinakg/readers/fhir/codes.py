"""IRIs: of codings (from the model's code systems), of resources and of the
patients references name."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from rdflib import Graph, URIRef

from ...namespaces import BK
from .values import _get, _text

FHIR_RESOURCE_IRI = "https://w3id.org/blinakg/fhir/"
"""A resource with an id gets the IRI ``<this><ResourceType>/<id>``."""


NON_URI_SYSTEM_IRI = "urn:blinakg:codesystem:"
"""Codes of a ``system`` that is not a URI (e.g. ``"LOINC"``) are kept under this."""


_REFERENCE_RE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
# Characters an IRI may not hold (RFC 3987): percent-encoded in codes.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')


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



def _iri_safe(text: str) -> str:
    return _NOT_IN_IRI.sub(lambda m: quote(m.group(0), safe=""), text)



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



def patient_key(reference: Any) -> str | None:
    """The IRI of the patient a ``Patient/<id>`` reference (relative, absolute or
    versioned) names, as the lift writes it; None for any other reference."""
    text = _text(_get(reference, "reference"))
    match = _REFERENCE_RE.search(text) if text else None
    if match is None or match.group(1) != "Patient":
        return None
    return f"{FHIR_RESOURCE_IRI}Patient/{quote(match.group(2), safe='-._~')}"

