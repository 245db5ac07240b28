"""``sor access`` and ``sor gdpr``: the protected channel and the data subject's report.

The commands act as the national authority (whoever runs them has the server's keys anyway);
the audit trail names ``SOR_ACTOR`` or the operating-system user, client ``cli``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from opensor.cli.context import actor, err_console, fail, setup_django

__all__ = ["register"]


def _authority() -> Any:
    from opensor.domain.responsibility import Role
    from opensor.register.accounts.actors import Actor

    return Actor(actor(), (Role.parse("authority"),), client="cli")


def _run(function: Any, *args: Any, **kwargs: Any) -> Any:
    from opensor.register.access.services import AccessError

    try:
        return function(*args, **kwargs)
    except AccessError as error:
        fail(str(error), 2)


@click.group("access")
def access_group() -> None:
    """The protected channel: access requests, API clients, signing keys, the access log."""


@access_group.group("request")
def request_group() -> None:
    """Access requests of consuming systems."""


@request_group.command("file")
@click.option("--organisation", required=True, help="The organisation asking for access.")
@click.option("--cvr", required=True, help="The organisation's CVR number (8 digits).")
@click.option("--purpose", required=True, help="What the organisation needs the access for.")
@click.option("--contact-name", required=True, help="The contact person.")
@click.option("--contact-email", required=True, help="The contact person's e-mail address.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="A scope asked for (repeatable): lookup:history, lookup:quota-high, lookup:personal-data.",
)
def request_file_command(
    organisation: str,
    cvr: str,
    purpose: str,
    contact_name: str,
    contact_email: str,
    scopes: tuple[str, ...],
) -> None:
    """File an access request and print its number."""
    setup_django()
    from opensor.register.access.services import request_file

    filed = _run(
        request_file,
        organisation=organisation,
        cvr=cvr,
        purpose=purpose,
        contact_name=contact_name,
        contact_email=contact_email,
        scopes=list(scopes),
    )
    click.echo(filed.pk)


@request_group.command("list")
def request_list_command() -> None:
    """List the access requests (tab-separated: id, status, organisation, CVR, scopes)."""
    setup_django()
    from opensor.register.access.models import AccessRequest

    for row in AccessRequest.objects.order_by("id"):
        click.echo(f"{row.pk}\t{row.status}\t{row.organisation}\t{row.cvr}\t{' '.join(row.scopes)}")


def _decide(request_id: int, reason: str, *, approve: bool) -> None:
    setup_django()
    from opensor.register.access.services import request_decide

    request, client, secret = _run(
        request_decide, _authority(), request_id, approve=approve, reason=reason
    )
    if client is None:
        err_console.print(f"request {request.pk} rejected")
        return
    click.echo(f"client_id={client.client_id}")
    click.echo(f"client_secret={secret}")
    err_console.print(
        f"request {request.pk} approved: the secret is shown only this once; the client asks "
        "POST /api/v1/register/oauth/token for tokens"
    )


@request_group.command("approve")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Why the request is approved (audited).")
def request_approve_command(request_id: int, reason: str) -> None:
    """Approve request REQUEST_ID and print the new client id and secret once."""
    _decide(request_id, reason, approve=True)


@request_group.command("reject")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Why the request is rejected (audited).")
def request_reject_command(request_id: int, reason: str) -> None:
    """Reject request REQUEST_ID."""
    _decide(request_id, reason, approve=False)


@access_group.group("client")
def client_group() -> None:
    """Credentials of approved clients."""


@client_group.command("rotate")
@click.argument("client_id")
def client_rotate_command(client_id: str) -> None:
    """Give CLIENT_ID a new secret (printed once; the old one stops working)."""
    setup_django()
    from opensor.register.access.services import client_rotate

    click.echo(_run(client_rotate, _authority(), client_id))


@client_group.command("revoke")
@click.argument("client_id")
def client_revoke_command(client_id: str) -> None:
    """Revoke CLIENT_ID: no new tokens, live tokens refused once nodes re-read the keys."""
    setup_django()
    from opensor.register.access.services import client_revoke, key_file_path

    _run(client_revoke, _authority(), client_id)
    err_console.print(f"{client_id} revoked; key file {key_file_path()} updated")


@access_group.group("keys")
def keys_group() -> None:
    """The keys signing the channel's tokens."""


@keys_group.command("rotate")
def keys_rotate_command() -> None:
    """Make a new signing key (the first one activates the protected channel)."""
    setup_django()
    from opensor.register.access.services import key_file_path, key_rotate

    key = _run(key_rotate, _authority())
    click.echo(key.kid)
    err_console.print(f"new signing key {key.kid}; key file {key_file_path()} updated")


@keys_group.command("publish")
@click.option(
    "--to", "path", type=click.Path(path_type=Path), default=None, help="Write the file here."
)
def keys_publish_command(path: Path | None) -> None:
    """Write the key file again (e.g. for a lookup node with its own store)."""
    setup_django()
    from opensor.register.access.services import publish_keys

    click.echo(str(publish_keys(path)))


@access_group.command("log")
@click.option("--unit", "sor_id", default=None, help="Only the reads of this SOR-ID.")
@click.option("--client", "client_id", default=None, help="Only the reads of this client.")
@click.option("--verify", is_flag=True, help="Check the log's digest chain instead.")
@click.option("--retention", type=int, default=None, help="Set the retention in days.")
@click.option("--purge", is_flag=True, help="Delete the entries older than the retention.")
@click.option("--file", "path", type=click.Path(path_type=Path), default=None, help="The log file.")
def access_log_command(
    sor_id: str | None,
    client_id: str | None,
    verify: bool,
    retention: int | None,
    purge: bool,
    path: Path | None,
) -> None:
    """Show the access log of protected reads of personal data (JSON lines)."""
    from opensor.lookup import accesslog
    from opensor.publication.store import default_store_root

    path = path or accesslog.default_log_path(default_store_root())
    if retention is not None:
        try:
            accesslog.set_retention(path, retention)
        except ValueError as error:
            fail(str(error), 2)
        err_console.print(f"entries are kept {retention} days")
    if purge:
        err_console.print(f"deleted {accesslog.purge(path)} entries past the retention")
    if verify:
        try:
            count = accesslog.verify_chain(path)
        except accesslog.AccessLogAltered as error:
            fail(str(error))
        err_console.print(f"{count} entries, chain intact")
        return
    if retention is not None or purge:
        return
    for entry in accesslog.read_entries(path, sor_id=sor_id, client_id=client_id):
        sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")


@click.group("gdpr")
def gdpr_group() -> None:
    """Data subjects' rights for sole proprietorships."""


@gdpr_group.command("report")
@click.argument("sor_id", type=int)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the printable page here.",
)
def gdpr_report_command(sor_id: int, html_path: Path | None) -> None:
    """Print the data subject's report of SOR_ID as JSON."""
    setup_django()
    from opensor.register.access.gdpr import NotPersonalData, gdpr_report, report_html

    try:
        report = gdpr_report(sor_id)
    except NotPersonalData as error:
        fail(str(error), 2)
    click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    if html_path is not None:
        html_path.write_text(report_html(report), encoding="utf-8")
        err_console.print(f"printable report written to {html_path}")


def register(group: click.Group) -> None:
    """Add ``sor access`` and ``sor gdpr`` to the ``sor`` command."""
    group.add_command(access_group)
    group.add_command(gdpr_group)
