"""IRIs: of codings (from the model's code systems), of resources and of the
patients references name."""

from __future__ import annotations

import json
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
# Characters an IRI may not hold as they are (RFC 3987: outside unreserved, reserved
# and ucschar): percent-encoded in codes and URLs. Besides ASCII's controls, space
# and delimiters: C1 controls, surrogates, private use and the noncharacters.
_PLANE_ENDS = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 15))
_NOT_IN_IRI = re.compile('[\x00-\x20<>"{}|\\\\^`\x7f-\x9f\ud800-\uf8ff\ufdd0-\ufdef\ufff0-\uffff'
                         + _PLANE_ENDS + '\U000f0000-\U0010ffff]')
# What no resource id or URL may hold at all: control characters, surrogates,
# noncharacters. Percent-encoding one would hide a broken export behind an IRI
# that names nothing the source system knows, so the file is refused instead.
_UNUSABLE_IN_ID = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff' + _PLANE_ENDS + ']')


class UnusableIdError(ValueError):
    """A resource id or URL holding a character that no IRI can hold."""


def _check_usable(text: str, what: str) -> None:
    bad = _UNUSABLE_IN_ID.search(text)
    if bad is not None:
        raise UnusableIdError(
            f"{what} {json.dumps(text)} holds U+{ord(bad.group(0)):04X}, a control character or noncharacter "
            "that no IRI can hold (FHIR ids are letters, digits, '-' and '.')")


def resource_iri(kind: str, rid: str) -> str:
    """``<FHIR_RESOURCE_IRI><ResourceType>/<id>``, the id percent-encoded where an IRI needs it.

    Raises:
        UnusableIdError: the type or id holds a control character or noncharacter.
    """
    _check_usable(kind, "the resourceType")
    _check_usable(rid, f"the {kind} id")
    return f"{FHIR_RESOURCE_IRI}{quote(kind, safe='')}/{quote(rid, safe='-._~')}"


def url_iri(url: str) -> str:
    """A fullUrl as an IRI (characters an IRI may not hold percent-encoded).

    Raises:
        UnusableIdError: the URL holds a control character or noncharacter.
    """
    _check_usable(url, "the fullUrl")
    return _iri_safe(url)


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
    return resource_iri("Patient", match.group(2))

