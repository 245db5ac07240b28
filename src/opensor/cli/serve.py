"""``sor serve``: run the lookup service over the current publication."""

from __future__ import annotations

import os
from pathlib import Path

import click

from opensor.cli.context import err_console

__all__ = ["register", "serve_command"]

APP_FACTORY = "opensor.lookup.app:create_app"
"""The ASGI application factory the server runs (one application per worker process)."""


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
def serve_command(
    host: str,
    port: int,
    workers: int,
    publications: Path | None,
    server: str,
    access_log: bool,
) -> None:
    """Serve the REST API, FHIR and downloads of the current publication.

    The service reads only the publication store; it notices a new publication within a
    second and switches to it without dropping requests. Until the first publication exists
    it answers 503 (run `sor publish`).
    """
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
    err_console.print(
        f"lookup service on http://{host}:{port}/api/v1/docs ({server}, {workers} worker"
        f"{'s' if workers != 1 else ''})"
    )
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(
            APP_FACTORY,
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
        APP_FACTORY,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        websockets=False,
        log_access=access_log,
    ).serve()


def register(cli: click.Group) -> None:
    """Add ``sor serve`` to the ``sor`` command."""
    cli.add_command(serve_command)
