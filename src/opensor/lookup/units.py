"""Unit endpoints: a unit by SOR-ID (as stored, or as of any date), its tree, SHAK and GLN.

``GET /api/v1/units/{sorId}`` is the hot path: one primary-key probe and a write of the
stored bytes with precomputed headers. With ``as_of`` the document is resolved from the
version records (see :mod:`opensor.lookup.asof`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope, Send

from opensor.domain.codelists import CodeLists
from opensor.domain.personal import redact_unit_document
from opensor.domain.records import UnitRecord
from opensor.lookup.access import PERSONAL_DATA, caller_of
from opensor.lookup.accesslog import AccessLog
from opensor.lookup.asof import NotValidOn, location_number_on, unit_document_on, unit_on
from opensor.lookup.common import (
    API,
    SUMMARY_COLUMNS,
    Context,
    next_url,
    page_document,
    summary,
)
from opensor.lookup.params import (
    encode_cursor,
    parse_bool,
    parse_code,
    parse_date,
    parse_gln,
    parse_int,
    parse_sor_id,
    query_fingerprint,
    query_params,
)
from opensor.lookup.problems import ApiError
from opensor.lookup.readmodel import NoPublication, ReadModel
from opensor.lookup.responses import (
    JSON_TYPE,
    StoredResponse,
    cache_control,
    dump_json,
    etag_for,
    json_response,
    not_modified,
)

__all__ = ["UNITS_PREFIX", "UnitEndpoints"]

_AS_OF = frozenset({"as_of"})
_CHILDREN = frozenset({"limit", "cursor", "active"})
_SUBTREE = frozenset({"limit", "cursor", "active", "max_depth"})
_NONE: frozenset[str] = frozenset()

_UNIT_DOC = "SELECT etag, doc, personal_data FROM unit WHERE sor_id = ?"
_PERSONAL_DOC = "SELECT etag, doc FROM unit_personal WHERE sor_id = ?"
"""The whole document of a personal-data unit (``unit.doc`` holds the public one)."""
_PRIVATE = b"private, no-store"
"""Cache-Control of a personal-data unit's full document (never in a shared cache)."""
UNITS_PREFIX = f"{API}/units/"
_UNITS_PREFIX_LENGTH = len(UNITS_PREFIX)
_UNIT_PATH = "SELECT path, depth FROM unit WHERE sor_id = ?"
_MAPPING_COLUMNS = "sor_id, level, name, parent_sor_id, shak, valid_from, valid_to, active"


def _mapping_item(row: tuple[Any, ...], as_of: str | None = None) -> dict[str, Any]:
    sor_id = row[0]
    href = f"{API}/units/{sor_id}" + (f"?as_of={as_of}" if as_of else "")
    return {
        "sor_id": str(sor_id),
        "level": row[1],
        "name": row[2],
        "parent_sor_id": str(row[3]) if row[3] is not None else None,
        "shak": row[4],
        "valid_from": row[5],
        "valid_to": row[6],
        "active": bool(row[7]),
        "href": href,
    }


def _record_item(record: UnitRecord, as_of: str) -> dict[str, Any]:
    validity = record.validity
    return _mapping_item(
        (
            record.sor_id,
            record.level.value,
            record.name,
            record.parent_sor_id,
            record.shak,
            validity.valid_from.isoformat(),
            validity.valid_to.isoformat() if validity.valid_to else None,
            True,
        ),
        as_of,
    )


class UnitEndpoints:
    """The unit, tree and code-mapping endpoints."""

    def __init__(self, context: Context, access_log: AccessLog | None = None) -> None:
        self.context = context
        self.access_log = access_log
        self.cache = cache_control(context.settings.max_age)
        self.codes = CodeLists.bundled()

    # -- helpers -------------------------------------------------------------------------

    def _sor_id(self, model: ReadModel, text: str) -> int:
        """The path's SOR-ID: 400 if malformed, 404 if no unit has it."""
        if text.isascii() and text.isdigit() and len(text) <= 18:
            sor_id = int(text)
            if model.connection().execute(_UNIT_PATH, (sor_id,)).fetchone() is not None:
                return sor_id
        sor_id = parse_sor_id("sorId", text)
        raise ApiError("not-found", f"no unit has SOR-ID {sor_id}", sor_id=str(sor_id))

    # -- GET /units/{sorId} ---------------------------------------------------------------

    async def unit_fast(self, scope: Scope, send: Send) -> bool:
        """Answer a plain ``GET /api/v1/units/{sorId}`` hit directly; ``False`` to decline.

        Declines anything else (a query string, a malformed or unknown SOR-ID, no
        publication), which :meth:`unit` then answers through the application.
        """
        text: str = scope["path"][_UNITS_PREFIX_LENGTH:]
        if scope["query_string"] or not (text.isdigit() and text.isascii() and len(text) <= 18):
            return False
        try:
            model = self.context.model()
        except NoPublication:
            return False
        row = model.connection().execute(_UNIT_DOC, (int(text),)).fetchone()
        if row is None or row[2]:
            return False  # personal data: the caller's scope decides (see unit)
        etag = b'"' + row[0].encode() + b'"'
        if not_modified(scope, etag):
            headers = [(b"etag", etag), (b"cache-control", self.cache)]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        body = row[1]
        headers = [
            (b"content-type", JSON_TYPE),
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag),
            (b"cache-control", self.cache),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    async def unit(self, request: Request) -> Response:
        """The unit document as stored (as of the publication date), or as of ``as_of``."""
        scope = request.scope
        text: str = scope["path_params"]["sorId"]
        model = self.context.model()
        params = query_params(scope, _AS_OF) if scope["query_string"] else None
        if params:
            return self._unit_as_of(scope, model, text, params["as_of"])
        row = None
        if text.isascii() and text.isdigit() and len(text) <= 18:
            row = model.connection().execute(_UNIT_DOC, (int(text),)).fetchone()
        if row is None:
            sor_id = parse_sor_id("sorId", text)
            raise ApiError("not-found", f"no unit has SOR-ID {sor_id}", sor_id=str(sor_id))
        if row[2]:
            return self._personal_current(scope, model, row[0], row[1], text)
        etag = b'"' + row[0].encode() + b'"'
        headers = [(b"etag", etag), (b"cache-control", self.cache)]
        if not_modified(scope, etag):
            return StoredResponse(b"", headers, 304)
        return StoredResponse(row[1], headers)

    def _personal_current(
        self, scope: Scope, model: ReadModel, tag: str, public: bytes, sor_id: str
    ) -> Response:
        """A personal-data unit as published: whole (and logged) with the scope, else public.

        The publisher stores the public document (without the personal fields) in ``unit``
        and the whole one in ``unit_personal``, read only here for a caller with the scope.
        """
        if not model.has_personal_split:
            # a read model from before the split: `unit.doc` is the whole document
            return self._personal(scope, tag, public, sor_id)
        if caller_of(scope).may(PERSONAL_DATA):
            row = model.connection().execute(_PERSONAL_DOC, (int(sor_id),)).fetchone()
            if row is not None:
                return self._personal(scope, row[0], row[1], sor_id)
        etag = b'"' + tag.encode() + b'"'
        headers = [(b"etag", etag), (b"cache-control", self.cache), (b"vary", b"authorization")]
        if not_modified(scope, etag):
            return StoredResponse(b"", headers, 304)
        return StoredResponse(public, headers)

    def _personal(self, scope: Scope, tag: str, body: bytes | Any, sor_id: str) -> Response:
        """A personal-data unit's document: whole (and logged) with the scope, else redacted.

        The whole document is never stored by a shared cache (``private, no-store``); the
        redacted one has an entity tag of its own.
        """
        caller = caller_of(scope)
        if caller.may(PERSONAL_DATA):
            if caller.client_id is not None and self.access_log is not None:
                self.access_log.append(caller.client_id, sor_id, caller.purpose, scope["path"])
            etag = b'"' + tag.encode() + b'"'
            headers = [(b"etag", etag), (b"cache-control", _PRIVATE), (b"vary", b"authorization")]
            if not_modified(scope, etag):
                return StoredResponse(b"", headers, 304)
            return StoredResponse(body if isinstance(body, bytes) else dump_json(body), headers)
        etag = b'"' + tag.encode() + b'-r"'
        headers = [(b"etag", etag), (b"cache-control", self.cache), (b"vary", b"authorization")]
        if not_modified(scope, etag):
            return StoredResponse(b"", headers, 304)
        document = json.loads(body) if isinstance(body, bytes) else body
        return StoredResponse(dump_json(redact_unit_document(document)), headers)

    def _unit_as_of(self, scope: Scope, model: ReadModel, text: str, value: str) -> Response:
        day = parse_date("as_of", value)
        sor_id = parse_sor_id("sorId", text)
        etag = etag_for(model.number, "unit", sor_id, value)
        headers = [(b"etag", etag), (b"cache-control", self.cache)]
        if not_modified(scope, etag):
            return StoredResponse(b"", headers, 304)
        try:
            document = unit_document_on(model.connection(), sor_id, day)
        except NotValidOn as error:
            raise ApiError("not-found", str(error), sor_id=str(sor_id), as_of=value) from None
        if _is_personal(document):
            return self._personal(scope, etag.decode().strip('"'), document, str(sor_id))
        return StoredResponse(dump_json(document), headers)

    # -- tree ------------------------------------------------------------------------------

    async def children(self, request: Request) -> Response:
        """The unit's children, by name then SOR-ID, paged."""
        scope = request.scope
        params = query_params(scope, _CHILDREN)
        context = self.context
        limit = context.limit(
            params, default=context.settings.page_size, maximum=context.settings.max_page_size
        )
        active = parse_bool("active", params["active"]) if "active" in params else None
        model, cursor = context.cursor_model(params)
        sor_id = self._sor_id(model, scope["path_params"]["sorId"])
        etag = etag_for(model.number, scope["path"], scope["query_string"])
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        where, args = "u.parent_sor_id = ?", [sor_id]
        if active is not None:
            where += " AND u.active = ?"
            args.append(int(active))
        connection = model.connection()
        table = model.list_table
        total = model.count(f"SELECT count(*) FROM {table} u WHERE {where}", args)
        page_where, page_args = where, list(args)
        if cursor is not None:
            name, last = _key(cursor.key, (str, int))
            page_where += " AND (u.name, u.sor_id) > (?, ?)"
            page_args += [name, last]
        rows = connection.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {table} u WHERE {page_where} "
            "ORDER BY u.name, u.sor_id LIMIT ?",
            [*page_args, limit + 1],
        ).fetchall()
        return self._page(
            scope, model, params, etag, sor_id, rows, total, limit, lambda r: [r[2], r[0]]
        )

    async def ancestors(self, request: Request) -> Response:
        """The unit's ancestors, nearest first (parent, …, owner)."""
        scope = request.scope
        query_params(scope, _NONE)
        model = self.context.model()
        sor_id = self._sor_id(model, scope["path_params"]["sorId"])
        etag = etag_for(model.number, scope["path"])
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        connection = model.connection()
        table = model.list_table
        (path,) = connection.execute("SELECT path FROM unit WHERE sor_id = ?", (sor_id,)).fetchone()
        ids = [int(part) for part in path.strip("/").split("/") if part][:-1]
        ids.reverse()
        rows = {}
        if ids:
            marks = ",".join("?" * len(ids))
            for row in connection.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM {table} u WHERE u.sor_id IN ({marks})", ids
            ):
                rows[row[0]] = row
        items = [summary(rows[i]) for i in ids if i in rows]
        document = {"publication": model.number, "sor_id": str(sor_id), "items": items}
        return json_response(scope, document, etag=etag, cache=self.cache)

    async def subtree(self, request: Request) -> Response:
        """The unit and every unit below it, depth first (by tree path), paged."""
        scope = request.scope
        params = query_params(scope, _SUBTREE)
        context = self.context
        limit = context.limit(
            params, default=context.settings.page_size, maximum=context.settings.max_page_size
        )
        active = parse_bool("active", params["active"]) if "active" in params else None
        max_depth = (
            parse_int("max_depth", params["max_depth"], minimum=0, maximum=1000)
            if "max_depth" in params
            else None
        )
        model, cursor = context.cursor_model(params)
        sor_id = self._sor_id(model, scope["path_params"]["sorId"])
        etag = etag_for(model.number, scope["path"], scope["query_string"])
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        connection = model.connection()
        table = model.list_table
        path, depth = connection.execute(_UNIT_PATH, (sor_id,)).fetchone()
        # Every path below starts with this one; '0' is the character after '/'.
        where, args = "u.path >= ? AND u.path < ?", [path, path[:-1] + "0"]
        if active is not None:
            where += " AND u.active = ?"
            args.append(int(active))
        if max_depth is not None:
            where += " AND u.depth <= ?"
            args.append(depth + max_depth)
        total = model.count(f"SELECT count(*) FROM {table} u WHERE {where}", args)
        page_where, page_args = where, list(args)
        if cursor is not None:
            (last_path,) = _key(cursor.key, (str,))
            page_where += " AND u.path > ?"
            page_args.append(last_path)
        rows = connection.execute(
            f"SELECT {SUMMARY_COLUMNS}, u.path FROM {table} u WHERE {page_where} "
            "ORDER BY u.path LIMIT ?",
            [*page_args, limit + 1],
        ).fetchall()
        return self._page(scope, model, params, etag, sor_id, rows, total, limit, lambda r: [r[-1]])

    def _page(
        self,
        scope: Any,
        model: Any,
        params: Any,
        etag: str,
        sor_id: int,
        rows: list[Any],
        total: int,
        limit: int,
        cursor_key: Any,
    ) -> Response:
        """One page of a tree listing, with a ``next`` link whose cursor is the last row's key."""
        link = None
        if len(rows) > limit:
            rows = rows[:limit]
            token = encode_cursor(model.number, query_fingerprint(params), cursor_key(rows[-1]))
            link = next_url(scope["path"], params, token)
        document = page_document(
            model,
            sor_id=str(sor_id),
            total=total,
            limit=limit,
            items=[summary(row) for row in rows],
            next_link=link,
        )
        return json_response(scope, document, etag=etag, cache=self.cache)

    # -- code mappings ---------------------------------------------------------------------

    async def shak(self, request: Request) -> Response:
        """The units a SHAK code sits on (as of the publication, or ``as_of``)."""
        scope = request.scope
        params = query_params(scope, _AS_OF)
        code = parse_code("shak", scope["path_params"]["code"])
        model = self.context.model()
        etag = etag_for(model.number, scope["path"], scope["query_string"])
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        connection = model.connection()
        as_of = params.get("as_of")
        if as_of is None:
            rows = connection.execute(
                f"SELECT {_MAPPING_COLUMNS} FROM unit WHERE shak = ? ORDER BY depth, name, sor_id",
                (code,),
            ).fetchall()
            items = [_mapping_item(row) for row in rows]
            day_text = model.meta.get("as_of")
        else:
            day = parse_date("as_of", as_of)
            day_text = day.isoformat()
            items = self._shak_on(model, code, day)
        if not items:
            when = f" on {as_of}" if as_of else ""
            raise ApiError("not-found", f"no unit has SHAK code {code}{when}", shak=code)
        document = {"publication": model.number, "shak": code, "as_of": day_text, "units": items}
        return json_response(scope, document, etag=etag, cache=self.cache)

    def _shak_on(self, model: ReadModel, code: str, day: date) -> list[dict[str, Any]]:
        iso = day.isoformat()
        connection = model.connection()
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT sor_id FROM unit_version "
                "WHERE json_extract(record, '$.shak') = ? AND valid_from <= ? "
                "AND (valid_to IS NULL OR valid_to > ?)",
                (code, iso, iso),
            )
        ]
        records = [r for r in (unit_on(connection, i, day) for i in ids) if r is not None]
        records.sort(key=lambda r: (r.level.value != "IE", r.level.value != "SI", r.name, r.sor_id))
        return [_record_item(r, iso) for r in records if r.shak == code]

    async def ean(self, request: Request) -> Response:
        """A location number (GLN) and the unit owning it (as of the publication or ``as_of``)."""
        scope = request.scope
        params = query_params(scope, _AS_OF)
        gln = parse_gln("gln", scope["path_params"]["gln"])
        model = self.context.model()
        etag = etag_for(model.number, scope["path"], scope["query_string"])
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        connection = model.connection()
        as_of = params.get("as_of")
        if as_of is None:
            row = connection.execute(
                "SELECT doc, owner_sor_id, active FROM location_number WHERE gln = ?", (gln,)
            ).fetchone()
            if row is None:
                raise ApiError("not-found", f"no location number has GLN {gln}", gln=gln)
            doc, owner_id, active = row
            owner = connection.execute(
                f"SELECT {_MAPPING_COLUMNS} FROM unit WHERE sor_id = ?", (owner_id,)
            ).fetchone()
            owner_item = _mapping_item(owner) if owner is not None else None
            (users,) = connection.execute(
                "SELECT count(*) FROM unit WHERE gln = ?", (gln,)
            ).fetchone()
            head = {
                "publication": model.number,
                "gln": gln,
                "as_of": model.meta.get("as_of"),
                "active": bool(active),
                "owner": owner_item,
                "effective_for_units": users,
            }
            body = dump_json(head)[:-1] + b',"location_number":' + bytes(doc) + b"}"
            return json_response(scope, body, etag=etag, cache=self.cache)
        day = parse_date("as_of", as_of)
        try:
            record, number_doc = location_number_on(connection, gln, day, self.codes)
        except NotValidOn as error:
            raise ApiError("not-found", str(error), gln=gln, as_of=as_of) from None
        owner_record = unit_on(connection, record.owner_sor_id, day)
        document = {
            "publication": model.number,
            "gln": gln,
            "as_of": day.isoformat(),
            "active": True,
            "owner": _record_item(owner_record, day.isoformat()) if owner_record else None,
            "location_number": number_doc,
        }
        return json_response(scope, document, etag=etag, cache=self.cache)


def _is_personal(document: dict[str, Any]) -> bool:
    """Whether a resolved unit document is marked as personal data."""
    unit = document.get("unit")
    return isinstance(unit, dict) and bool(unit.get("personal_data"))


def _key(key: list[Any], types: tuple[type, ...]) -> list[Any]:
    """A cursor's sort key checked against the types the endpoint's ordering uses."""
    if len(key) != len(types) or not all(
        isinstance(value, kind) and not isinstance(value, bool)
        for value, kind in zip(key, types, strict=True)
    ):
        raise ApiError(
            "invalid-parameter",
            "parameter 'cursor' does not fit this endpoint; allowed: a cursor copied from the "
            "`next` link of the previous page of the same query",
            parameter="cursor",
        )
    return key
