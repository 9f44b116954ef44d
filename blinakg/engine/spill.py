"""Rendered report entries kept on disk while a cohort is screened.

Workers render their patients' report entries; the parent writes each chunk's
entries to a temporary file, sorted by patient, and reads them back merged in
patient order when the report is written (:mod:`blinakg.reports.stream`). The
parent thus holds one chunk's entries at a time, whatever the cohort's size.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import tempfile
from operator import itemgetter
from pathlib import Path
from typing import Iterator


class Spill:
    """Rendered patient entries kept on disk, a file per chunk, each file in patient order."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="blinakg-report-"))
        self.files: list[Path] = []
        self.count = 0

    def add(self, entries: list[tuple[str, str]]) -> None:
        """Spill one chunk's ``(patient id, entry)`` pairs."""
        path = self.folder / f"{len(self.files)}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for pair in sorted(entries, key=itemgetter(0)):
                handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
        self.files.append(path)
        self.count += len(entries)

    def merged(self) -> Iterator[str]:
        """Every entry, in patient order, read back a line at a time."""
        handles = [open(path, encoding="utf-8") for path in self.files]
        try:
            streams = [(json.loads(line) for line in handle) for handle in handles]
            for _, entry in heapq.merge(*streams, key=itemgetter(0)):
                yield entry
        finally:
            for handle in handles:
                handle.close()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __del__(self) -> None:  # the folder never outlives the run
        if os.path.isdir(getattr(self, "folder", "")):
            self.close()


__all__ = ["Spill"]
