"""``sor serve``: run the lookup service and the register (UI and write API) on one port."""

from __future__ import annotations

import os
from pathlib import Path

import click

from opensor.cli.context import err_console

__all__ = ["register", "serve_command"]

APP_FACTORY = "opensor.lookup.app:create_app"
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
def serve_command(
    host: str,
    port: int,
    workers: int,
    publications: Path | None,
    server: str,
    access_log: bool,
    only: str | None = None,
) -> None:
    """Serve the lookup service and the register on one port.

    The lookup service (REST API, FHIR and downloads of the current publication) reads only
    the publication store; it notices a new publication within a second and switches to it
    without dropping requests. Until the first publication exists it answers 503 (run
    `sor publish`). The register serves the maintainers' UI under /manage/ and the write API
    under /api/v1/register/ from the register database (run `sor init` first).
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
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(
            factory,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level="warning",
        )
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        factory,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        websockets=False,
        log_access=access_log,
    ).serve()


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
