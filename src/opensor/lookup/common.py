"""What every endpoint of the REST API shares: the context, unit summaries and pages.

A *summary* is the short form of a unit used in lists (search hits, children, subtrees,
ancestors, SHAK mappings): the indexed columns of the ``unit`` table and a link to the full
document. A *page* is the envelope of a paged list: ``publication``, ``total`` (exact),
``count``, ``limit``, ``items`` and ``next`` (the URL of the next page, or ``null``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from opensor.lookup.params import Cursor, decode_cursor, parse_int, query_fingerprint
from opensor.lookup.problems import ApiError
from opensor.lookup.readmodel import CurrentPublication, ReadModel
from opensor.lookup.settings import LookupSettings

__all__ = [
    "API",
    "SUMMARY_COLUMNS",
    "Context",
    "page_document",
    "summary",
]

API = "/api/v1"

SUMMARY_COLUMNS = (
    "u.sor_id, u.level, u.name, u.parent_sor_id, u.active, u.valid_from, u.valid_to, "
    "u.type_code, u.shak, u.provider_number, u.cvr, u.postcode, u.municipality_code, "
    "u.region_code, u.country, u.gln, u.gln_source, u.latitude, u.longitude, u.depth"
)
"""The ``unit`` columns :func:`summary` reads, in order (the table aliased ``u``)."""

SUMMARY_WIDTH = 20


def summary(row: tuple[Any, ...] | sqlite3.Row) -> dict[str, Any]:
    """A unit summary from a row starting with :data:`SUMMARY_COLUMNS`."""
    sor_id = row[0]
    parent = row[3]
    source = row[16]
    return {
        "sor_id": str(sor_id),
        "level": row[1],
        "name": row[2],
        "parent_sor_id": str(parent) if parent is not None else None,
        "active": bool(row[4]),
        "valid_from": row[5],
        "valid_to": row[6],
        "type_code": row[7],
        "shak": row[8],
        "provider_number": row[9],
        "cvr": row[10],
        "postcode": row[11],
        "municipality_code": row[12],
        "region_code": row[13],
        "country": row[14],
        "gln": row[15],
        "gln_source_sor_id": str(source) if source is not None else None,
        "latitude": row[17],
        "longitude": row[18],
        "depth": row[19],
        "href": f"{API}/units/{sor_id}",
    }


@dataclass
class Context:
    """The publication provider and settings every endpoint uses."""

    provider: CurrentPublication
    settings: LookupSettings

    def model(self) -> ReadModel:
        """The read model this request reads (pinned for the request)."""
        return self.provider()

    def limit(self, params: dict[str, str], *, default: int, maximum: int) -> int:
        """The ``limit`` parameter (1 to ``maximum``)."""
        value = params.get("limit")
        return default if value is None else parse_int("limit", value, minimum=1, maximum=maximum)

    def cursor_model(self, params: dict[str, str]) -> tuple[ReadModel, Cursor | None]:
        """The model to page on and the decoded ``cursor`` (``None`` on the first page).

        A cursor made on an older publication keeps paging that publication while the store
        keeps it, so a walk never drops or repeats a row; once it is gone the answer is 410.
        """
        value = params.get("cursor")
        if value is None:
            return self.model(), None
        cursor = decode_cursor(value, query_fingerprint(params))
        model = self.provider.for_number(cursor.publication)
        if model is None:
            current = self.model().number
            raise ApiError(
                "cursor-expired",
                f"the cursor belongs to publication {cursor.publication}, which is no longer "
                f"kept (the current publication is {current}); start again from the first page",
                publication=cursor.publication,
                current_publication=current,
            )
        return model, cursor


def next_url(path: str, params: dict[str, str], cursor: str) -> str:
    """The URL of the next page: the same query with ``cursor`` replaced."""
    query = {k: v for k, v in params.items() if k != "cursor"}
    query["cursor"] = cursor
    return path + "?" + urlencode(query)


def page_document(
    model: ReadModel,
    *,
    total: int,
    limit: int,
    items: list[dict[str, Any]],
    next_link: str | None,
    **extra: Any,
) -> dict[str, Any]:
    """The envelope of one page of a list."""
    return {
        "publication": model.number,
        **extra,
        "total": total,
        "count": len(items),
        "limit": limit,
        "items": items,
        "next": next_link,
    }
