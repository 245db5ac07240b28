"""``GET /api/v1/routing``: where to send a message type for a unit.

The answer starts from the unit's *effective* location number (its own, or inherited from the
nearest ancestor that has one, as the publisher resolved it):

* without ``messageType``: that number, where it comes from, and every message type it
  accepts; ``route`` is that number when it is active;
* with ``messageType``: ``route`` is the effective number when it is active and accepts the
  type; otherwise the nearest location number that does, looking at the unit's own numbers
  and then each ancestor's, nearest first (``rule`` says which); otherwise ``route`` is
  ``null`` and ``reason`` says why. "No route" is an answer about a unit that exists, so it is
  a 200; an unknown unit is a 404.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opensor.domain.codelists import CodeList, CodeLists
from opensor.lookup.common import Context
from opensor.lookup.params import parse_sor_id, query_params
from opensor.lookup.problems import ApiError, bad_parameter
from opensor.lookup.readmodel import ReadModel
from opensor.lookup.responses import cache_control, etag_for, json_response, not_modified

__all__ = ["RoutingEndpoint"]

_PARAMS = frozenset({"sorId", "messageType"})


class RoutingEndpoint:
    """``GET /api/v1/routing``."""

    def __init__(self, context: Context, codes: CodeLists | None = None) -> None:
        self.context = context
        self.cache = cache_control(context.settings.max_age)
        self.message_types: CodeList = (codes or CodeLists.bundled()).get("message_type")

    def _message_type(self, model: ReadModel, text: str) -> str:
        entry = self.message_types.get(text)
        if entry is not None:
            return entry.code
        known = model.memo.get("message_types")
        if known is None:
            known = {
                row[0].casefold(): row[0]
                for row in model.connection().execute(
                    "SELECT DISTINCT message_type FROM location_message_type"
                )
            }
            model.memo["message_types"] = known
        found = known.get(text.casefold())
        if found is None:
            raise bad_parameter(
                "messageType",
                text,
                "is not a known message type",
                "a MedCom message type URN from the message type code list (see "
                "/api/v1/docs#routing), e.g. "
                "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r",
            )
        return str(found)

    def _type_document(self, code: str) -> dict[str, Any]:
        entry = self.message_types.get(code)
        return {
            "code": code,
            "name_da": entry.name_da if entry else None,
            "name_en": entry.name_en if entry else None,
        }

    async def routing(self, request: Request) -> Response:
        """Answer where to send ``messageType`` (or any message) for unit ``sorId``."""
        scope = request.scope
        params = query_params(scope, _PARAMS)
        if "sorId" not in params:
            raise bad_parameter("sorId", "", "is missing", "the SOR-ID of the unit to route to")
        model = self.context.model()
        connection = model.connection()
        text = params["sorId"]
        row = None
        if text.isascii() and text.isdigit() and len(text) <= 18:
            row = connection.execute(
                "SELECT sor_id, name, active, gln, gln_source, path FROM unit WHERE sor_id = ?",
                (int(text),),
            ).fetchone()
        if row is None:
            sor_id = parse_sor_id("sorId", text)
            raise ApiError("not-found", f"no unit has SOR-ID {sor_id}", sor_id=str(sor_id))
        message_type = (
            self._message_type(model, params["messageType"]) if "messageType" in params else None
        )
        etag = etag_for(model.number, "routing", row[0], message_type)
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        document = self._answer(model, row, message_type)
        return json_response(scope, document, etag=etag, cache=self.cache)

    def _number(
        self, model: ReadModel, gln: str, owner: int, unit_id: int, chain: list[int]
    ) -> dict[str, Any]:
        connection = model.connection()
        number_row = connection.execute(
            "SELECT active, doc FROM location_number WHERE gln = ?", (gln,)
        ).fetchone()
        active = False
        if number_row is not None and number_row[0]:
            document = json.loads(number_row[1])
            active = not document.get("location_number", {}).get("non_active", False)
        owner_row = connection.execute(
            "SELECT name FROM unit WHERE sor_id = ?", (owner,)
        ).fetchone()
        types = [
            r[0]
            for r in connection.execute(
                "SELECT message_type FROM location_message_type WHERE gln = ? "
                "ORDER BY message_type",
                (gln,),
            )
        ]
        return {
            "gln": gln,
            "owner_sor_id": str(owner),
            "owner_name": owner_row[0] if owner_row else None,
            "inherited": owner != unit_id,
            "levels_up": chain.index(owner) if owner in chain else None,
            "active": active,
            "message_types": [self._type_document(t) for t in types],
            "href": f"/api/v1/ean/{gln}",
        }

    def _answer(
        self, model: ReadModel, row: tuple[Any, ...], message_type: str | None
    ) -> dict[str, Any]:
        sor_id, name, active, gln, gln_source, path = row
        chain = [int(p) for p in path.strip("/").split("/") if p][::-1]  # self, parent, …
        effective = None
        if gln is not None:
            effective = self._number(model, gln, gln_source or sor_id, sor_id, chain)
        document: dict[str, Any] = {
            "publication": model.number,
            "sor_id": str(sor_id),
            "name": name,
            "unit_active": bool(active),
            "message_type": self._type_document(message_type) if message_type else None,
            "effective_location_number": effective,
        }
        if message_type is None:
            if effective is not None and effective["active"]:
                document["route"] = {**effective, "rule": "effective"}
                document["reason"] = None
            else:
                document["route"] = None
                document["reason"] = (
                    f"the effective location number {gln} is not active"
                    if effective is not None
                    else "the unit has no location number of its own and inherits none"
                )
            return document
        if effective is not None:
            accepts = any(t["code"] == message_type for t in effective["message_types"])
            effective["accepts"] = accepts
            if accepts and effective["active"]:
                document["route"] = {**effective, "rule": "effective"}
                document["reason"] = None
                return document
        marks = ",".join("?" * len(chain))
        found = (
            model.connection()
            .execute(
                "SELECT n.gln, n.owner_sor_id FROM location_number n "
                "JOIN location_message_type m ON m.gln = n.gln "
                f"WHERE n.owner_sor_id IN ({marks}) AND m.message_type = ? AND n.active = 1",
                [*chain, message_type],
            )
            .fetchall()
        )
        found.sort(key=lambda r: (chain.index(r[1]), r[0]))
        for number_gln, owner in found:
            route = self._number(model, number_gln, owner, sor_id, chain)
            if not route["active"]:
                continue  # flagged non-active

            route["accepts"] = True
            route["rule"] = "own" if owner == sor_id else "ancestor"
            document["route"] = route
            document["reason"] = None
            return document
        document["route"] = None
        where = (
            f"the effective location number {gln} (of unit {gln_source}) does not accept it"
            if effective is not None and effective.get("accepts") is False
            else (
                f"the effective location number {gln} is not active"
                if effective is not None
                else "the unit has no effective location number"
            )
        )
        document["reason"] = (
            f"no route for {message_type}: {where}, and no active location number of the unit "
            "or of any of its ancestors accepts it"
        )
        return document
