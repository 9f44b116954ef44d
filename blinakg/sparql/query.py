"""Running catalogue queries: naming, parameters, syntax errors and result formats.

This module knows SPARQL *text* and SPARQL *results*; where the data lives (an
in-memory dataset, the embedded store, a remote endpoint) is
:mod:`blinakg.store`'s business.

Naming a query
    ``blinakg query NAME`` runs the catalogue query whose header says
    ``# id: NAME`` (``queries/catalogue/*.rq`` and the model checks
    ``queries/checks/*-violation.rq``); ``blinakg query FILE.rq`` runs a file.

Parameters
    ``--param NAME=VALUE`` binds the query variable ``?NAME``. In the catalogue a
    parameter is a column, written ``$NAME``: ``--param criterion=I5`` keeps the
    rows whose ``criterion`` column is ``I5``, and leaving it out keeps them all.
    The value becomes an RDF term by this rule, first match wins:

    * ``<…>`` — that IRI;
    * ``"…"`` — a plain string, whatever it holds;
    * ``prefix:local`` with a prefix blinakg knows (``bk:``, ``trial:``,
      ``run:``, ``vs:``, ``local:``, ``sct:``, ``loinc:``, …) — the expanded IRI;
    * ``scheme:…`` (``https://…``, ``urn:…``) — that IRI;
    * an integer, a decimal, ``true``/``false``, a date ``YYYY-MM-DD`` or a
      date-time — a literal of that XSD type;
    * anything else — a plain string (``I5``, ``pat-017``, ``fail``).

    The binding is a ``VALUES`` clause placed first in the query's outermost
    ``WHERE`` group: plain SPARQL 1.1, joined like any pattern, so the same text
    runs on rdflib, on pyoxigraph and on any remote endpoint, and the engine
    uses the value to prune early. A variable bound this way meets the
    patterns of the outermost group (not the inside of sub-queries), and it
    must not be the target of a ``BIND`` (rdflib would overwrite it).

Formats
    ``table`` (aligned columns, IRIs shortened with blinakg's prefixes), and the
    W3C SPARQL 1.1 results formats ``csv``, ``tsv``, ``json`` (and ``xml`` for
    the endpoint). ``CONSTRUCT``/``DESCRIBE`` results are RDF graphs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from . import catalogue
from .parsed import ParsedQuery, local_query
from ..errors import InputError, UsageError
from ..namespaces import QUERIES_DIR

#: The folders whose queries ``blinakg query --list`` shows and runs by name.
LISTED_FOLDERS = ("catalogue", "checks", "registry")

#: Prefixes known to ``--param`` values and used to shorten IRIs in tables.
PREFIXES: dict[str, str] = {
    "bk": "https://w3id.org/blinakg/ontology#",
    "trial": "https://w3id.org/blinakg/trial/NCT04604691/",
    "run": "https://w3id.org/blinakg/run/",
    "graph": "https://w3id.org/blinakg/graph/",
    "vs": "https://w3id.org/blinakg/valueset/",
    "local": "https://w3id.org/blinakg/code/",
    "bksh": "https://w3id.org/blinakg/shapes#",
    "fhir": "https://w3id.org/blinakg/fhir/",
    "sct": "http://snomed.info/id/",
    "loinc": "https://loinc.org/",
    "icd": "http://purl.bioontology.org/ontology/ICD10CM/",
    "rxn": "http://purl.bioontology.org/ontology/RXNORM/",
    "atc": "http://purl.bioontology.org/ontology/ATC/",
    "ncit": "http://purl.obolibrary.org/obo/NCIT_",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": str(XSD),
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
}

FORMATS = ("table", "csv", "tsv", "json")
SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_FORMS = {SELECT, ASK, CONSTRUCT, DESCRIBE}


# ---------------------------------------------------------------------------
#  Naming a query
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class QuerySource:
    """The text of a query to run, where it came from, and its declared parameters.

    Attributes:
        label: how messages name it: the file path.
        text: the SPARQL text.
        parameters: declared parameter names, or ``None`` when the query
            declares none in a header (a user's file): any variable may be bound.
    """

    label: str
    text: str
    parameters: tuple[str, ...] | None = None


def parameter_names(query: catalogue.Query) -> tuple[str, ...]:
    """The names of a catalogue query's parameters (header ``# parameters:``)."""
    names = []
    for item in query.parameters:
        match = re.match(r"[A-Za-z_][\w-]*", item)
        if match and match.group(0).lower() != "none":
            names.append(match.group(0))
    return tuple(names)


def listed_queries() -> list[catalogue.Query]:
    """The catalogue shown by ``blinakg query --list``: ``queries/catalogue`` then ``queries/checks``."""
    folders = [QUERIES_DIR / name for name in LISTED_FOLDERS]
    queries = [q for q in catalogue.catalogue().values() if q.path.parent in folders and not q.is_update]
    return sorted(queries, key=lambda q: (folders.index(q.path.parent), q.id))


def resolve(name: str) -> QuerySource:
    """The query ``blinakg query NAME|FILE.rq`` means.

    Raises:
        UsageError: no catalogue query has that id and no such file exists.
        InputError: the file cannot be read.
    """
    path = Path(name)
    looks_like_file = path.suffix.lower() in (".rq", ".sparql") or "/" in name or path.is_file()
    if not looks_like_file:
        for query in listed_queries():
            if query.id == name:
                return QuerySource(str(query.path), query.text, parameter_names(query))
        raise UsageError(f"no catalogue query named {name!r}; `blinakg query --list` shows the catalogue")
    if not path.is_file():
        raise InputError(path, "no such query file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise InputError(path, f"cannot read the query ({reason})") from None
    return QuerySource(str(path), text, None)


def describe_catalogue() -> str:
    """``blinakg query --list``: each query's id, summary and parameters."""
    lines: list[str] = []
    for query in listed_queries():
        lines.append(query.id)
        lines.append(f"    {query.summary}")
        for param in query.parameters:
            if param.lower() != "none":
                lines.append(f"    --param {param}")
        if query.columns:
            lines.append(f"    columns: {', '.join(query.columns)}")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
#  Parameters
# ---------------------------------------------------------------------------

_IRI_CHARS = re.compile(r'^[^\s<>"{}|^`\\]*$')
_SCHEME_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_PREFIXED = re.compile(r"^([A-Za-z][\w-]*):([^\s]*)$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$")
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _iri(text: str) -> URIRef:
    if not text or not _IRI_CHARS.match(text):
        raise UsageError(f"<{text}> is not an IRI")
    return URIRef(text)


def parse_value(text: str) -> Node:
    """The RDF term a ``--param`` value stands for (the rule in the module docstring).

    Raises:
        UsageError: ``<…>`` holds something that is not an IRI.
    """
    value = text.strip()
    if value.startswith("<") and value.endswith(">"):
        return _iri(value[1:-1])
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return Literal(value[1:-1])
    prefixed = _PREFIXED.match(value)
    if prefixed and prefixed.group(1) in PREFIXES:
        return _iri(PREFIXES[prefixed.group(1)] + prefixed.group(2))
    if _SCHEME_IRI.match(value) and _IRI_CHARS.match(value):
        return URIRef(value)
    if _INTEGER.match(value):
        return Literal(value, datatype=XSD.integer)
    if _DECIMAL.match(value):
        return Literal(value, datatype=XSD.decimal)
    if value in ("true", "false"):
        return Literal(value, datatype=XSD.boolean)
    if _DATE.match(value):
        try:
            dt.date.fromisoformat(value)
            return Literal(value, datatype=XSD.date)
        except ValueError:
            pass
    if _DATETIME.match(value):
        return Literal(value, datatype=XSD.dateTime)
    return Literal(value)


def parse_params(items: Iterable[str]) -> dict[str, Node]:
    """``("patient=pat-017", "run=<…>")`` -> ``{"patient": Literal("pat-017"), …}``.

    Raises:
        UsageError: an item is not ``name=value``, or names a variable twice.
    """
    params: dict[str, Node] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not _VARNAME.match(name):
            raise UsageError(f"--param {item!r}: expected NAME=VALUE, NAME a SPARQL variable name")
        if name in params:
            raise UsageError(f"--param {name} is given twice")
        params[name] = parse_value(value)
    return params


# ---------------------------------------------------------------------------
#  Reading the query text: form, where WHERE starts, syntax
# ---------------------------------------------------------------------------

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z_][\w.-]*(:[\w.%:-]*)?|[?$][\w]+|[0-9][\w.]*")


@dataclass
class _Outline:
    form: str | None = None
    update: str | None = None
    where_brace: int | None = None
    first_brace_after_form: list[int] = field(default_factory=list)
    short_construct: bool = False
    variables: set[str] = field(default_factory=set)
    declared_prefixes: set[str] = field(default_factory=set)
    used_prefixes: list[tuple[str, int]] = field(default_factory=list)


def _outline(text: str) -> _Outline:
    """Scan the query for its form, its top-level braces and its variables.

    Comments, strings and IRIs are skipped, so a ``{`` or a keyword inside them
    is not taken for syntax.
    """
    out = _Outline()
    depth, i, n = 0, 0, len(text)
    after_where = False
    previous_word = ""
    while i < n:
        ch = text[i]
        skipped = _skip_opaque(text, i)
        if skipped is not None:
            i = skipped
            continue
        if ch == "{":
            if depth == 0:
                if after_where and out.where_brace is None:
                    out.where_brace = i
                elif out.form is not None:
                    out.first_brace_after_form.append(i)
            depth += 1
            i += 1
            continue
        if ch == "}":
            depth -= 1
            i += 1
            continue
        match = _WORD.match(text, i)
        if match:
            word = match.group(0)
            if ":" in word and word[0] not in "?$0123456789":
                prefix = word.split(":", 1)[0]
                if previous_word.upper() == "PREFIX":
                    out.declared_prefixes.add(prefix)
                elif prefix != "_":
                    out.used_prefixes.append((prefix, i))
            previous_word = word
            if word[0] in "?$":
                out.variables.add(word[1:])
            elif depth == 0 and ":" not in word:
                upper = word.upper()
                if out.form is None and out.update is None:
                    if upper in _FORMS:
                        out.form = upper
                    elif upper in _UPDATE_WORDS:
                        out.update = upper
                elif upper == "WHERE" and not after_where:
                    after_where = True
                    # CONSTRUCT WHERE { … }: the pattern is also the template.
                    out.short_construct = out.form == CONSTRUCT and not out.first_brace_after_form
            i = match.end()
            continue
        i += 1
    return out


def _skip_opaque(text: str, i: int) -> int | None:
    """Where a comment, string or IRI starting at ``i`` ends; None when none starts there."""
    ch, n = text[i], len(text)
    if ch == "#":
        end = text.find("\n", i)
        return n if end < 0 else end + 1
    if ch in "\"'":
        quote = ch * 3 if text.startswith(ch * 3, i) else ch
        j = i + len(quote)
        while j < n and not text.startswith(quote, j):
            j += 2 if text[j] == "\\" else 1
        return j + len(quote)
    if ch == "<":
        match = _IRIREF.match(text, i)
        return match.end() if match else i + 1
    return None


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``; ``None`` when it is not a query."""
    return _outline(text).form


def check_is_query(text: str, label: str) -> str:
    """The query's form; a SPARQL update is refused.

    Raises:
        UsageError: the text is an update (``INSERT``, ``DELETE``, ``LOAD``, …).
    """
    outline = _outline(text)
    if outline.update is not None and outline.form is None:
        raise UsageError(f"{label}: a SPARQL update ({outline.update}); blinakg query runs queries only")
    return outline.form or SELECT


def bind_parameters(text: str, params: Mapping[str, Node], label: str = "query",
                    declared: Sequence[str] | None = None) -> str:
    """The query text with ``params`` bound by a ``VALUES`` clause first in its ``WHERE`` group.

    Args:
        text: the query.
        params: variable name -> term.
        label: how messages name the query.
        declared: the parameters the query declares; ``None`` accepts any
            variable the query mentions.

    Raises:
        UsageError: a parameter the query does not take, or a query form a
            ``VALUES`` clause cannot go into (``CONSTRUCT WHERE {…}``, ``DESCRIBE`` without ``WHERE``).
    """
    if not params:
        return text
    outline = _outline(text)
    for name in params:
        if declared is not None and name not in declared:
            takes = ", ".join(declared) if declared else "no parameters"
            raise UsageError(f"{label}: unknown parameter {name!r} (this query takes {takes})")
        if declared is None and name not in outline.variables:
            raise UsageError(f"{label}: the query has no variable ?{name} to bind")
    if outline.short_construct:
        raise UsageError(f"{label}: parameters cannot be bound in the short form CONSTRUCT WHERE {{…}}")
    brace = outline.where_brace
    if brace is None and outline.form in (SELECT, ASK, DESCRIBE) and outline.first_brace_after_form:
        brace = outline.first_brace_after_form[0]
    if brace is None and outline.form == CONSTRUCT and len(outline.first_brace_after_form) > 1:
        brace = outline.first_brace_after_form[1]
    if brace is None:
        raise UsageError(f"{label}: found no WHERE {{…}} group to bind parameters in")
    names = sorted(params)
    values = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(params[n].n3() for n in names)}) }} "
    return text[: brace + 1] + values + text[brace + 1:]


_GROUP_KEYWORDS = {"OPTIONAL", "LATERAL", "SERVICE", "MINUS", "GRAPH", "FILTER", "BIND", "VALUES", "UNION"}
_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


def _tidy_message(message: str, text: str, line: int, column: int) -> str:
    """Oxigraph's parser lists every character class it expected; keep the words."""
    if "Prefix not found" in message:
        source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        names = re.findall(r"([A-Za-z][\w-]*)?:", source_line[: max(column - 1, 0)])
        prefix = names[-1] if names else ""
        return f"undeclared prefix '{prefix}:'"
    expected = message
    if expected.startswith("expected "):
        items = [item.strip() for item in re.split(r",\s*(?=[^\]]*(?:\[|$))", expected[len("expected "):])]
        words = [w for w in items if w and not w.startswith("[") and not w.startswith("'")
                 and "\\u" not in w and "..=" not in w]
        words = [w.replace("one of ", "") for w in words]
        if len(words) > 8:
            words = words[:8] + ["…"]
        if not words or set(words) <= _GROUP_KEYWORDS:
            expected = "unexpected text"  # oxigraph then only lists the keywords a group may go on with
        else:
            expected = "expected " + ", ".join(words)
    lines = text.splitlines()
    near = ""
    if 0 < line <= len(lines):
        fragment = lines[line - 1][max(column - 2, 0): max(column - 2, 0) + 20].strip()
        if fragment:
            near = f" (near {fragment!r})"
    return expected.replace("\n", " ") + near


def _last_token(text: str, line: int, column: int) -> tuple[int, int]:
    """Oxigraph may report the place just after the token it stopped at, past
    whitespace or at the end of the text; step back to that token."""
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return line, column
    offset = min(sum(len(s) + 1 for s in lines[: line - 1]) + column - 1, len(text))
    if offset < len(text) and not text[offset].isspace():
        return line, column
    back = offset - 1
    while back >= 0 and text[back].isspace():
        back -= 1
    if back < 0:
        return line, column
    return text.count("\n", 0, back) + 1, back - (text.rfind("\n", 0, back) + 1) + 1


def _syntax_error(label: str, text: str, line: int, column: int, detail: str) -> InputError:
    return InputError(label, f"SPARQL syntax error at line {line}, column {column}: {detail}")


def _undeclared_prefix(text: str, label: str) -> InputError | None:
    """The first use of a prefix the query does not declare, as a located error; None when there is none."""
    outline = _outline(text)
    undeclared = [(p, i) for p, i in outline.used_prefixes if p not in outline.declared_prefixes]
    if not undeclared:
        return None
    prefix, index = undeclared[0]
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return _syntax_error(label, text, line, column, f"undeclared prefix '{prefix}:'")


#: Appended to a query so that Oxigraph can only *parse* it: a NUL is an error
#: everywhere in SPARQL outside a long string, and the newline ends any comment
#: the text ends in, so the parse always fails at the latest at the NUL and the
#: query is never evaluated (evaluating it is what would call a SERVICE).
_NEVER_VALID = "\n\x00"


def _oxigraph_syntax_error(text: str, label: str) -> InputError | None:
    """Oxigraph's parser's objection to the query, when it lies inside the text; None otherwise.

    pyoxigraph has no parse-only call, so the text goes to ``Store.query`` with
    :data:`_NEVER_VALID` after it: the parse fails for certain and nothing is
    evaluated. An error placed in the appended part means Oxigraph found
    nothing wrong before the end of the text (or the text stops short): the
    caller then relies on rdflib's parse.
    """
    import pyoxigraph

    try:
        pyoxigraph.Store().query(text + _NEVER_VALID)
    except SyntaxError as err:
        message = str(err.args[0]) if err.args else str(err)
    else:  # pragma: no cover - the appended NUL makes every text invalid
        raise AssertionError("Oxigraph accepted a query ending in NUL")
    match = _ERROR_AT.match(message)
    if match is None:
        return InputError(label, f"SPARQL syntax error: {message.splitlines()[0]}")
    line, column = int(match.group(1)), int(match.group(2))
    lines = text.split("\n")
    offset = sum(len(s) + 1 for s in lines[: line - 1]) + column - 1 if line <= len(lines) else len(text)
    if offset >= len(text.rstrip()):
        return None
    undeclared = _undeclared_prefix(text, label) if "Prefix not found" in message else None
    if undeclared is not None:
        return undeclared
    line, column = _last_token(text, line, column)
    return _syntax_error(label, text, line, column, _tidy_message(match.group(3), text, line, column))


def check_syntax(text: str, label: str, local: bool = True) -> ParsedQuery | None:
    """Parse the query; nothing is evaluated, so nothing can reach the network.

    Oxigraph's parser speaks first (its messages are the clearer); for a query
    that runs here (``local``) rdflib's parse must succeed too, because its
    algebra is what decides whether the query is federated
    (:func:`parse_query`).

    Returns:
        The parsed query (``local``), else None.

    Raises:
        InputError: ``FILE: SPARQL syntax error at line L, column C: …``.
        UsageError: the text is a SPARQL update, not a query; or (``local``)
            it holds a ``SERVICE`` pattern.
    """
    check_is_query(text, label)
    error = _oxigraph_syntax_error(text, label)
    if error is not None:
        raise error
    return local_query(text, label) if local else None


# ---------------------------------------------------------------------------
#  Results
# ---------------------------------------------------------------------------

Row = tuple["Node | None", ...]


@dataclass
class QueryResult:
    """The answer to a query, whatever engine gave it.

    Attributes:
        form: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``.
        variables: the projected variables (``SELECT``).
        rows: one tuple of terms (``None`` when unbound) per solution.
        boolean: the answer of an ``ASK``.
        graph: the triples of a ``CONSTRUCT``/``DESCRIBE``.
    """

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


def _library_results(result: QueryResult) -> Any:
    """The result as pyoxigraph query results, by way of rdflib's SPARQL JSON
    results writer (issue 12: "SPARQL result formats come from the libraries …
    not from our own code")."""
    import pyoxigraph as ox
    from rdflib.query import Result
    from rdflib.term import Variable

    if result.form == ASK:
        answer = Result("ASK")
        answer.askAnswer = bool(result.boolean)
    else:
        answer = Result("SELECT")
        variables = [Variable(v) for v in result.variables]
        answer.vars = variables
        answer.bindings = [{var: term for var, term in zip(variables, row) if term is not None}  # type: ignore[misc]
                           for row in result.rows]
    document = answer.serialize(format="json")
    return ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)


def _written(result: QueryResult, fmt: str) -> str:
    import pyoxigraph as ox

    data = _library_results(result).serialize(format=getattr(ox.QueryResultsFormat, fmt)) or b""
    text = data.decode("utf-8")
    return text if text.endswith("\n") else text + "\n"


def to_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON Format (written by pyoxigraph)."""
    return _written(result, "JSON")


def to_xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format (written by pyoxigraph)."""
    return _written(result, "XML")


def to_csv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results CSV Format (RFC 4180, CRLF line ends; written by pyoxigraph)."""
    return _written(result, "CSV")


def to_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV Format (terms in SPARQL syntax; written by pyoxigraph)."""
    return _written(result, "TSV")


def shorten(term: Node | None) -> str:
    """A term for a human: IRIs with blinakg's prefixes, literals as their text."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        best = max((ns for ns in PREFIXES.values() if text.startswith(ns)), key=len, default=None)
        if best is not None:
            local = text[len(best):]
            if re.match(r"^[\w.-]*$", local) and not local.endswith("."):
                prefix = next(p for p, ns in PREFIXES.items() if ns == best)
                return f"{prefix}:{local}"
        return f"<{text}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return " ".join(str(term).split())


def to_table(result: QueryResult) -> str:
    """An aligned text table, with a row count."""
    if result.form == ASK:
        return ("true" if result.boolean else "false") + "\n"
    cells = [[shorten(term) for term in row] for row in result.rows]
    widths = [len(v) for v in result.variables]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
    out = [line(result.variables), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out) + "\n"


RESULT_WRITERS = {"table": to_table, "csv": to_csv, "tsv": to_tsv, "json": to_json, "xml": to_xml}


def render(result: QueryResult, fmt: str) -> str:
    """The result in one of ``table``, ``csv``, ``tsv``, ``json``, ``xml``.

    ``CONSTRUCT``/``DESCRIBE`` results are written as Turtle whatever ``fmt`` is.
    """
    if result.form in (CONSTRUCT, DESCRIBE):
        graph = result.graph if result.graph is not None else Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, override=False)
        return graph.serialize(format="turtle")
    return RESULT_WRITERS[fmt](result)


# ---------------------------------------------------------------------------
#  Comparing answers across engines (the portability tests)
# ---------------------------------------------------------------------------

_NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.nonNegativeInteger}


def normal_term(term: Node | None) -> tuple[str, ...] | None:
    """A comparable form of a term: numbers by value, strings without the xsd:string tag."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, URIRef):
        return ("iri", str(term))
    assert isinstance(term, Literal)
    if term.datatype in _NUMERIC:
        try:
            return ("number", str(Decimal(str(term)).normalize()))
        except InvalidOperation:
            pass
    lexical = str(term)
    if term.datatype == XSD.dateTime:  # engines differ on "Z" versus "+00:00"
        try:
            lexical = dt.datetime.fromisoformat(lexical.replace("Z", "+00:00")).isoformat()
        except ValueError:
            pass
    datatype = "" if term.datatype in (None, XSD.string) else str(term.datatype)
    return ("literal", lexical, term.language or "", datatype)


def normal_rows(result: QueryResult) -> set[tuple[tuple[str, ...] | None, ...]]:
    """The rows of a result as a set of normalised tuples (order and literal forms aside)."""
    return {tuple(normal_term(term) for term in row) for row in result.rows}


__all__ = [
    "QuerySource", "QueryResult", "resolve", "listed_queries", "describe_catalogue", "parse_value",
    "parse_params", "bind_parameters", "check_syntax", "check_is_query", "query_form", "render",
    "to_json", "to_xml", "to_csv", "to_tsv", "to_table", "normal_rows", "normal_term", "PREFIXES", "FORMATS",
]
