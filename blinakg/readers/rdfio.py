"""Reading RDF files, with errors that name the file, the line and the column.

Formats follow the file extension, as ``contract.md`` lists them:
``.ttl``, ``.nt``, ``.nq``, ``.trig``, ``.jsonld``, ``.rdf``.
"""

from __future__ import annotations

import json
import logging
import xml.sax
from pathlib import Path

from rdflib import ConjunctiveGraph, Graph, Literal
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax

from ..errors import InputError

RDF_FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
}

# rdflib logs a traceback for every ill-typed literal; we report those ourselves.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _first_bad_line(path: Path, fmt: str) -> int | None:
    """For line-based formats the parser does not say which line: find it."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            Graph().parse(data=line, format=fmt) if fmt == "nt" else ConjunctiveGraph().parse(data=line, format=fmt)
        except Exception:
            return number
    return None


def _locate(text: str, lexical: str) -> tuple[int | None, int | None]:
    for quoted in (f'"{lexical}"', lexical):
        index = text.find(quoted)
        if index >= 0:
            return _line_col(text, index)
    return None, None


def parse_rdf_file(path: Path) -> Graph:
    """Parse one RDF file into a graph (named graphs of quad formats are merged).

    Args:
        path: the file; its extension picks the format.

    Raises:
        InputError: the file cannot be read, does not parse, or holds a literal
            whose lexical form does not fit its datatype (e.g. ``"abc"^^xsd:decimal``).
    """
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(path, f"unknown RDF file extension {path.suffix!r}")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError as err:
        line, column = _line_col(raw[: err.start].decode("utf-8", "replace"), err.start)
        raise InputError(path, "the file is not UTF-8 text", line, column) from None
    graph: Graph = ConjunctiveGraph() if fmt in ("nquads", "trig") else Graph()
    try:
        graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except BadSyntax as err:
        line, column = _line_col(text, err._i) if isinstance(err._i, int) else (err.lines + 1, None)
        raise InputError(path, f"not valid {fmt.upper()}: {err._why}", line, column) from None
    except json.JSONDecodeError as err:
        raise InputError(path, f"not valid JSON: {err.msg}", err.lineno, err.colno) from None
    except xml.sax.SAXParseException as err:
        raise InputError(path, f"not valid RDF/XML: {err.getMessage()}", err.getLineNumber(), err.getColumnNumber()) from None
    except (ParserError, ValueError, TypeError, KeyError, AttributeError) as err:
        bad_line = _first_bad_line(path, fmt) if fmt in ("nt", "nquads") else None
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(path, f"not valid {fmt.upper()}: {message}", bad_line) from None
    if fmt in ("nquads", "trig"):
        merged = Graph()
        for triple in graph.triples((None, None, None)):
            merged.add(triple)
        graph = merged
    for _, predicate, obj in graph:
        if isinstance(obj, Literal) and obj.ill_typed:
            found_line, found_column = _locate(text, str(obj))
            raise InputError(
                path,
                f"literal \"{obj}\" of {predicate.n3(graph.namespace_manager)} is not a valid "
                f"{obj.datatype.n3(graph.namespace_manager) if obj.datatype else 'value'}",
                found_line,
                found_column,
            )
    return graph
