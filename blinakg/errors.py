"""Errors that blinakg reports to its user (exit status 2, no traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class InputError(Exception):
    """Bad input: names the file and what is wrong, with line and column where known.

    Args:
        path: the file (or folder) at fault.
        message: what is wrong with it, in words a user can act on.
        line: 1-based line number, when the parser knows it.
        column: 1-based column number, when the parser knows it.
    """

    def __init__(self, path: Path | str, message: str, line: int | None = None, column: int | None = None):
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, tuple[str, str, int | None, int | None]]:
        # raised in a worker of the first pass, re-raised in the parent (readers.cohort)
        return type(self), (self.path, self.message, self.line, self.column)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class NotFhirError(InputError):
    """A FHIR JSON/NDJSON file that holds no FHIR resource at all (a bulk-export
    log, a manifest): inside a folder it is passed over with a warning (contract.md)."""


class UsageError(Exception):
    """A wrong command-line call (bad option value, no input)."""
