"""Documentation tested: the reference pages cover what the code has.

In the manner of Datasette's documentation tests, these read ``docs/data-model.md`` and
``docs/cli.md`` and fail when a model field, a record field, a code list, a ``sor`` command or
one of its options is added to the code without being documented (or is renamed, leaving the
documentation describing something that no longer exists).

``docs/data-model.md`` documents each model and record in a section whose heading names it in
backticks (``### Unit version (`UnitVersion`)``), with one table row per field whose first cell
is the field name in backticks. ``docs/cli.md`` documents each command under a heading that
names it (``### `sor import sortree FILE ...` ``) and its options in that section.

The model tests need the Django app registry (pytest-django sets it up) but no database.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from django.apps import apps

from opensor.cli.main import cli
from opensor.domain.codelists import CodeListName
from opensor.domain.records import Address, Contact, Speciality, Validity

DOCS = Path(__file__).resolve().parents[1] / "docs"
DATA_MODEL = DOCS / "data-model.md"
CLI_DOC = DOCS / "cli.md"

MODELS = [
    ("units", "UnitVersion"),
    ("units", "LocationNumberVersion"),
    ("audit", "ChangeSet"),
    ("audit", "AuditEvent"),
    ("accounts", "RoleGrant"),
    ("accounts", "ApiToken"),
    ("accounts", "LoginThrottle"),
    ("change_requests", "ChangeRequest"),
    ("change_requests", "RequestEvent"),
    ("change_requests", "Outbox"),
    ("codes", "CodeAddition"),
    ("codes", "ShakCode"),
    ("access", "AccessRequest"),
    ("access", "ApiClient"),
    ("access", "SigningKey"),
]
RECORDS = [Address, Contact, Speciality, Validity]

_HEADING = re.compile(r"(#{1,6})\s")
_FIELD_CELL = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


# -- reading the Markdown -------------------------------------------------------------------


def _lines_outside_fences(text: str) -> list[tuple[str, bool]]:
    """Each line with whether it is outside a fenced code block (where ``#`` is no heading)."""
    result = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            result.append((line, False))
            continue
        result.append((line, not fenced))
    return result


def _sections(text: str, matches) -> list[str]:
    """Every section whose heading line satisfies ``matches``, heading line included.

    A section runs to the next heading of the same or a higher level.
    """
    lines = _lines_outside_fences(text)
    found = []
    for index, (line, outside) in enumerate(lines):
        heading = _HEADING.match(line) if outside else None
        if heading is None or not matches(line):
            continue
        depth = len(heading.group(1))
        body = [line]
        for other, other_outside in lines[index + 1 :]:
            other_heading = _HEADING.match(other) if other_outside else None
            if other_heading is not None and len(other_heading.group(1)) <= depth:
                break
            body.append(other)
        found.append("\n".join(body))
    return found


def _section(path: Path, *, token: str | None = None, title: str | None = None) -> str:
    """The one section of ``path`` whose heading names ``token`` in backticks (or is ``title``)."""
    if token is not None:
        found = _sections(path.read_text(encoding="utf-8"), lambda line: f"`{token}`" in line)
        what = f"a heading naming `{token}`"
    else:
        found = _sections(
            path.read_text(encoding="utf-8"),
            lambda line: _HEADING.sub("", line, count=1).strip() == title,
        )
        what = f"a heading {title!r}"
    if len(found) != 1:
        pytest.fail(f"{path.name} should have exactly one section with {what}, has {len(found)}")
    return found[0]


def _table_rows(section: str) -> list[list[str]]:
    """The body rows of the Markdown tables in ``section``, as lists of stripped cells."""
    rows = []
    for line in section.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if all(set(cell) <= set("-: ") for cell in cells):
            continue  # the separator row
        rows.append(cells)
    return rows


def _documented_fields(section: str) -> dict[str, list[str]]:
    """Field name (the first cell's backticked name) → that row's cells, for each table row."""
    fields = {}
    for cells in _table_rows(section):
        name = _FIELD_CELL.fullmatch(cells[0])
        if name is not None:
            fields[name.group(1)] = cells
    return fields


# -- (a) models -----------------------------------------------------------------------------


def _model(app_label: str, model_name: str):
    return apps.get_model(app_label, model_name)


def _concrete_fields(model) -> list:
    return [field for field in model._meta.concrete_fields if field.name != "id"]


@pytest.mark.parametrize(("app_label", "model_name"), MODELS, ids=[m for _, m in MODELS])
def test_every_model_field_is_documented(app_label: str, model_name: str) -> None:
    documented = _documented_fields(_section(DATA_MODEL, token=model_name))
    missing = [
        field.attname
        for field in _concrete_fields(_model(app_label, model_name))
        if field.name not in documented and field.attname not in documented
    ]
    assert not missing, f"{model_name} fields missing from docs/data-model.md: {missing}"


@pytest.mark.parametrize(("app_label", "model_name"), MODELS, ids=[m for _, m in MODELS])
def test_no_documented_model_field_is_stale(app_label: str, model_name: str) -> None:
    names = set()
    for field in _concrete_fields(_model(app_label, model_name)):
        names.update({field.name, field.attname})
    documented = _documented_fields(_section(DATA_MODEL, token=model_name))
    stale = sorted(set(documented) - names)
    assert not stale, f"docs/data-model.md documents {model_name} fields it lacks: {stale}"


@pytest.mark.parametrize(("app_label", "model_name"), MODELS, ids=[m for _, m in MODELS])
def test_model_labels_are_the_verbose_names(app_label: str, model_name: str) -> None:
    documented = _documented_fields(_section(DATA_MODEL, token=model_name))
    wrong = []
    for field in _concrete_fields(_model(app_label, model_name)):
        cells = documented.get(field.name) or documented.get(field.attname)
        if cells is None:
            continue  # reported by test_every_model_field_is_documented
        label = str(field.verbose_name)
        if len(cells) < 2 or not cells[1].startswith(label):
            wrong.append(f"{field.name}: expected {label!r}, found {cells[1:2]}")
    assert not wrong, f"{model_name} labels differ from the models' verbose_name: {wrong}"


# -- (b) records ----------------------------------------------------------------------------


@pytest.mark.parametrize("record", RECORDS, ids=[r.__name__ for r in RECORDS])
def test_every_record_field_is_documented(record: type) -> None:
    documented = _documented_fields(_section(DATA_MODEL, token=record.__name__))
    names = [field.name for field in dataclasses.fields(record)]
    missing = [name for name in names if name not in documented]
    assert not missing, f"{record.__name__} fields missing from docs/data-model.md: {missing}"
    stale = sorted(set(documented) - set(names))
    assert not stale, f"docs/data-model.md documents {record.__name__} fields it lacks: {stale}"


# -- (c) the sor command --------------------------------------------------------------------


def _commands(
    command: click.Command = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``sor``, depth first, with its path of names (``()`` is ``sor``)."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands())


def _command_pattern(path: tuple[str, ...]) -> re.Pattern[str]:
    """`sor <path>` in backticks, ended by a space, a backtick or a bracket (not a longer name)."""
    return re.compile(r"`" + re.escape(" ".join(("sor", *path))) + r"(?=[\s`\]\[])")


def _options(command: click.Command) -> list[str]:
    options = []
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            options.extend(param.opts)
            options.extend(param.secondary_opts)
    return options


def _command_id(path: tuple[str, ...]) -> str:
    return " ".join(("sor", *path))


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[_command_id(p) for p, _ in COMMANDS])
def test_every_command_is_documented(path: tuple[str, ...], command: click.Command) -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    assert _command_pattern(path).search(text), f"`{_command_id(path)}` is not in docs/cli.md"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[_command_id(p) for p, _ in COMMANDS])
def test_every_option_is_documented(path: tuple[str, ...], command: click.Command) -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    if path:
        pattern = _command_pattern(path)
        sections = _sections(text, lambda line: pattern.search(line) is not None)
        if not sections and not _options(command):
            return  # a group without options of its own, documented through its sub-commands
        assert sections, f"docs/cli.md has no heading naming `{_command_id(path)}`"
        where = "\n".join(sections)
    else:
        where = text  # the options of `sor` itself may be documented anywhere
    missing = [
        option
        for option in _options(command)
        if not re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", where)
    ]
    assert not missing, (
        f"options of `{_command_id(path)}` missing from its section of docs/cli.md: {missing}"
    )


# -- (d) code lists -------------------------------------------------------------------------


def test_every_code_list_is_documented() -> None:
    documented = _documented_fields(_section(DATA_MODEL, title="Code lists"))
    names = [name.value for name in CodeListName]
    missing = [name for name in names if name not in documented]
    assert not missing, f"code lists missing from docs/data-model.md: {missing}"
    stale = sorted(set(documented) - set(names))
    assert not stale, f"docs/data-model.md documents code lists that do not exist: {stale}"


# -- (e) permissions ------------------------------------------------------------------------


def test_every_permission_is_documented() -> None:
    from opensor.domain.responsibility import Permission

    text = (DOCS / "maintenance.md").read_text(encoding="utf-8")
    section = _section(DOCS / "maintenance.md", title="Permissions")
    rows = {cells[0].strip("`"): cells for cells in _table_rows(section)}
    missing = [p.value for p in Permission if p.value not in rows]
    assert not missing, f"permissions missing from docs/maintenance.md: {missing}"
    stale = [name for name in rows if name not in {p.value for p in Permission} and ":" in name]
    assert not stale, f"docs/maintenance.md documents unknown permissions: {stale}"
    wrong = [p.value for p in Permission if rows[p.value][1] != p.label_da]
    assert not wrong, f"Danish labels differ from Permission.label_da: {wrong}"
    assert "`authority`" in text
