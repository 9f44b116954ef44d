"""What keeps a crash from reading as a screening answer, and a report from
landing where it must not (issue 12).

contract.md: "**2** bad input or usage — one clear message on standard error
naming the file and what is wrong with it … no traceback, and no report
written; **3** an internal error (a defect of blinakg, never a screening
answer) — one line on standard error, no report written; the traceback only
with ``--debug``."

And for ``--output FILE``: "Never an input file, never through a symbolic
link; written whole or not at all."
"""

from __future__ import annotations

import functools
import os
import stat
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import click

from .errors import InputError, UsageError

EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 3, 130
_DEBUG_KEY = "blinakg.debug"


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[_DEBUG_KEY] = True


def debug_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--debug``: on an internal error, print the traceback too (on the group and on each command)."""
    return click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
                        help="On an internal error, show the traceback (to report it).")(func)


def _debugging(ctx: click.Context | None) -> bool:
    if ctx is not None and ctx.find_root().meta.get(_DEBUG_KEY):
        return True
    return os.environ.get("BLINAKG_DEBUG", "") not in ("", "0")


def internal_error(err: BaseException, debug: bool) -> None:
    """Say that blinakg failed, in one line (the traceback too with ``--debug``), and exit 3."""
    if debug:
        traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    where = ""
    frames = traceback.extract_tb(err.__traceback__)
    if frames:
        last = frames[-1]
        where = f" in {Path(last.filename).name}:{last.lineno}"
    detail = " ".join(str(err).split())[:200]
    click.echo(f"blinakg: internal error{where}: {type(err).__name__}"
               + (f": {detail}" if detail else "")
               + " (a defect of blinakg, not a screening result; please report it to the blinakg maintainers"
               + ("" if debug else " with the output of the same command run with --debug") + ")", err=True)
    sys.exit(EXIT_INTERNAL)


class GuardedGroup(click.Group):
    """A click group whose commands never end in a traceback.

    ``InputError``/``UsageError`` that escape a command exit 2 with their one
    line; ``KeyboardInterrupt`` exits 130 (click would make it 1, "ineligible");
    any other exception exits 3 with one line and advice to report it.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except click.exceptions.Abort:
            click.echo("blinakg: interrupted; nothing was written", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except KeyboardInterrupt:
            click.echo("blinakg: interrupted; nothing was written", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (InputError, UsageError) as err:
            click.echo(f"blinakg: {' '.join(str(err).split())}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:  # the reader of standard output went away: a usage matter, not a defect
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            click.echo("blinakg: standard output was closed before the report was written whole", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except Exception as err:  # the point of this class (RecursionError, MemoryError too): never an answer
            internal_error(err, _debugging(ctx))


# ---------------------------------------------------------------------------
#  --output
# ---------------------------------------------------------------------------

def _input_suffixes() -> tuple[str, ...]:
    from .readers.loader import INPUT_SUFFIXES

    return INPUT_SUFFIXES


def check_output(output: Path | None, inputs: Iterable[Path] = (), stores: Iterable[Path] = ()) -> None:
    """Refuse an output path before any work is done (issue 12: O1, T7, T8; issue 19: 6).

    Raises:
        InputError: its folder does not exist or cannot be written; it is a
            folder, a symbolic link, or not a regular file; it is one of the
            inputs (or a file inside an input folder); or it lies inside a
            store folder.
    """
    if output is None:
        return
    parent = output.parent
    if not parent.is_dir():
        raise InputError(output, "the output folder does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(output, "the output folder cannot be written (permission denied)")
    if output.is_symlink():
        raise InputError(output, "is a symbolic link; blinakg does not write through links: name the file itself")
    resolved = output.resolve()
    for store in stores:
        if resolved.is_relative_to(store.resolve()):
            raise InputError(output, f"is inside the store folder {store}; write it elsewhere")
    try:
        info = output.stat()
    except FileNotFoundError:
        return  # a new file: it cannot be an input
    except OSError as err:
        raise InputError(output, f"cannot be used as the output ({err.strerror or err})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(output, "is a folder; name a file to write the report to")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(output, "is not a regular file; name a file to write the report to")
    for path in inputs:
        try:
            if path.exists() and os.path.samefile(path, output):
                raise InputError(output, "is one of the input files; the report would overwrite it")
            if (path.is_dir() and resolved.is_relative_to(path.resolve())
                    and output.suffix.lower() in _input_suffixes()):
                raise InputError(output, f"is inside the input folder {path}; the report would overwrite an input "
                                         "or be read as one next time: write it elsewhere")
        except OSError:
            continue


def command_inputs(ctx: click.Context) -> Iterator[Path]:
    """Every path a command reads, from its parameters: each ``click.Path`` option or
    argument, and each argument that names an existing file (``query FILE.rq``)."""
    for param in ctx.command.params:
        if param.name in (None, "output"):
            continue
        value = ctx.params.get(param.name)
        for item in value if isinstance(value, (tuple, list)) else [value]:
            if item is None or item == "" or isinstance(item, bool):
                continue
            if isinstance(param.type, click.Path):
                yield Path(item)
            elif isinstance(param, click.Argument) and isinstance(item, str) and Path(item).is_file():
                yield Path(item)


def command_stores(ctx: click.Context) -> Iterator[Path]:
    """The store folders a command may read or write: its ``--store`` and the default one."""
    from .sparql.store import default_store_path

    value = ctx.params.get("store")
    if isinstance(value, str) and value:
        yield Path(value)
    yield default_store_path()


def output_option(help_text: str = "Write the report here instead of standard output.") -> Callable[..., Any]:
    """``--output/-o FILE`` for any command that writes, with one rule for all (issue 19, 6):
    before the command runs, the file is checked by :func:`check_output` against
    every input the command's parameters name (:func:`command_inputs`) and the
    store folders (:func:`command_stores`), so no command overwrites what it reads."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            output = kwargs.get("output")
            if output is not None:
                ctx = click.get_current_context()
                check_output(output, list(command_inputs(ctx)), list(command_stores(ctx)))
            return func(*args, **kwargs)

        return click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
                            help=help_text)(wrapper)

    return decorate


def write_whole(text: str | Iterable[str], output: Path) -> None:
    """Write all of ``text`` (a string, or its pieces) to ``output`` or nothing: a temporary
    file beside it, renamed into place.

    Raises:
        InputError: the file cannot be written (the folder is read-only, the disk is full, …).
    """
    import tempfile

    check_output(output)
    try:
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    except OSError as err:
        raise InputError(output, f"cannot write the report ({err.strerror or err})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="strict") as handle:
            for piece in [text] if isinstance(text, str) else text:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(output, f"cannot write the report ({err.strerror or err})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(text: str | Iterable[str], output: Path | None) -> None:
    """Write all of ``text`` (a string, or its pieces) or nothing: a temporary file renamed into place."""
    if output is None:
        for piece in [text] if isinstance(text, str) else text:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    write_whole(text, output)
