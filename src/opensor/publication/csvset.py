"""The SOR2-style CSV set (``sor-csv.zip``), written from a publication's read model.

Seven ``;``-separated UTF-8 files with a header row, modelled on the national SOR's CSV
downloads (DESIGN §3): units, location numbers, the location number ↔ message type map, the
SHAK ↔ SOR map, the code lists, replaced units and positions. Every column is documented in
``docs/publication.md`` (a test checks that). Values are written as they are stored: dates as
``YYYY-MM-DD``, flags as ``1``/``0``, empty for none. Effective (inherited) values come with
the SOR-ID of the unit they come from, as the read model's documents give them.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import orjson

from opensor.domain.codelists import CodeLists
from opensor.domain.inheritance import CONTACT_FIELDS

__all__ = ["CSV_COLUMNS", "write_csv_set"]

_ADDRESS_PARTS = (
    ("Street", "street_name"),
    ("Building", "building"),
    ("Floor", "floor"),
    ("Suite", "suite"),
    ("Postcode", "postcode"),
    ("District", "district"),
    ("Country", "country"),
)
_ADDRESSES = (
    ("Postal", "postal_address"),
    ("Visiting", "visiting_address"),
    ("Activity", "activity_address"),
)
_TYPE_FIELDS = {
    "IE": ("owner_type", "owner_type"),
    "SI": ("institution_type", "institution_type"),
    "OE": ("unit_type", "unit_type"),
}

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "SorEntity.csv": (
        "SorId",
        "ParentSorId",
        "Level",
        "EntityName",
        "Active",
        "FirstFromDate",
        "FromDate",
        "ToDate",
        "UpdatedAt",
        "EntityTypeCode",
        "EntityTypeName",
        "ShakCode",
        "ProviderNumber",
        "PharmacyId",
        "LocalCode",
        "Cvr",
        "PersonalData",
        "GeographicalParentRelation",
        "GeographicalParentSorId",
        "AmbulantActivity",
        "PatientsAdmitted",
        "ReportingLevel",
        "Specialities",
        "LocationNumberInherited",
        *(
            f"{prefix}{part}"
            for prefix, _ in _ADDRESSES
            for part in (*(name for name, _ in _ADDRESS_PARTS), "SourceSorId")
        ),
        *(
            f"{name.capitalize()}{suffix}"
            for name in CONTACT_FIELDS
            for suffix in ("", "SourceSorId")
        ),
        "EanLocationCode",
        "EanLocationCodeSourceSorId",
        "EanInheritance",
        "MunicipalityCode",
        "RegionCode",
        "VersionCount",
    ),
    "LocationsCode.csv": (
        "EanLocationCode",
        "OwnerSorId",
        "Active",
        "FromDate",
        "ToDate",
        "OnlyInternal",
        "NonActive",
        "SystemTypeCode",
        "SystemTypeName",
        "SystemSupplierCode",
        "SystemSupplierName",
        "CommunicationSupplierCode",
        "CommunicationSupplierName",
        "RegionCode",
        "EdiAdministratorCode",
        "EdiAdministratorName",
        "Note",
    ),
    "LocationsCodeEDITypeMap.csv": ("EanLocationCode", "MessageTypeCode", "MessageTypeName"),
    "ShakSorMap.csv": ("ShakCode", "SorId", "EntityName", "Level", "Active", "FromDate", "ToDate"),
    "SorClassifications.csv": ("Classification", "Code", "NameDa", "NameEn", "InUse"),
    "ReplacedSorEntity.csv": (
        "ReplacedSorId",
        "ReplacedBySorId",
        "ReplacedEntityName",
        "ReplacedToDate",
    ),
    "Geolocation.csv": ("SorId", "Latitude", "Longitude", "AddressKind", "SourceSorId"),
}
"""The files of the CSV set and their columns, in order."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _writer(handle: io.TextIOBase, name: str) -> Any:
    writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS[name])
    return writer


def _unit_row(
    doc: dict[str, Any], codes: CodeLists, municipality: str | None, region: str | None
) -> list[str]:
    unit = doc["unit"]
    effective = doc["effective"]
    list_name, field = _TYPE_FIELDS[doc["level"]]
    type_code = unit.get(field)
    validity = unit["validity"]
    row: list[Any] = [
        doc["sor_id"],
        unit.get("parent_sor_id"),
        doc["level"],
        doc["name"],
        None,  # Active, filled by the caller
        validity["first_from"],
        validity["valid_from"],
        validity.get("valid_to"),
        validity.get("updated_at"),
        type_code,
        codes.name_of(list_name, type_code) if type_code else None,
        unit.get("shak"),
        unit.get("provider_number"),
        unit.get("pharmacy_id"),
        unit.get("local_code"),
        unit.get("cvr"),
        unit.get("personal_data"),
        unit.get("geographical_parent_relation"),
        unit.get("geographical_parent_sor_id"),
        unit.get("ambulant_activity"),
        unit.get("patients_admitted"),
        unit.get("reporting_level"),
        "|".join(f"{s['code']}:{s['type']}" for s in unit.get("specialities") or ()),
        unit.get("location_number_inherited"),
    ]
    for _, key in _ADDRESSES:
        sourced = effective[key]
        value = sourced["value"] or {}
        row.extend(value.get(part) for _, part in _ADDRESS_PARTS)
        row.append(sourced["source_sor_id"])
    for name in CONTACT_FIELDS:
        sourced = effective["contact"][name]
        row.extend((sourced["value"], sourced["source_sor_id"]))
    location = effective["location_number"]
    value = location["value"]
    row.append(value["gln"] if value else None)
    row.append(location["source_sor_id"])
    row.append(("nedarvet" if location["inherited"] else "egen") if value else "ingen")
    row.extend((municipality, region, doc["versions"]))
    return [_text(v) for v in row]


def write_csv_set(connection: sqlite3.Connection, path: Path, *, codes: CodeLists) -> None:
    """Write ``sor-csv.zip`` from the read model (units, location numbers, maps, code lists)."""
    work = path.with_name(path.name + ".parts")
    work.mkdir()
    files = {name: (work / name).open("w", encoding="utf-8", newline="") for name in CSV_COLUMNS}
    try:
        writers = {name: _writer(handle, name) for name, handle in files.items()}
        _write_units(connection, writers, codes)
        _write_location_numbers(connection, writers, codes)
        for code_list in codes.lists():
            for entry in code_list:
                writers["SorClassifications.csv"].writerow(
                    [code_list.name, entry.code, entry.name_da, entry.name_en, _text(entry.active)]
                )
    finally:
        for handle in files.values():
            handle.close()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in CSV_COLUMNS:
            archive.write(work / name, arcname=name)
            (work / name).unlink()
    work.rmdir()
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _write_units(connection: sqlite3.Connection, writers: dict[str, Any], codes: CodeLists) -> None:
    query = (
        "SELECT active, doc, municipality_code, region_code, latitude IS NOT NULL"
        " FROM unit ORDER BY sor_id"
    )
    entities = writers["SorEntity.csv"]
    shak_map = writers["ShakSorMap.csv"]
    replaced = writers["ReplacedSorEntity.csv"]
    geo = writers["Geolocation.csv"]
    pairs: set[tuple[str, str]] = set()
    for active, doc_bytes, municipality, region, positioned in connection.execute(query):
        doc = orjson.loads(doc_bytes)
        row = _unit_row(doc, codes, municipality, region)
        row[4] = _text(bool(active))
        entities.writerow(row)
        unit = doc["unit"]
        validity = unit["validity"]
        if unit.get("shak"):
            shak_map.writerow(
                [
                    unit["shak"],
                    doc["sor_id"],
                    doc["name"],
                    doc["level"],
                    _text(bool(active)),
                    validity["valid_from"],
                    _text(validity.get("valid_to")),
                ]
            )
        for successor in unit.get("replaced_by") or ():
            pairs.add((doc["sor_id"], str(successor)))
        for predecessor in unit.get("replaces") or ():
            pairs.add((str(predecessor), doc["sor_id"]))
        if positioned:
            effective = doc["effective"]
            for kind, key in (("visiting", "visiting_address"), ("postal", "postal_address")):
                value = effective[key]["value"]
                if (
                    value
                    and value.get("latitude") is not None
                    and value.get("longitude") is not None
                ):
                    geo.writerow(
                        [
                            doc["sor_id"],
                            _text(value["latitude"]),
                            _text(value["longitude"]),
                            kind,
                            effective[key]["source_sor_id"],
                        ]
                    )
                    break
    for old, new in sorted(pairs, key=lambda p: (int(p[0]), int(p[1]))):
        found = connection.execute(
            "SELECT name, valid_to FROM unit WHERE sor_id = ?", (int(old),)
        ).fetchone()
        name, valid_to = found if found is not None else ("", None)
        replaced.writerow([old, new, name, _text(valid_to)])


def _write_location_numbers(
    connection: sqlite3.Connection, writers: dict[str, Any], codes: CodeLists
) -> None:
    numbers = writers["LocationsCode.csv"]
    for active, doc_bytes in connection.execute(
        "SELECT active, doc FROM location_number ORDER BY gln"
    ):
        doc = orjson.loads(doc_bytes)
        own = doc["location_number"]
        numbers.writerow(
            [
                _text(v)
                for v in (
                    doc["gln"],
                    doc["owner_sor_id"],
                    bool(active),
                    doc["valid_from"],
                    doc["valid_to"],
                    own["only_internal"],
                    own["non_active"],
                    own["system_type"] or None,
                    codes.name_of("system_type", own["system_type"])
                    if own["system_type"]
                    else None,
                    own["system_supplier"] or None,
                    codes.name_of("system_supplier", own["system_supplier"])
                    if own["system_supplier"]
                    else None,
                    own["communication_supplier"] or None,
                    codes.name_of("communication_supplier", own["communication_supplier"])
                    if own["communication_supplier"]
                    else None,
                    own["region_code"] or None,
                    own["edi_administrator"] or None,
                    codes.name_of("edi_administrator", own["edi_administrator"])
                    if own["edi_administrator"]
                    else None,
                    own.get("note"),
                )
            ]
        )
    types = writers["LocationsCodeEDITypeMap.csv"]
    for gln, message_type in connection.execute(
        "SELECT gln, message_type FROM location_message_type ORDER BY gln, message_type"
    ):
        types.writerow([gln, message_type, _text(codes.name_of("message_type", message_type))])
