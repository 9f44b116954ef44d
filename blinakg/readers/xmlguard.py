"""Checks an XML document before an RDF/XML parser sees it (issue 12, H2, F3).

contract.md: "No command reaches the network unless told to … no remote JSON-LD
contexts, XML entities or SPARQL ``SERVICE``." So an RDF/XML file is first read
by expat with handlers only, and refused when it

* declares an external entity (``SYSTEM``/``PUBLIC``: a disk or network read)
  or a parameter entity;
* declares an entity whose text refers to another entity (the "billion
  laughs" that grows a few kilobytes into gigabytes);
* would still expand to more than :data:`MAX_EXPANDED_CHARS` characters of text.

Internal entities that stand for plain text (``<!ENTITY owl "http://…#">``, as
ontology editors write them) are allowed. The document's declared encoding is
reported, so that a file in ISO-8859-1 can be re-encoded as UTF-8 for a parser
that reads UTF-8 only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers import expat

#: The most text characters a document may expand to (its own size aside).
MAX_EXPANDED_CHARS = 64 * 1024 * 1024

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*([\"'])([A-Za-z0-9._-]+)\1", re.DOTALL)


class XmlRefused(Exception):
    """The document is refused; ``line``/``column`` (1-based) where expat knows them."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class XmlFacts:
    """What the check learnt: the declared encoding (``None``: UTF-8 by default)."""

    encoding: str | None


def check_xml(raw: bytes) -> XmlFacts:
    """Read ``raw`` with expat, expanding nothing external, and refuse what is unsafe.

    Raises:
        XmlRefused: not well-formed XML, or an entity declaration that is refused.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    budget = [MAX_EXPANDED_CHARS + len(raw)]
    facts: dict[str, str | None] = {"encoding": None}

    def where() -> tuple[int, int]:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def on_xml_decl(_version: str | None, encoding: str | None, _standalone: int) -> None:
        facts["encoding"] = encoding

    def on_entity(name: str, is_parameter: int, value: str | None, _base: str | None,
                  system_id: str | None, public_id: str | None, _notation: str | None) -> None:
        if is_parameter:
            raise XmlRefused(f"declares the parameter entity %{name}; blinakg does not expand DTD entities", *where())
        if value is None or system_id is not None or public_id is not None:
            raise XmlRefused(f"declares the external entity &{name}; ({system_id or public_id}); "
                             "blinakg reads nothing from outside the file", *where())
        if "&" in value or "%" in value:
            raise XmlRefused(f"the entity &{name}; refers to other entities (an entity expansion bomb?); "
                             "write the text out instead", *where())

    def on_text(data: str) -> None:
        budget[0] -= len(data)
        if budget[0] < 0:
            raise XmlRefused(f"expands to more than {MAX_EXPANDED_CHARS} characters of text", *where())

    def on_external(*_args: object) -> int:
        raise XmlRefused("refers to an external entity; blinakg reads nothing from outside the file", *where())

    parser.XmlDeclHandler = on_xml_decl
    parser.EntityDeclHandler = on_entity
    parser.CharacterDataHandler = on_text
    parser.ExternalEntityRefHandler = on_external
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as err:
        message = expat.ErrorString(err.code) if err.code else str(err)
        raise XmlRefused(f"not well-formed XML: {message}", err.lineno, err.offset + 1) from None
    except LookupError as err:  # the XML declaration names an encoding Python does not know
        raise XmlRefused(f"declares an unknown encoding ({err})", 1) from None
    except (ValueError, UnicodeError) as err:
        raise XmlRefused(f"not well-formed XML: {err}", 1) from None
    except RecursionError:  # pragma: no cover - expat does not recurse; belt and braces
        raise XmlRefused("nested too deeply") from None
    return XmlFacts(encoding=facts["encoding"])


def as_utf8(raw: bytes, encoding: str | None) -> bytes:
    """The document in UTF-8, its XML declaration saying so (``raw`` when it already is).

    Raises:
        XmlRefused: an encoding Python does not know, or bytes that do not fit it.
    """
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return raw
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise XmlRefused(f"declares the unknown encoding {encoding!r}", 1) from None
    except UnicodeDecodeError as err:
        raise XmlRefused(f"is not {encoding} text (byte {err.start})") from None
    data = text.encode("utf-8")
    match = _DECLARATION.match(data)
    if match is not None:
        start, end = match.span(2)
        data = data[:start] + b"UTF-8" + data[end:]
    return data
