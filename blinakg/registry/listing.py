"""The registry's trials as ``registry list`` shows them (contract.md, "The registry").

Apart from the command line (:mod:`blinakg.registry.cli`) so that screening
(:mod:`blinakg.trials`) reads the list without importing a command module:
imports point one way, commands -> library.
"""

from __future__ import annotations

from typing import Any


def list_trials(target: Any) -> list[dict[str, Any]]:
    """The registry's trials as contract.md's ``registry list --format json`` objects.

    Raises:
        InputError: the store cannot be read.
    """
    from ..sparql import catalogue

    backend = target.open(writable=False)
    try:
        result = backend.query(catalogue.get("registry-trials").text)
    finally:
        backend.close()
    trials = []
    for row in result.rows:
        values = dict(zip(result.variables, row))

        def text(name: str) -> str | None:
            value = values.get(name)
            return None if value is None else str(value)

        computable = values.get("computable")
        trials.append({
            "trial": text("trial"),
            "title": text("title"),
            "phase": text("phase"),
            "status": text("status"),
            "min_age": text("minAge"),
            "max_age": text("maxAge"),
            "computable": str(computable).lower() in ("true", "1") if computable is not None else False,
            "criteria": int(str(values.get("criteria") or 0)),
        })
    return trials


__all__ = ["list_trials"]
