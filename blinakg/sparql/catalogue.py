"""The SPARQL query catalogue: one query per file under ``queries/``, each with a
comment header this loader reads (the ODK/ROBOT habit)::

    # id: patient-statuses
    # summary: One patient's status on each criterion, with explanation.
    # parameters: patient (IRI) the patient
    # columns: criterion, status, explanation

Headers are ``# key: value`` lines at the top of the file; ``parameters`` and
``columns`` may repeat or be comma separated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..namespaces import QUERIES_DIR

_HEADER = re.compile(r"^#\s*([a-z-]+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Query:
    """One catalogue query and its header."""

    id: str
    summary: str
    text: str
    path: Path
    parameters: tuple[str, ...] = field(default=())
    columns: tuple[str, ...] = field(default=())

    @property
    def is_update(self) -> bool:
        return self.path.suffix == ".ru"


def read_query(path: Path) -> Query:
    """Read a ``.rq`` / ``.ru`` file and its header.

    Raises:
        InputError: the file cannot be read, or its header has no ``id``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(path, f"cannot read the query ({err.strerror})") from None
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            if line.strip() and not line.strip().startswith("#"):
                break
            continue
        header.setdefault(match.group(1), []).append(match.group(2).strip())
    if "id" not in header:
        header["id"] = [path.stem]
    params = tuple(p.strip() for line in header.get("parameters", []) for p in line.split(";") if p.strip())
    columns = tuple(c.strip() for line in header.get("columns", []) for c in line.split(",") if c.strip())
    return Query(
        id=header["id"][0],
        summary=" ".join(header.get("summary", [""])),
        text=text,
        path=path,
        parameters=params,
        columns=columns,
    )


@lru_cache(maxsize=None)
def catalogue(folder: Path = QUERIES_DIR) -> dict[str, Query]:
    """All queries under ``folder`` (recursively), by id."""
    queries: dict[str, Query] = {}
    for path in sorted(folder.rglob("*.r[qu]")):
        query = read_query(path)
        if query.id in queries:
            raise InputError(path, f"query id {query.id!r} is also used by {queries[query.id].path}")
        queries[query.id] = query
    return queries


def get(query_id: str) -> Query:
    """The catalogue query with this id."""
    return catalogue()[query_id]


def in_folder(subfolder: str) -> list[Query]:
    """Queries of one catalogue folder (e.g. ``derive``), in file-name order."""
    base = QUERIES_DIR / subfolder
    return [q for q in catalogue().values() if q.path.parent == base]
