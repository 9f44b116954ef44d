"""Reading RDF files, with errors that name the file, the line and the column.

Formats follow the file extension, as ``contract.md`` lists them:
``.ttl``, ``.nt``, ``.nq``, ``.trig``, ``.jsonld``, ``.rdf``.

Every format is parsed by Oxigraph's parsers (pyoxigraph): they are streaming
and not recursive, so a file cut short, nested 100,000 deep or holding an
unterminated string is a syntax error with a line and column, never a crash
of the parser (issue 12, T1–T3). contract.md: "No command reaches the network
unless told to … no remote JSON-LD contexts, XML entities": Oxigraph's JSON-LD
parser is given no document loader, so a ``@context`` that is not inline is
refused, whatever its scheme (T4); RDF/XML is first checked by
:mod:`blinakg.readers.xmlguard` (no external or nested entities, H2; an
ISO-8859-1 file is re-encoded, F3). IRIs are validated by the parser (T5), and
every typed literal is checked against its datatype here, with the lexical
form as written (W2).
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ..errors import InputError
from .safety import find_lone_surrogate
from .xmlguard import XmlRefused, as_utf8, check_xml

RDF_FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
}

#: How messages name each format ("not valid TURTLE: …").
_FORMAT_NAMES = {"turtle": "TURTLE", "nt": "NT", "nquads": "NQUADS", "trig": "TRIG",
                 "json-ld": "JSON-LD", "xml": "RDF/XML"}

# rdflib logs a traceback for every ill-typed literal; we report those ourselves.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)

_POSITION = re.compile(r"^Parser error (?:at|between) line \d+ (?:column \d+|between columns \d+ and \d+)"
                       r"(?: and line \d+ column \d+)?: ")
_TRAILING_LINE = re.compile(r" \(line \d+\)$")
_BOOLEAN = {"true", "false", "1", "0"}
_RDF_LANG_STRING = str(RDF.langString)
_XSD_STRING = str(XSD.string)


def _oxigraph_format(fmt: str) -> Any:
    import pyoxigraph as ox

    return {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
            "trig": ox.RdfFormat.TRIG, "json-ld": ox.RdfFormat.JSON_LD, "xml": ox.RdfFormat.RDF_XML}[fmt]


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _locate(text: str, lexical: str) -> tuple[int | None, int | None]:
    for quoted in (f'"{lexical}"', lexical):
        index = text.find(quoted)
        if index >= 0:
            return _line_col(text, index)
    return None, None


def _syntax_message(err: SyntaxError, fmt: str) -> str:
    """Oxigraph's message without the position it also gives as attributes."""
    raw = err.msg if isinstance(err.msg, str) and err.msg else str(err)
    lines = raw.strip().splitlines()
    message = lines[0] if lines else ""
    message = _TRAILING_LINE.sub("", _POSITION.sub("", message))
    if "LoadDocumentCallback" in message or "remote context" in message.lower():
        return ("refers to a JSON-LD @context that is not in the file (a URL or a file name); "
                "blinakg loads no context from the network or the disk: put the context inline")
    return f"not valid {_FORMAT_NAMES[fmt]}: {message or 'syntax error'}"


def _term(term: Any) -> Node:
    """A pyoxigraph term as an rdflib term, as rdflib's own parsers would make it."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"an RDF-star triple term is not supported here: {term!r}")


def _ill_typed(lexical: str, datatype: URIRef) -> bool:
    """Whether a lexical form does not fit its datatype, judged on the form as written.

    rdflib maps ``"yes"^^xsd:boolean`` to ``false`` with a warning; that is
    refused here instead (issue 12, W2).
    """
    if datatype == XSD.boolean:
        return lexical.strip() not in _BOOLEAN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(Literal(lexical, datatype=datatype, normalize=False).ill_typed)


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_IRI_KEYWORDS = ("@id", "@type", "@vocab", "@base")


def _bad_jsonld_iri(text: str) -> str | None:
    """The first ``@id``/``@type``/``@vocab``/``@base`` value or property name of a
    JSON-LD document that cannot be an IRI (``urn:p{x}``), or None.

    JSON-LD processors drop such a node without a word (issue 12, T5: a
    patient would vanish from the report); blinakg refuses the file instead.
    """
    import json

    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # the parser says what is wrong
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not key.startswith("@") and ":" in key and _NOT_IN_IRI.search(key):
                    return key
                if key in _IRI_KEYWORDS:
                    for candidate in item if isinstance(item, list) else [item]:
                        if isinstance(candidate, str) and _NOT_IN_IRI.search(candidate):
                            return candidate
                if key != "@context":
                    stack.append(item)
    return None


def parse_rdf_file(path: Path) -> Graph:
    """Parse one RDF file into a graph (named graphs of quad formats are merged).

    Args:
        path: the file; its extension picks the format.

    Raises:
        InputError: the file cannot be read, does not parse, refers to anything
            outside itself (a JSON-LD context, an XML entity), or holds a literal
            whose lexical form does not fit its datatype (e.g. ``"abc"^^xsd:decimal``).
    """
    if RDF_FORMATS.get(path.suffix.lower()) is None:
        raise InputError(path, f"unknown RDF file extension {path.suffix!r}")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror or err})") from None
    return parse_rdf_bytes(raw, path.suffix, path, path.resolve().as_uri())


def parse_rdf_bytes(raw: bytes, suffix: str, path: Path | str, base_iri: str) -> Graph:
    """Parse RDF held in memory (a member of a .zip) with the same guards as :func:`parse_rdf_file`.

    Args:
        raw: the document.
        suffix: the extension that picks the format (``.ttl``, ``.nt``, …).
        path: how messages name the document (``archive.zip!member.ttl``).
        base_iri: the IRI relative IRIs resolve against.

    Raises:
        InputError: as :func:`parse_rdf_file`.
    """
    import pyoxigraph as ox

    fmt = RDF_FORMATS.get(suffix.lower())
    if fmt is None:
        raise InputError(path, f"unknown RDF file extension {suffix!r}")
    if fmt == "xml":
        try:
            raw = as_utf8(raw, check_xml(raw).encoding)
        except XmlRefused as err:
            raise InputError(path, err.message if err.message.startswith("not well-formed")
                             else f"refused: the document {err.message}", err.line, err.column) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = _line_col(raw[: err.start].decode("utf-8", "replace"), err.start)
        raise InputError(path, "the file is not UTF-8 text", line, column) from None
    if fmt == "json-ld":
        surrogate = find_lone_surrogate(text)  # Oxigraph would say "unexpected end of file"
        if surrogate is not None:
            line, column = _line_col(text, surrogate)
            raise InputError(path, f"not valid JSON-LD: a string holds the lone surrogate "
                                   f"{text[surrogate:surrogate + 6]}, which is not a Unicode character", line, column)
        bad_iri = _bad_jsonld_iri(text)
        if bad_iri is not None:
            found_line, found_column = _locate(text, bad_iri)
            raise InputError(path, f"not valid JSON-LD: {bad_iri[:80]!r} is not an IRI (it holds a character "
                                   "no IRI may hold); a JSON-LD processor would drop it silently",
                             found_line, found_column)
    graph = Graph()
    seen_typed: set[tuple[str, str]] = set()
    parser = ox.parse(raw, format=_oxigraph_format(fmt), base_iri=base_iri, rename_blank_nodes=True)

    def bind_prefixes() -> None:
        for prefix, namespace in getattr(parser, "prefixes", {}).items():
            try:
                graph.bind(prefix, namespace, override=False)
            except Exception:  # a prefix rdflib will not bind is only cosmetic
                pass

    try:
        for quad in parser:
            obj = quad.object
            if isinstance(obj, ox.Literal) and not obj.language:
                datatype = obj.datatype.value
                key = (obj.value, datatype)
                if datatype != _XSD_STRING and key not in seen_typed:
                    seen_typed.add(key)
                    if _ill_typed(obj.value, URIRef(datatype)):
                        bind_prefixes()
                        found_line, found_column = _locate(text, obj.value)
                        predicate = URIRef(quad.predicate.value)
                        raise InputError(
                            path,
                            # clipped: the message stays one readable line whatever the literal's length
                            f"literal \"{_clip(obj.value)}\" of {predicate.n3(graph.namespace_manager)} is not a valid "
                            f"{URIRef(datatype).n3(graph.namespace_manager)}",
                            found_line,
                            found_column,
                        )
            graph.add((_term(quad.subject), _term(quad.predicate), _term(obj)))
    except SyntaxError as err:
        at_line: int | None = err.lineno if isinstance(err.lineno, int) and err.lineno > 0 else None
        at_column: int | None = (err.offset if at_line is not None and isinstance(err.offset, int)
                                 and err.offset > 0 else None)
        raise InputError(path, _syntax_message(err, fmt), at_line, at_column) from None
    except (TypeError, ValueError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(path, f"not valid {_FORMAT_NAMES[fmt]}: {message}") from None
    except RecursionError:  # pragma: no cover - the parsers do not recurse; belt and braces
        raise InputError(path, f"not valid {_FORMAT_NAMES[fmt]}: nested too deeply") from None
    bind_prefixes()
    return graph
