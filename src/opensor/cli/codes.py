"""``sor codes``: read the code lists and let the authority add or retire codes."""

from __future__ import annotations

import click

from opensor.cli.context import actor, err_console, fail, setup_django

__all__ = ["register"]


@click.group("codes")
def codes_group() -> None:
    """Code lists (owner, institution and unit types, specialities, message types …)."""


@codes_group.command("list")
@click.argument("list_name", required=False)
def codes_list(list_name: str | None) -> None:
    """Show the code lists, or the codes of one list."""
    setup_django()
    from opensor.domain.errors import InvalidCode
    from opensor.register.codes.selectors import code_lists

    lists = code_lists()
    if list_name is None:
        for code_list in lists.lists():
            kind = "open" if code_list.open else "closed"
            click.echo(
                f"{code_list.name:28} {len(code_list):5} codes  {kind:6}  {code_list.label_da}"
            )
        return
    try:
        code_list = lists.get(list_name)
    except InvalidCode as error:
        fail(str(error))
    for entry in code_list:
        state = "" if entry.active else "  (ikke i brug)"
        click.echo(f"{entry.code}\t{entry.name_da}\t{entry.name_en}{state}")


@codes_group.command("add")
@click.argument("list_name")
@click.argument("code")
@click.argument("name_da")
@click.option("--name-en", default="", help="English name.")
@click.option("--retire", is_flag=True, help="Mark the code as no longer in use.")
def codes_add(list_name: str, code: str, name_da: str, name_en: str, retire: bool) -> None:
    """Add a code to a list (or retire one with --retire); no code change needed."""
    setup_django()
    from opensor.domain.errors import InvalidCode
    from opensor.register.codes.services import code_add

    try:
        code_add(
            list_name=list_name,
            code=code,
            name_da=name_da,
            name_en=name_en,
            active=not retire,
            actor=actor(),
        )
    except InvalidCode as error:
        fail(str(error))
    err_console.print(f"{list_name}: {code} {'retired' if retire else 'added'}")


def register(group: click.Group) -> None:
    """Add this module's verbs to the ``sor`` command."""
    group.add_command(codes_group)
