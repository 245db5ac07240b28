"""``sor outbox send``: deliver the notifications queued by the change-request case work."""

from __future__ import annotations

import click

from opensor.cli.context import err_console, fail, setup_django

__all__ = ["register"]


@click.group("outbox")
def outbox_group() -> None:
    """The notification outbox of change requests."""


@outbox_group.command("send")
@click.option(
    "--limit", default=500, show_default=True, type=click.IntRange(min=1), help="Most to send."
)
def outbox_send(limit: int) -> None:
    """Deliver pending notifications with the sender of SOR_NOTIFICATION_SENDER.

    The default sender writes each message to the log. A message whose delivery fails stays
    pending (with its error) and is tried again next time, at most 5 times.
    """
    setup_django()
    from opensor.register.requests.outbox import outbox_deliver

    try:
        delivery = outbox_deliver(limit=limit)
    except (ImportError, TypeError) as error:
        fail(str(error))
    err_console.print(
        f"sent {delivery.sent}, failed {delivery.failed}, still pending {delivery.pending}",
        highlight=False,
    )
    if delivery.failed:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    """Add ``sor outbox`` to the ``sor`` command."""
    group.add_command(outbox_group)
