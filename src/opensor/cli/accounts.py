"""``sor user`` and ``sor token``: the register's users, their roles and their API tokens."""

from __future__ import annotations

import sys

import click

from opensor.cli.context import err_console, fail, setup_django

__all__ = ["register"]


@click.group("user")
def user_group() -> None:
    """Users of the register and the roles they hold."""


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="ROLE[:SCOPE]",
    help="A role: authority, region:1084, municipality:0101 or practice:<owner's SOR-ID>. "
    "Repeat for several.",
)
@click.option("--email", default="", help="The user's e-mail address (for notifications).")
@click.option(
    "--password-prompt",
    is_flag=True,
    help="Ask for a password (for logging in to /manage/); without one the user acts only "
    "through API tokens.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def user_add_command(
    name: str, roles: tuple[str, ...], email: str, password_prompt: bool, password_stdin: bool
) -> None:
    """Create a user holding one or more roles."""
    if password_prompt and password_stdin:
        fail("give --password-prompt or --password-stdin, not both", 2)
    password = None
    if password_prompt:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            fail("no password on stdin", 2)
    setup_django()
    from opensor.domain.errors import DomainError
    from opensor.register.accounts.services import user_add

    try:
        user_add(name, list(roles), password=password, email=email)
    except DomainError as error:
        fail(str(error), 2)
    login = "may log in at /manage/" if password else "API tokens only (no password)"
    err_console.print(f"user {name} added with {', '.join(roles)}; {login}")


@user_group.command("list")
def user_list_command() -> None:
    """List the users with their roles and live tokens (tab-separated on stdout)."""
    setup_django()
    from django.contrib.auth import get_user_model

    from opensor.register.accounts.models import ApiToken, RoleGrant

    roles: dict[int, list[str]] = {}
    for user_id, role in RoleGrant.objects.order_by("role").values_list("user_id", "role"):
        roles.setdefault(user_id, []).append(role)
    tokens: dict[int, int] = {}
    for user_id in ApiToken.objects.filter(revoked_at__isnull=True).values_list(
        "user_id", flat=True
    ):
        tokens[user_id] = tokens.get(user_id, 0) + 1
    users = get_user_model().objects.order_by("username")
    for user in users:
        click.echo(
            f"{user.username}\t{','.join(roles.get(user.pk, []))}\t"
            f"{tokens.get(user.pk, 0)} token(s)\t{'active' if user.is_active else 'inactive'}"
        )


@click.group("token")
def token_group() -> None:
    """API tokens of the write API (only a hash is stored)."""


@token_group.command("create")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (default: the user's name).")
def token_create_command(name: str, label: str) -> None:
    """Issue an API token for user NAME and print it once on stdout."""
    setup_django()
    from opensor.register.accounts.services import AccountError, token_create

    try:
        row, raw = token_create(name, label)
    except AccountError as error:
        fail(str(error), 2)
    click.echo(raw)
    err_console.print(
        f"token {row.prefix}… for {name} ({row.label}); it is shown only this once — "
        "send it as Authorization: Bearer <token>"
    )


@token_group.command("revoke")
@click.argument("prefix")
def token_revoke_command(prefix: str) -> None:
    """Revoke the live tokens starting with PREFIX (at least 8 characters)."""
    setup_django()
    from opensor.register.accounts.services import AccountError, token_revoke

    try:
        count = token_revoke(prefix)
    except AccountError as error:
        fail(str(error), 2)
    if count == 0:
        fail(f"no live token starts with {prefix}")
    err_console.print(f"revoked {count} token(s)")


def register(group: click.Group) -> None:
    """Add ``sor user`` and ``sor token`` to the ``sor`` command."""
    group.add_command(user_group)
    group.add_command(token_group)
