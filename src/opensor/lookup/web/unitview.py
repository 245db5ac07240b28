"""What the unit page shows, read from the publication: the document plus its surroundings.

The page is built around the same unit document the REST API serves (its ``.json`` twin), so
every value and its provenance (own, or inherited from which unit) comes from one place. Around
it the page adds what a reader walks: the ancestors (from the document's ``ancestry``), the
children (from the tree index), the version history (older names) and the units it replaces or
is replaced by, each named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from opensor.domain.personal import public_unit_document
from opensor.lookup.asof import NotValidOn, unit_document_on
from opensor.lookup.problems import ApiError
from opensor.lookup.readmodel import ReadModel
from opensor.lookup.web.choices import Names

__all__ = ["CHILDREN_SHOWN", "UnitView", "unit_view"]

CHILDREN_SHOWN = 200
"""At most this many children are listed on a unit page (the total is always given)."""

_ADDRESSES = ("postal_address", "visiting_address", "activity_address")
_CONTACTS = ("phone", "email", "website", "fax")


@dataclass
class UnitView:
    """The unit page's content (see the module docstring)."""

    doc: dict[str, Any]
    summary: dict[str, Any]
    path: list[dict[str, Any]]
    children: list[dict[str, Any]]
    children_total: int
    history: list[dict[str, Any]]
    replaces: list[dict[str, Any]]
    replaced_by: list[dict[str, Any]]
    codes: list[tuple[str, str]]
    addresses: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    location: dict[str, Any] | None
    specialities: list[dict[str, str]] = field(default_factory=list)
    type_name: str = ""


def _named(model: ReadModel, ids: list[str]) -> dict[str, dict[str, Any]]:
    """SOR-ID → ``{sor_id, name, level, active}`` for the units in ``ids`` that exist."""
    wanted = [int(i) for i in ids if i and str(i).isdigit()]
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = model.connection().execute(
        f"SELECT sor_id, name, level, active FROM {model.list_table} WHERE sor_id IN ({marks})",
        wanted,
    )
    return {
        str(r[0]): {"sor_id": str(r[0]), "name": r[1], "level": r[2], "active": bool(r[3])}
        for r in rows
    }


def _source(value: dict[str, Any], sor_id: str, known: dict[str, dict[str, Any]]) -> Any:
    """The unit an effective value comes from, when inherited (else ``None``)."""
    source = value.get("source_sor_id")
    if not value.get("inherited") or not source or source == sor_id:
        return None
    return known.get(source, {"sor_id": source, "name": source, "level": "", "active": True})


def unit_view(model: ReadModel, sor_id: int, names: Names, as_of: date | None) -> UnitView:
    """The unit page of ``sor_id`` (as of the publication date, or ``as_of``).

    Raises :class:`~opensor.lookup.problems.ApiError` ``not-found`` for an unknown unit or a
    date on which it did not exist.
    """
    connection = model.connection()
    table = model.list_table
    row = connection.execute(
        f"SELECT municipality_code, region_code, active, postcode FROM {table} WHERE sor_id = ?",
        (sor_id,),
    ).fetchone()
    if row is None:
        raise ApiError("not-found", f"no unit has SOR-ID {sor_id}", sor_id=str(sor_id))
    if as_of is None:
        (raw,) = connection.execute("SELECT doc FROM unit WHERE sor_id = ?", (sor_id,)).fetchone()
        doc = json.loads(raw)
    else:
        try:
            doc = public_unit_document(unit_document_on(connection, sor_id, as_of))
        except NotValidOn as error:
            raise ApiError("not-found", str(error), sor_id=str(sor_id)) from None
    summary = {
        "municipality": names.municipality(row[0]),
        "region": names.region(row[1]),
        "active": bool(row[2]) if as_of is None else True,
    }
    unit = doc["unit"]
    effective = doc["effective"]
    me = doc["sor_id"]
    related = [unit.get("parent_sor_id") or "", *unit["replaces"], *unit["replaced_by"]]
    sources = [v.get("source_sor_id") for v in _provenance(effective)]
    known = _named(model, [a["sor_id"] for a in doc["ancestry"]] + related + sources)

    path = [*reversed(doc["ancestry"])]
    (children_total,) = connection.execute(
        f"SELECT count(*) FROM {table} WHERE parent_sor_id = ?", (sor_id,)
    ).fetchone()
    children = [
        {"sor_id": str(r[0]), "name": r[1], "level": r[2], "active": bool(r[3])}
        for r in connection.execute(
            f"SELECT sor_id, name, level, active FROM {table} WHERE parent_sor_id = ? "
            "ORDER BY name, sor_id LIMIT ?",
            (sor_id, CHILDREN_SHOWN),
        )
    ]
    history = [
        {"valid_from": r[0], "valid_to": r[1], "name": r[2]}
        for r in connection.execute(
            "SELECT valid_from, valid_to, json_extract(record, '$.name') FROM unit_version "
            "WHERE sor_id = ? ORDER BY valid_from DESC",
            (sor_id,),
        )
    ]

    codes = [("sor_id", me)]
    for key in ("shak", "provider_number", "pharmacy_id", "cvr"):
        if unit.get(key):
            codes.append((key, str(unit[key])))
    location = None
    number = effective.get("location_number") or {}
    value = number.get("value")
    if value:
        codes.append(("gln", value["gln"]))
        location = {
            "gln": value["gln"],
            "source": _source(number, me, known),
            "message_types": [
                {"code": code, "name": names.code("message_type", code)}
                for code in value.get("message_types", [])
            ],
        }
    addresses = []
    for key in _ADDRESSES:
        entry = effective.get(key) or {}
        if entry.get("value"):
            addresses.append(
                {
                    "key": key,
                    "text": entry["value"].get("text"),
                    "source": _source(entry, me, known),
                }
            )
    contacts = []
    for key in _CONTACTS:
        entry = (effective.get("contact") or {}).get(key) or {}
        if entry.get("value"):
            contacts.append(
                {"key": key, "value": entry["value"], "source": _source(entry, me, known)}
            )
    specialities = [
        {
            "code": s["code"],
            "name": names.code("speciality", s["code"]),
            "type": names.code("speciality_type", s.get("type")),
        }
        for s in unit.get("specialities") or []
    ]
    type_code = unit.get("owner_type") or unit.get("institution_type") or unit.get("unit_type")

    def units(ids: list[str]) -> list[dict[str, Any]]:
        return [known.get(i, {"sor_id": i, "name": i, "level": "", "active": False}) for i in ids]

    return UnitView(
        doc=doc,
        summary=summary,
        path=path,
        children=children,
        children_total=children_total,
        history=history,
        replaces=units(unit["replaces"]),
        replaced_by=units(unit["replaced_by"]),
        codes=codes,
        addresses=addresses,
        contacts=contacts,
        location=location,
        specialities=specialities,
        type_name=names.unit_type(doc["level"], type_code) if type_code else "",
    )


def _provenance(effective: dict[str, Any]) -> list[dict[str, Any]]:
    """Every effective value's provenance record (addresses, contacts, location number)."""
    found = [effective.get(key) or {} for key in (*_ADDRESSES, "location_number")]
    found += [v or {} for v in (effective.get("contact") or {}).values()]
    return found
