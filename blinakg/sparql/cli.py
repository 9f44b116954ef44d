"""The SPARQL commands: ``blinakg query``, ``blinakg serve``, and the store
options of ``blinakg validate`` — a thin click layer over :mod:`blinakg.query`,
:mod:`blinakg.store` and :mod:`blinakg.server`.

Exit statuses: 0 done; 2 bad input or usage (one message on standard error,
naming the file, the store or the endpoint at fault).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from ..cli_safety import check_output, debug_option, output_option
from ..errors import InputError, UsageError

if TYPE_CHECKING:  # the store module pulls in rdflib: imported when a command runs
    from .store import Store, StoreTarget

EXIT_BAD_INPUT = 2
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _fail(message: str) -> None:
    click.echo(f"blinakg: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


# ---------------------------------------------------------------------------
#  Shared options
# ---------------------------------------------------------------------------

def store_option(optional_value: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--store PATH``: the embedded store (default ``.blinakg/store`` or ``$BLINAKG_STORE``).

    Args:
        optional_value: ``--store`` alone means the default location (``validate``).
    """
    help_text = "The embedded store's folder (default: $BLINAKG_STORE, else .blinakg/store under the current folder)."
    if optional_value:
        return click.option(
            "--store", "store", is_flag=False, flag_value="", default=None, metavar="[PATH]",
            help=f"Add the screening run to the embedded store; --store=PATH for another folder. {help_text}",
        )
    return click.option("--store", "store", default=None, metavar="PATH", help=help_text)


endpoint_option = click.option(
    "--endpoint", "endpoint", default=None, metavar="URL",
    help="A SPARQL 1.1 query endpoint (Fuseki, GraphDB, Oxigraph, blinakg serve) instead of the embedded store.",
)
graph_store_option = click.option(
    "--graph-store", "graph_store", default=None, metavar="URL",
    help="With --endpoint: its SPARQL 1.1 Graph Store Protocol URL, to add runs to it.",
)
replace_option = click.option(
    "--replace", is_flag=True, default=False,
    help="Replace a run already stored with the same date and patients (never done silently).",
)


def store_target(store: str | None, endpoint: str | None, graph_store: str | None = None,
                 replace: bool = False, required: bool = False) -> StoreTarget | None:
    """The store a command's options name, or ``None`` when they name none.

    Raises:
        click.UsageError: options that do not go together.
    """
    from .store import StoreTarget, default_store_path

    if store is not None and endpoint is not None:
        raise click.UsageError("give --store or --endpoint, not both")
    if graph_store is not None and endpoint is None:
        raise click.UsageError("--graph-store goes with --endpoint")
    if endpoint is not None:
        return StoreTarget(endpoint=endpoint, graph_store=graph_store, replace=replace)
    if store is not None or required:
        return StoreTarget(path=Path(store) if store else default_store_path(), replace=replace)
    if replace:
        raise click.UsageError("--replace goes with --store or --endpoint")
    return None


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--store [PATH]``, ``--endpoint``, ``--graph-store`` and ``--replace`` to a command.

    The command receives them as one argument, ``store_target`` (a
    :class:`~blinakg.store.StoreTarget`, or ``None`` when no store is named).
    Put it closest to the ``def``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, store: str | None = None, endpoint: str | None = None,
                graph_store: str | None = None, replace: bool = False, **kwargs: Any) -> Any:
        target = store_target(store, endpoint, graph_store, replace)
        if endpoint is not None and graph_store is None:
            raise click.UsageError("adding a run to an endpoint needs --graph-store URL "
                                   "(its SPARQL 1.1 Graph Store Protocol service)")
        return func(*args, store_target=target, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in (replace_option, graph_store_option, endpoint_option, store_option(optional_value=True)):
        decorated = option(decorated)
    return decorated


def add_to_store(target: StoreTarget, screening: Any, model: Any, files: list[Path],
                 catalogue: list[dict[str, Any]] | None = None, terminology: tuple[Path, ...] = ()) -> None:
    """Add a screening run to the store (for ``validate``); tell the user on standard error.

    Args:
        catalogue: for a run against several trials (``--trial``), the trials listed; ``terminology``
            the site files its model was loaded with.

    Raises:
        InputError: the run is already stored (without ``--replace``) or the store cannot be written.
        UsageError: an endpoint without a Graph Store Protocol URL.
    """
    from .store import record_run, store_run, trials_run_graphs

    if catalogue is None:
        run = record_run(target, screening, model, files)
    else:
        run = store_run(target, trials_run_graphs(screening, catalogue, model, terminology, files))
    click.echo(f"blinakg: added screening run <{run}> to {target.describe()}", err=True)


# ---------------------------------------------------------------------------
#  blinakg query
# ---------------------------------------------------------------------------

@click.command()
@click.argument("name", required=False, metavar="NAME|FILE.rq")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Keep the rows whose column NAME is VALUE: binds the query variable ?NAME "
                   "(repeatable). <…> or a scheme:… value is an IRI, bk:/trial:/run:… are expanded, "
                   "numbers/dates/true/false are typed literals, anything else a string.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table",
              show_default=True, help="Results as an aligned table or a W3C SPARQL results format.")
@output_option("Write the results here instead of standard output (never a file the query reads).")
@click.option("--list", "list_queries", is_flag=True, help="List the catalogue: id, summary, parameters.")
@debug_option
@store_option()
@endpoint_option
@click.option("--data", "data", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="Query these files in memory (a `validate --format turtle` report, patient RDF or "
                   "FHIR; repeatable) with the model and shapes, instead of a store.")
@click.option("--terminology", "terminology", multiple=True, type=click.Path(path_type=Path),
              help="With --data: extra terminology files for the model (repeatable).")
def query(name: str | None, params: tuple[str, ...], fmt: str, output: Path | None, list_queries: bool,
          store: str | None, endpoint: str | None, data: tuple[Path, ...], terminology: tuple[Path, ...]) -> None:
    """Run catalogue query NAME (or the SPARQL file FILE.rq) over the screened runs.

    The default graph is the union of the model, the shapes and every stored
    run; without --store, --endpoint or --data the embedded store at
    $BLINAKG_STORE or .blinakg/store is read.
    """
    from ..cli_safety import write_output
    from .query import bind_parameters, check_syntax, describe_catalogue, parse_params, render, resolve
    from .store import MemoryStore

    if list_queries:
        click.echo(describe_catalogue(), nl=False)
        return
    if name is None:
        raise click.UsageError("name a catalogue query or a .rq file (`blinakg query --list` shows the catalogue)")
    if data and (store is not None or endpoint is not None):
        raise click.UsageError("give --data, or --store / --endpoint, not both")
    if terminology and not data:
        raise click.UsageError("--terminology goes with --data")
    target = None if data else store_target(store, endpoint, required=True)
    backend: Store | None = None
    try:
        source = resolve(name)
        check_output(output, [Path(source.label)])  # a catalogue query's file too
        # Parsed, never evaluated; a local store refuses SERVICE (only --endpoint was asked to reach a server).
        check_syntax(source.text, source.label, local=endpoint is None)
        bound = bind_parameters(source.text, parse_params(params), source.label, source.parameters)
        if target is not None:
            backend = target.open(writable=False)
        else:
            backend = MemoryStore(data, terminology)
        result = backend.query(bound)
        write_output(render(result, fmt), output)
    except (InputError, UsageError) as err:
        _fail(str(err))
    finally:
        if backend is not None:
            backend.close()


# ---------------------------------------------------------------------------
#  blinakg serve
# ---------------------------------------------------------------------------

@click.command()
@store_option()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (loopback only, unless you mean to share the endpoint).")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535),
              help="The TCP port (0: any free port).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Query time limit in seconds; a query that runs longer is stopped (HTTP 503).")
@click.option("--max-results", default=10000, show_default=True, type=click.IntRange(min=1),
              help="The most rows (or triples) one answer may hold; more is refused (HTTP 413).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="How many queries may run at once.")
@click.option("--max-memory", default=1024, show_default=True, type=click.IntRange(min=0), metavar="MIB",
              help="Memory each query worker may use beyond its idle size, in MiB; a query that needs more "
                   "is stopped (HTTP 503). 0: no cap.")
@click.option("--max-connections", default=128, show_default=True, type=click.IntRange(1, 10000),
              help="The most client connections open at once; more wait in the listen backlog.")
@click.option("--client-timeout", default=30, show_default=True, type=click.IntRange(1, 3600), metavar="SECONDS",
              help="Close a connection idle, or slow to send its request, for this long.")
@click.option("--queue", default=16, show_default=True, type=click.IntRange(0, 1000),
              help="How many queries may wait for a free worker; one more is answered 503 at once.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="A host name the Host header may carry besides localhost, IP addresses and --host "
                   "(repeatable; '*' allows any). Other names get 403 (DNS rebinding).")
@click.option("--quiet", "-q", is_flag=True, help="No access log on standard error.")
@debug_option
def serve(store: str | None, host: str, port: int, timeout: float, max_results: int, workers: int,
          max_memory: int, max_connections: int, client_timeout: int, queue: int, allow_hosts: tuple[str, ...],
          quiet: bool) -> None:
    """Serve the embedded store read-only as a SPARQL 1.1 Protocol endpoint at /sparql."""
    from .server import ServerConfig
    from .server import serve as run_server

    target = store_target(store, None, required=True)
    assert target is not None and target.path is not None
    config = ServerConfig(store=target.path, host=host, port=port, timeout=timeout,
                          max_results=max_results, workers=workers, max_memory=max_memory << 20,
                          connection_limit=max_connections, client_timeout=client_timeout, queue=queue,
                          allowed_hosts=allow_hosts)

    def announce(url: str) -> None:
        click.echo(f"blinakg: serving {target.path} read-only at {url} (time limit {timeout:g} s, "
                   f"at most {max_results} results an answer; Ctrl-C stops)", err=True)
        if host not in LOOPBACK:
            click.echo(f"blinakg: note: listening on {host}, not only on this machine's loopback", err=True)

    try:
        run_server(config, announce=announce, quiet=quiet)
    except (InputError, UsageError) as err:
        _fail(str(err))


__all__ = ["query", "serve", "store_options", "store_option", "endpoint_option", "add_to_store", "store_target"]
