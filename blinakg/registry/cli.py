"""``blinakg registry``: ``import`` and ``list`` (issue 9; contract.md, "The registry").

    blinakg registry import PATH... [--store DIR | --endpoint URL --graph-store URL] [--replace]
    blinakg registry list [--format table|csv|json]

A thin click layer over :mod:`blinakg.registry.importer` and the catalogue
query ``registry-trials``. Exit statuses: 0 done; 2 bad input or usage (one
message on standard error naming the file and what is wrong; nothing added).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import InputError, UsageError
from .listing import list_trials
from ..sparql.cli import endpoint_option, graph_store_option, store_option, store_target

EXIT_BAD_INPUT = 2
LIST_COLUMNS = ("trial", "title", "phase", "status", "min_age", "max_age", "computable", "criteria")


def _fail(message: str) -> None:
    click.echo(f"blinakg: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group()
def registry() -> None:
    """The shared registry of trials: import ClinicalTrials.gov records and trial models, list them."""


@registry.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option()
@endpoint_option
@graph_store_option
@click.option("--replace", is_flag=True, default=False,
              help="Replace trials already stored with other content (never done silently).")
def import_command(paths: tuple[Path, ...], store: str | None, endpoint: str | None, graph_store: str | None,
                   replace: bool) -> None:
    """Add the trials in PATHS (ClinicalTrials.gov XML or API v2 JSON, Turtle trial models; files,
    folders or .zip) to the store, one named graph each. All or nothing."""
    from .importer import import_trials

    target = store_target(store, endpoint, graph_store, replace, required=True)
    assert target is not None
    try:
        summary = import_trials(target, list(paths))
    except (InputError, UsageError) as err:
        _fail(str(err))
        return
    click.echo(f"blinakg: registry {target.describe()}: {summary.describe()}", err=True)


def render_list(trials: list[dict[str, Any]], fmt: str) -> str:
    """The list as JSON, CSV or an aligned table."""
    if fmt == "json":
        return json.dumps(trials, ensure_ascii=False, indent=2) + "\n"
    rows = [["" if t[c] is None else str(t[c]).lower() if isinstance(t[c], bool) else str(t[c])
             for c in LIST_COLUMNS] for t in trials]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(LIST_COLUMNS)
        writer.writerows(rows)
        return buffer.getvalue()
    clipped = [[value if len(value) <= 60 else value[:59] + "…" for value in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in clipped]) for i, c in enumerate(LIST_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(LIST_COLUMNS, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in clipped]
    return "\n".join(lines) + "\n"


@registry.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@store_option()
@endpoint_option
def list_command(fmt: str, store: str | None, endpoint: str | None) -> None:
    """List the trials of the registry: NCT ID, title, phase, status, ages, computable, criteria."""
    target = store_target(store, endpoint, required=True)
    try:
        trials = list_trials(target)
    except (InputError, UsageError) as err:
        _fail(str(err))
        return
    click.echo(render_list(trials, fmt), nl=False)


# ``registry draft`` (issue 20) lives in its own package; only its registration is here.
from ..drafting.command import draft_command  # noqa: E402

registry.add_command(draft_command)

__all__ = ["registry", "list_trials", "render_list"]
