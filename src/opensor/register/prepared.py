"""Queries of the write path compiled once per process, re-run with new keys.

A maintenance write reads and writes about ten rows. Through the ORM, building each statement
(resolving the filter, compiling the SQL, setting up the converters) costs more CPU than
PostgreSQL needs to answer it: half of a write's CPU time went there. The few
statements every write runs are therefore compiled once and kept:

* :class:`PreparedSelect` compiles a queryset built with placeholder keys, and re-runs its SQL
  with the real keys, passing the rows through the same converters the ORM would (dates and
  datetimes from SQLite text, JSON, booleans), so the rows are exactly what ``.values()``
  gives;
* :func:`update_row` sets fields of one row by primary key, each value prepared by its field;
* :func:`insert` and :func:`insert_many` write model instances with one ``INSERT … RETURNING``
  per call, each value prepared by its field as ``save()`` would (``auto_now_add``, JSON,
  time-zone handling) and the primary keys set on the instances afterwards.

Both work on SQLite and PostgreSQL; the SQL is kept per database vendor, so a process that
talks to both (tests) never runs one's SQL on the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

__all__ = ["PreparedSelect", "execute", "insert", "insert_many", "update_row"]

M = TypeVar("M", bound=Model)

# Placeholder keys: values no real key takes, found again among the compiled parameters.
_PLACEHOLDERS: tuple[Any, ...] = (-7_213_994_651, -7_213_994_652, -7_213_994_653)


class PreparedSelect:
    """A ``.values()`` queryset compiled once (per database vendor) and re-run with new keys.

    ``build`` takes as many key arguments as the query has keys and returns a ``.values()``
    queryset; it is called once with placeholders. :meth:`rows` then runs the compiled SQL
    with the given keys and returns the rows as dicts, converted as the ORM converts them.
    Keys must be integers or strings compared for equality (``field=key``): they are bound
    as given, so pass them as the column holds them.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], keys: int = 1) -> None:
        if not 0 <= keys <= len(_PLACEHOLDERS):
            raise ValueError(f"a prepared select takes 0 to {len(_PLACEHOLDERS)} keys")
        self._build = build
        self._keys = keys
        self._compiled: dict[str, tuple[str, list[Any], list[int], Any, list[str]]] = {}

    def _compile(self, alias: str) -> tuple[str, list[Any], list[int], Any, list[str]]:
        vendor = connections[alias].vendor
        compiled = self._compiled.get(vendor)
        if compiled is None:
            queryset = self._build(*_PLACEHOLDERS[: self._keys])
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            positions: list[int] = []
            for placeholder in _PLACEHOLDERS[: self._keys]:
                # a key of a text field arrives as the placeholder's text
                found = [i for i, param in enumerate(params) if str(param) == str(placeholder)]
                if len(found) != 1:
                    raise ValueError(f"the key {placeholder} is not used once in {sql}")
                positions.append(found[0])
            columns = [column for column, _, _ in compiler.select]
            converters = compiler.get_converters(columns)
            names = list(queryset.query.values_select)
            if len(names) != len(columns):
                raise ValueError("a prepared select must name its columns with .values()")
            compiled = (sql, list(params), positions, (compiler, converters), names)
            self._compiled[vendor] = compiled
        return compiled

    def rows(self, *keys: Any, using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
        """The rows for ``keys``, as ``.values()`` would give them."""
        sql, params, positions, (compiler, converters), names = self._compile(using)
        if len(keys) != len(positions):
            raise TypeError(f"expected {len(positions)} keys, got {len(keys)}")
        bound = list(params)
        for position, key in zip(positions, keys, strict=True):
            bound[position] = key
        with connections[using].cursor() as cursor:
            cursor.execute(sql, bound)
            fetched: Any = cursor.fetchall()
        if converters:
            fetched = compiler.apply_converters(fetched, converters)
        return [dict(zip(names, row, strict=True)) for row in fetched]


def execute(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Run one statement; return the number of rows it touched (``rowcount``)."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


_INSERTS: dict[tuple[type[Model], str, int], tuple[str, list[Any]]] = {}


def _insert_sql(model: type[Model], alias: str, count: int) -> tuple[str, list[Any]]:
    connection = connections[alias]
    key = (model, connection.vendor, count)
    cached = _INSERTS.get(key)
    if cached is None:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row] * count)} RETURNING {quote(meta.pk.column)}"  # type: ignore[union-attr]
        )
        cached = (sql, fields)
        _INSERTS[key] = cached
    return cached


def insert_many(objects: Sequence[M], *, using: str = DEFAULT_DB_ALIAS) -> list[M]:
    """Insert new instances of one model in one statement; set and return their keys.

    Each value is prepared by its field as ``save()`` prepares it (``pre_save`` for
    ``auto_now_add``, then ``get_db_prep_save``). No signals are sent: the register has none.
    """
    if not objects:
        return []
    model = type(objects[0])
    if any(type(obj) is not model for obj in objects):
        raise TypeError("insert_many() takes instances of one model")
    connection = connections[using]
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        return model._default_manager.using(using).bulk_create(list(objects))  # type: ignore[no-any-return]
    sql, fields = _insert_sql(model, using, len(objects))
    params: list[Any] = []
    for obj in objects:
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    # RETURNING gives the rows in the order of VALUES on both SQLite and PostgreSQL for a
    # single multi-row INSERT (the same guarantee Django's bulk_create relies on).
    for obj, pk in zip(objects, keys, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return list(objects)


def insert(obj: M, *, using: str = DEFAULT_DB_ALIAS) -> M:
    """Insert one new instance (as :func:`insert_many`); return it with its key set."""
    return insert_many([obj], using=using)[0]


_UPDATES: dict[tuple[type[Model], str, tuple[str, ...]], tuple[str, list[Any]]] = {}


def update_row(model: type[Model], pk: Any, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> int:
    """``UPDATE`` the row ``pk`` of ``model`` with ``values``; return the rows changed (0 or 1).

    ``values`` are by field name; a foreign key takes a model instance or its key.
    """
    connection = connections[using]
    key = (model, connection.vendor, tuple(values))
    cached = _UPDATES.get(key)
    if cached is None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [meta.get_field(name) for name in values]
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)  # type: ignore[union-attr]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {assignments} "
            f"WHERE {quote(meta.pk.column)} = %s"  # type: ignore[union-attr]
        )
        cached = (sql, fields)
        _UPDATES[key] = cached
    sql, fields = cached
    params = [
        field.get_db_prep_save(value.pk if isinstance(value, Model) else value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    return execute(sql, [*params, pk], using=using)
