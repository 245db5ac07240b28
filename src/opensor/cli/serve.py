"""``sor serve``: run the lookup service and the register (UI and write API) on one port."""

from __future__ import annotations

import os
from pathlib import Path

import click

from opensor.cli.context import err_console
from opensor.serving import BODY_TIMEOUT_VARIABLE, DEFAULT_BODY_TIMEOUT

__all__ = ["register", "serve_command"]

APP_FACTORY = "opensor.serving:create_lookup_app"
"""The lookup service's ASGI application factory (``--only lookup``)."""
APP_FACTORIES = {
    "both": "opensor.serving:create_app",
    "lookup": APP_FACTORY,
    "register": "opensor.serving:create_register_app",
}
"""The factory per ``--only`` choice (one application per worker process)."""


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker processes (each serves every request type; use one per CPU core).",
)
@click.option(
    "--publications",
    "publications",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The publication store (default: $SOR_PUBLICATIONS, else $SOR_HOME/publications).",
)
@click.option(
    "--server",
    type=click.Choice(["granian", "uvicorn"]),
    default="granian",
    show_default=True,
    help="The ASGI server to run.",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
@click.option(
    "--only",
    type=click.Choice(["lookup", "register"]),
    default=None,
    help="Serve only the lookup service, or only the register (UI under /manage/ and the "
    "write API); default: both on one port.",
)
@click.option(
    "--header-timeout",
    envvar="SOR_SERVE_HEADER_TIMEOUT",
    type=click.FloatRange(0.1, 600),
    default=10.0,
    show_default=True,
    help="Seconds a connection may take to send a request's headers, counted from its opening "
    "or from the previous answer; then it is closed (granian; also the idle keep-alive limit).",
)
@click.option(
    "--body-timeout",
    envvar=BODY_TIMEOUT_VARIABLE,
    type=click.FloatRange(0.1, 3600),
    default=DEFAULT_BODY_TIMEOUT,
    show_default=True,
    help="Seconds a client may take to send a request body after its headers; then it is "
    "answered 408 and the connection closed.",
)
@click.option(
    "--max-connections",
    envvar="SOR_SERVE_MAX_CONNECTIONS",
    type=click.IntRange(1, 1_000_000),
    default=1024,
    show_default=True,
    help="Open connections per worker (granian); further ones wait in the listen queue.",
)
def serve_command(
    host: str,
    port: int,
    workers: int,
    publications: Path | None,
    server: str,
    access_log: bool,
    only: str | None = None,
    header_timeout: float = 10.0,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_connections: int = 1024,
) -> None:
    """Serve the lookup service and the register on one port.

    The lookup service (REST API, FHIR and downloads of the current publication) reads only
    the publication store; it notices a new publication within a second and switches to it
    without dropping requests. Until the first publication exists it answers 503 (run
    `sor publish`). The register serves the maintainers' UI under /manage/ and the write API
    under /api/v1/register/ from the register database (run `sor init` first).

    Slow clients are bounded: a connection gets --header-timeout seconds for each request's
    headers (and is closed when idle that long), --body-timeout seconds for its body.
    """
    part = only or "both"
    workers_text = f"({server}, {workers} worker{'s' if workers != 1 else ''})"
    if part != "register":
        _announce_lookup(host, port, publications)
    if part == "both" and not _register_ready():
        err_console.print(
            "[yellow]the register database is not initialised: serving the lookup service "
            "only (run `sor init` to serve the register too)[/yellow]"
        )
        part = "lookup"
    if part == "register":
        from opensor.cli.context import setup_django

        setup_django()  # refuses politely when the database is not initialised
    if part != "lookup":
        from django.db import connections

        connections.close_all()  # the workers open their own
        err_console.print(
            f"register on http://{host}:{port}/manage/ (write API: "
            f"http://{host}:{port}/api/v1/register/openapi.json)"
        )
    err_console.print(f"serving {workers_text}")
    factory = APP_FACTORIES[part]
    os.environ[BODY_TIMEOUT_VARIABLE] = repr(body_timeout)  # read by each worker's factory
    if server == "uvicorn":
        import uvicorn

        err_console.print(
            "[yellow]uvicorn has no time limit on request headers: --header-timeout only "
            "closes idle keep-alive connections (granian bounds both)[/yellow]"
        )
        uvicorn.run(
            factory,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level="warning",
            timeout_keep_alive=max(1, round(header_timeout)),
            loop="uvloop" if _has_uvloop() else "asyncio",
        )
        return
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings

    Granian(
        factory,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        # uvloop, not granian's "auto" (which prefers rloop when it is installed: rloop slows
        # the register's thread hand-offs); asyncio's own loop where uvloop is missing
        loop=Loops.uvloop if _has_uvloop() else Loops.asyncio,
        websockets=False,
        log_access=access_log,
        # HTTP/1.1 only: in granian's "auto" mode a connection that sends no byte at all is
        # held for ever (the protocol sniffing waits without a timer); plain HTTP/1.1 starts
        # the header timer as soon as the connection opens. (h2c is not offered; TLS and
        # HTTP/2 belong to the proxy in front.)
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=round(header_timeout * 1000)),
        backpressure=max_connections,
    ).serve()


def _has_uvloop() -> bool:
    """Whether uvloop is installed (a dependency, except on Windows, where it does not exist)."""
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


def _register_ready() -> bool:
    """Whether the register database is reachable and migrated."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        return False


def _announce_lookup(host: str, port: int, publications: Path | None) -> None:
    from opensor.publication.store import PublicationStore, default_store_root

    if publications is not None:
        os.environ["SOR_PUBLICATIONS"] = str(publications.resolve())
    store = PublicationStore(default_store_root())
    current = store.current()
    if current is None:
        err_console.print(
            f"[yellow]no publication in {store.root} yet: answering 503 until `sor publish` "
            "makes one[/yellow]"
        )
    else:
        err_console.print(f"serving publication {current.number} from {store.root}")
    err_console.print(f"public register on http://{host}:{port}/ (REST API docs at /api/v1/docs)")


def register(cli: click.Group) -> None:
    """Add ``sor serve`` to the ``sor`` command."""
    cli.add_command(serve_command)
