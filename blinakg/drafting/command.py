"""``blinakg registry draft`` (contract.md, "Drafting computable trials from the registered text").

    blinakg registry draft NCT_ID... | --all  [--store DIR] [--format json|turtle] [--output FILE]

JSON: ``{"drafts": [...]}`` on standard output or in FILE. Turtle: one trial
model per trial; several trials need FILE to be a ``.zip`` (one ``.ttl`` a
trial, which ``registry import`` reads as it is) or a folder. With ``--all``,
trials that have an authored model (installed with blinakg, or imported as a
model) are not drafted: an authored model always wins. Exit 2 on bad input or
usage, with one message and nothing written.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import click

from ..errors import InputError, UsageError
from ..sparql.cli import store_option

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"blinakg: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _authored_ids() -> set[str]:
    """The trials blinakg installs an authored model of (ontology/trials/, and NCT04604691)."""
    from ..namespaces import ONTOLOGY_DIR

    ids = {path.stem.upper() for path in (ONTOLOGY_DIR / "trials").glob("NCT*.ttl")}
    return ids | {"NCT04604691"}


def _write(output: Path | None, data: bytes) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_bytes(data)
        partial.replace(output)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise InputError(output, f"cannot write the drafts ({err.strerror or err})") from None


def turtle_output(trials: list, drafted: list, output: Path | None) -> None:
    from .turtle import trial_model, turtle_text

    texts = {trial.nct: turtle_text(trial_model(trial, d), trial) for trial, d in zip(trials, drafted)}
    if output is not None and (output.is_dir() or str(output).endswith(("/", "\\"))):
        output.mkdir(parents=True, exist_ok=True)
        for nct, text in texts.items():
            _write(output / f"{nct}.ttl", text.encode("utf-8"))
        return
    if output is not None and output.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for nct, text in texts.items():
                archive.writestr(f"{nct}.ttl", text)
        _write(output, buffer.getvalue())
        return
    if len(texts) != 1:
        raise UsageError("--format turtle writes one trial model a file: for several trials give --output "
                         "a .zip (which 'registry import' reads) or a folder")
    _write(output, next(iter(texts.values())).encode("utf-8"))


@click.command(name="draft")
@click.argument("trial_ids", nargs=-1)
@click.option("--all", "all_trials", is_flag=True, default=False,
              help="Draft every trial of the registry that has no authored model.")
@store_option()
@click.option("--format", "fmt", type=click.Choice(["json", "turtle"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Write here (JSON or one .ttl; a .zip or a folder for several Turtle models).")
def draft_command(trial_ids: tuple[str, ...], all_trials: bool, store: str | None, fmt: str,
                  output: Path | None) -> None:
    """Draft computable checks for trials of the registry from their registered eligibility text."""
    from ..sparql.store import default_store_path
    from .draft import draft_trial, trial_json
    from .pipeline import load_pipeline
    from .source import from_store

    if bool(trial_ids) == all_trials:
        _fail("name trials (NCT IDs) or give --all, not both")
        return
    try:
        path = Path(store) if store else default_store_path()
        trials = from_store(path, None if all_trials else list(trial_ids))
        if all_trials:
            authored = _authored_ids()
            skipped = [t.nct for t in trials if t.authored or t.nct in authored]
            trials = [t for t in trials if t.nct not in skipped]
            if skipped:
                click.echo(f"blinakg: {len(skipped)} trial(s) with an authored model not drafted "
                           f"(an authored model wins): {', '.join(skipped)}", err=True)
        drafting = load_pipeline()
        drafted = [draft_trial(trial, drafting) for trial in trials]
        if fmt == "json":
            document = {"drafts": [trial_json(t, d) for t, d in zip(trials, drafted)]}
            _write(output, (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        else:
            turtle_output(trials, drafted, output)
    except (InputError, UsageError) as err:
        _fail(str(err))
        return
    checks = sum(len(c) for d in drafted for _, c in d)
    click.echo(f"blinakg: drafted {len(trials)} trial(s), {sum(len(d) for d in drafted)} criteria, "
               f"{checks} checks", err=True)


__all__ = ["draft_command"]
