"""Which files the command-line paths stand for (issue 12, F2 and bulk exports).

contract.md: "A folder is read recursively. Inside a folder, a
``.json``/``.ndjson`` file that holds no FHIR resource at all (a bulk-export
client's log, an export manifest) is passed over with a warning naming it; a
file named on the command line must be what its extension says."

A JSON file in a folder with no ``"resourceType"`` anywhere is passed over
here, without being parsed; one that mentions it only inside (a bulk-data
client's log names the resource types it downloaded) is passed over by the
readers, which raise :class:`~blinakg.errors.NotFhirError` for a file with no
top-level resource.

Nothing is skipped without a word: a path on the command line that is a
symbolic-link loop, a FIFO or a device, or that cannot be read, is an error
that says so; inside a folder the same things, and subfolders that cannot be
read, are passed over with a warning naming them.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError

#: How many bytes of a FHIR file are searched for a ``resourceType`` key at a time.
_CHUNK = 1 << 20
_MARKER = b'"resourceType"'


@dataclass
class Found:
    """The input files, in order, and the warnings about what was passed over."""

    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The files found inside a folder (not named on the command line).
    in_folders: set[Path] = field(default_factory=set)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _stat_problem(path: Path) -> tuple[os.stat_result | None, str | None]:
    """``os.stat`` of a path, or a sentence saying why it cannot be had."""
    try:
        return path.stat(), None
    except OSError as err:
        if err.errno == errno.ELOOP:
            return None, "is a symbolic link loop"
        if err.errno == errno.ENOENT:
            return None, ("is a symbolic link to nothing (a dangling link)" if path.is_symlink()
                          else "no such file or folder")
        if err.errno in (errno.EACCES, errno.EPERM):
            return None, "cannot be read (permission denied)"
        return None, f"cannot be read ({err.strerror or err})"


def path_text(path: str | os.PathLike[str]) -> str:
    """The path as valid Unicode text, for the graph and the report.

    A file name that is not UTF-8 reaches Python with its bytes as lone surrogates
    (``\udcff``), which no RDF store or UTF-8 output accepts; they are written as
    ``\xff`` escapes, so the name stays recognisable and the run goes on.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def holds_fhir_marker(path: Path) -> bool:
    """Whether a JSON/NDJSON file has a ``"resourceType"`` key anywhere (read in chunks, stops at the first)."""
    try:
        with path.open("rb") as handle:
            tail = b""
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    return False
                if _MARKER in tail + chunk:
                    return True
                tail = chunk[-len(_MARKER):]
    except OSError:
        return True  # let the reader report why it cannot be read


def _walk(folder: Path, suffixes: tuple[str, ...], found: Found) -> list[Path]:
    files: list[Path] = []

    def on_error(err: OSError) -> None:
        name = err.filename if err.filename else folder
        reason = "permission denied" if err.errno in (errno.EACCES, errno.EPERM) else (err.strerror or str(err))
        found.warnings.append(f"{name}: the folder cannot be read ({reason}); its files were not screened.")

    for root, dirs, names in os.walk(folder, onerror=on_error):
        dirs.sort()
        for name in dirs:
            sub = Path(root) / name
            if sub.is_symlink():  # os.walk does not follow links to folders: say so
                found.warnings.append(f"{sub}: a symbolic link to a folder was not followed.")
        for name in sorted(names):
            path = Path(root) / name
            if path.suffix.lower() not in suffixes:
                continue
            info, problem = _stat_problem(path)
            if problem is not None:
                found.warnings.append(f"{path}: {problem}; it was passed over.")
                continue
            assert info is not None
            if not stat.S_ISREG(info.st_mode):
                found.warnings.append(f"{path}: {_kind(info.st_mode)}, not a file; it was passed over.")
                continue
            files.append(path)
    return sorted(files)


def find_inputs(paths: list[Path], suffixes: tuple[str, ...], fhir_suffixes: tuple[str, ...]) -> Found:
    """The input files a list of command-line paths stands for, and warnings.

    Args:
        paths: files and folders from the command line.
        suffixes: the input file extensions (lower case, with the dot).
        fhir_suffixes: those of FHIR JSON; such a file inside a folder that
            holds no FHIR resource is passed over with a warning.

    Raises:
        InputError: a path on the command line does not exist, cannot be read,
            is a link loop, a FIFO or a device, has an unsupported extension,
            or is a folder with no input file in it.
    """
    found = Found()
    for path in paths:
        info, problem = _stat_problem(path)
        if problem is not None:
            raise InputError(path, problem)
        assert info is not None
        if stat.S_ISDIR(info.st_mode):
            if not os.access(path, os.R_OK | os.X_OK):
                raise InputError(path, "the folder cannot be read (permission denied)")
            inside = _walk(path, suffixes, found)
            kept = []
            for file in inside:
                if file.suffix.lower() in fhir_suffixes and not holds_fhir_marker(file):
                    found.warnings.append(f"{file}: holds no FHIR resource (no resourceType), "
                                          "e.g. a bulk-export log or manifest; it was passed over.")
                    continue
                kept.append(file)
            if not kept and inside:
                raise InputError(path, "folder holds no input file: its only JSON files hold no FHIR resource ("
                                       + ", ".join(f.name for f in inside[:3]) + (", …" if len(inside) > 3 else "") + ")")
            if not kept:
                raise InputError(path, f"folder holds no input file ({', '.join(suffixes)})")
            found.files.extend(kept)
            found.in_folders.update(kept)
        elif stat.S_ISREG(info.st_mode):
            if path.suffix.lower() not in suffixes:
                raise InputError(path, f"unsupported file type {path.suffix or '(none)'!r}; "
                                       f"expected one of {', '.join(suffixes)}")
            found.files.append(path)
        else:
            raise InputError(path, f"is {_kind(info.st_mode)}, not a file or folder; name a file")
    return found
