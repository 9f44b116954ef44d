"""The ``blinakg`` command line: a thin click layer over the library.

Exit statuses (contract.md): 0 every patient is eligible; 1 at least one
patient is ineligible or indeterminate; 2 bad input or usage, with one message
on standard error naming the file and what is wrong, and nothing written; 3 an
internal error, one line (the traceback with ``--debug``) and nothing written
(:mod:`blinakg.cli_safety`).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from contextlib import closing, contextmanager
from typing import Any, Callable, Iterator

import click

from .sparql.cli import add_to_store, query, serve, store_options
from .cli_safety import GuardedGroup, check_output, debug_option, write_output
from .cli_safety import output_option as safe_output_option
from .registry.cli import registry
from .errors import InputError, UsageError
from .limits import MAX_JOBS, d_problem

EXIT_ELIGIBLE, EXIT_NOT_ELIGIBLE, EXIT_BAD_INPUT = 0, 1, 2


@contextmanager
def _bad_input_exits() -> Iterator[None]:
    """Bad input, a wrong call or shapes the engine cannot evaluate: one line, exit 2."""
    from .engine.shapes import ShapesError

    try:
        yield
    except (InputError, UsageError) as err:
        _fail(str(err))
    except ShapesError as err:
        _fail(f"shapes: {err}")


def _require_patients(screening: Any, paths: tuple[Path, ...]) -> None:
    """No patient screened is bad input: "every patient eligible" of none is no answer (issue 12, W1)."""
    if not screening.patient_count:
        raise InputError(", ".join(str(p) for p in paths), "no patient could be screened")


def _fail(message: str) -> None:
    click.echo(f"blinakg: {' '.join(message.split())}", err=True)  # one line, whatever the parser said
    sys.exit(EXIT_BAD_INPUT)


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    problem = d_problem(day)
    if problem:
        raise click.BadParameter(problem)
    return day


def terminology_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Shared option: extra Turtle files with site code mappings, added to the model."""
    return click.option(
        "--terminology", "terminology", multiple=True, type=click.Path(path_type=Path),
        help="Extra RDF file with site code systems and mappings (repeatable).",
    )(func)


def output_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Shared option: write the report to a file instead of standard output."""
    return safe_output_option("Write the report here instead of standard output.")(func)


def require_output_folder(output: Path | None, inputs: tuple[Path, ...] | list[Path] = ()) -> None:
    """Refuse an output path before any work is done: no folder, not writable, a
    folder, a link, or an input (:func:`blinakg.cli_safety.check_output`)."""
    check_output(output, inputs)


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="blinakg")
@debug_option
def main() -> None:
    """blinakg: screen patients for trial NCT04604691 with OWL, SHACL and SPARQL."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", callback=_parse_date, default=None, metavar="YYYY-MM-DD",
              help="D, the screening reference date (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle", "html"]), default="text", show_default=True)
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="fast: set-at-a-time on pyoxigraph; pyshacl: the reference. Same report either way.")
@click.option("--jobs", type=click.IntRange(1, MAX_JOBS), default=None, metavar="N",
              help=f"Worker processes, 1 to {MAX_JOBS} (default: all cores). The report does not depend on N.")
@click.option("--chunk-size", "chunk_size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Patients screened together in one worker. The report does not depend on it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--trial", "trial", multiple=True, metavar="ID",
              help="Screen against this trial (repeatable), or 'all': every computable trial, and the registry's "
                   "text-only trials listed as not computable. Without it: NCT04604691 alone.")
@output_option
@terminology_option
@store_options
@debug_option
def validate(paths: tuple[Path, ...], as_of: dt.date, fmt: str, engine: str, jobs: int | None, chunk_size: int,
             quiet: bool, trial: tuple[str, ...], output: Path | None, terminology: tuple[Path, ...],
             store_target: Any = None) -> None:
    """Screen the patients in PATHS (FHIR R4 JSON/NDJSON or patient RDF; files or folders)."""
    from .engine.screen import screen_paths
    from .model import load_model
    from .reports.render import RENDERERS
    from .reports.stream import json_pieces, patient_entry

    if trial:
        _validate_trials(paths, as_of, fmt, engine, jobs, chunk_size, quiet, trial, output, terminology, store_target)
        return
    with _bad_input_exits():
        require_output_folder(output, paths)
        model = load_model(terminology)
        # JSON is streamed: patients rendered in the workers, spilled to disk, merged in order.
        streamed = fmt == "json" and store_target is None
        screening = screen_paths(list(paths), as_of, model=model, engine=engine, jobs=jobs, chunk_size=chunk_size,
                                 quiet=quiet, keep_records=fmt == "turtle" or store_target is not None,
                                 keep_data=store_target is not None, entry=patient_entry if streamed else None)
        _require_patients(screening, paths)
        if streamed:
            assert screening.spill is not None
            with closing(screening.spill):
                write_output(json_pieces(screening, screening.spill), output)
        else:
            text = RENDERERS[fmt](screening)
            if store_target is not None:
                add_to_store(store_target, screening, model, [Path(f) for f in screening.files])
            write_output(text, output)
    sys.exit(EXIT_ELIGIBLE if screening.all_eligible else EXIT_NOT_ELIGIBLE)


def _validate_trials(paths: tuple[Path, ...], as_of: dt.date, fmt: str, engine: str, jobs: int | None,
                     chunk_size: int, quiet: bool, trial: tuple[str, ...], output: Path | None,
                     terminology: tuple[Path, ...], store_target: Any) -> None:
    """``validate --trial``: one load and one derivation, every selected trial's checks evaluated on it."""
    from .engine.screen import screen_paths
    from .model import load_model
    from .reports.render import render_trials_html, render_trials_json, render_trials_text, render_trials_turtle
    from .reports.stream import json_pieces, trials_patient_entry
    from .trials import registry_trials, select

    with _bad_input_exits():
        require_output_folder(output, paths)
        model = load_model(terminology, trials=True)
        catalogue = select(trial, model, registry_trials(None))
        computable = [t["trial"] for t in catalogue if t["computable"]]
        # JSON is streamed, as without --trial, unless the run is also stored (which needs every result).
        streamed = fmt == "json" and store_target is None
        screening = screen_paths(list(paths), as_of, model=model, engine=engine, jobs=jobs, chunk_size=chunk_size,
                                 quiet=quiet, keep_records=fmt == "turtle" or store_target is not None,
                                 keep_data=store_target is not None, trials=computable,
                                 entry=trials_patient_entry if streamed else None)
        _require_patients(screening, paths)
        if streamed:
            assert screening.spill is not None
            with closing(screening.spill):
                write_output(json_pieces(screening, screening.spill, catalogue), output)
        else:
            render = {"json": render_trials_json, "text": render_trials_text, "turtle": render_trials_turtle,
                      "html": render_trials_html}[fmt]
            text = render(screening, catalogue)
            if store_target is not None:
                add_to_store(store_target, screening, model, [Path(f) for f in screening.files], catalogue,
                             terminology)
            write_output(text, output)
    sys.exit(EXIT_ELIGIBLE if screening.all_eligible else EXIT_NOT_ELIGIBLE)


main.add_command(query)
main.add_command(serve)
main.add_command(registry)


if __name__ == "__main__":  # pragma: no cover
    main()
