"""The export files of a publication agree with its read model and are documented."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

from opensor.domain.sortree import read_sortree
from opensor.publication.csvset import CSV_COLUMNS
from tests.publication.conftest import query

DOCS = Path(__file__).resolve().parents[2] / "docs" / "publication.md"


def csv_files(publication) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(publication.file_path("sor-csv.zip")) as archive:
        assert archive.namelist() == list(CSV_COLUMNS)
        result = {}
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8")
            reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
            assert tuple(reader.fieldnames or ()) == CSV_COLUMNS[name]
            result[name] = list(reader)
        return result


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_units_json_holds_every_unit_document(published):
    docs = {
        sor_id: json.loads(doc) for sor_id, doc in query(published, "SELECT sor_id, doc FROM unit")
    }
    exported = lines(published.file_path("units.json"))
    assert [int(doc["sor_id"]) for doc in exported] == sorted(docs)
    assert all(doc == docs[int(doc["sor_id"])] for doc in exported)


def test_fhir_ndjson_holds_every_resource(published):
    organizations = lines(published.file_path("fhir-organization.ndjson"))
    locations = lines(published.file_path("fhir-location.ndjson"))
    endpoints = lines(published.file_path("fhir-endpoint.ndjson"))
    (units,) = query(published, "SELECT count(*) FROM unit")[0]
    (places,) = query(published, "SELECT count(*) FROM unit WHERE level <> 'IE'")[0]
    (numbers,) = query(published, "SELECT count(*) FROM location_number")[0]
    assert len(organizations) == units and {r["resourceType"] for r in organizations} == {
        "Organization"
    }
    assert len(locations) == places and {r["resourceType"] for r in locations} == {"Location"}
    assert len(endpoints) == numbers and {r["resourceType"] for r in endpoints} == {"Endpoint"}


def test_the_csv_set_has_one_row_per_unit_and_number_and_the_maps(published):
    files = csv_files(published)
    units = {row["SorId"]: row for row in files["SorEntity.csv"]}
    assert len(units) == query(published, "SELECT count(*) FROM unit")[0][0]
    for sor_id, active, doc in query(published, "SELECT sor_id, active, doc FROM unit LIMIT 50"):
        row, data = units[str(sor_id)], json.loads(doc)
        assert row["EntityName"] == data["name"]
        assert row["Active"] == str(active)
        location = data["effective"]["location_number"]
        assert row["EanLocationCode"] == (location["value"]["gln"] if location["value"] else "")
        assert row["PostalSourceSorId"] == (
            data["effective"]["postal_address"]["source_sor_id"] or ""
        )
    numbers = files["LocationsCode.csv"]
    assert len(numbers) == query(published, "SELECT count(*) FROM location_number")[0][0]
    pairs = {
        (r["EanLocationCode"], r["MessageTypeCode"]) for r in files["LocationsCodeEDITypeMap.csv"]
    }
    assert pairs == set(query(published, "SELECT gln, message_type FROM location_message_type"))
    shak = {(r["ShakCode"], r["SorId"]) for r in files["ShakSorMap.csv"]}
    assert shak == {
        (code, str(sor_id))
        for code, sor_id in query(published, "SELECT shak, sor_id FROM unit WHERE shak IS NOT NULL")
    }
    assert {r["Classification"] for r in files["SorClassifications.csv"]} >= {
        "owner_type",
        "message_type",
    }
    positioned = query(published, "SELECT count(*) FROM unit WHERE latitude IS NOT NULL")[0][0]
    assert len(files["Geolocation.csv"]) == positioned


def test_sortree_xml_holds_the_units_valid_on_the_date(published):
    (active,) = query(published, "SELECT count(*) FROM unit WHERE active = 1")[0]
    read = sum(1 for _ in read_sortree(published.file_path("sortree.xml")))
    assert 0 < read <= active


def test_every_csv_column_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for name, columns in CSV_COLUMNS.items():
        assert f"`{name}`" in text, f"{name} is not described in docs/publication.md"
        for column in columns:
            assert re.search(rf"`{column}`", text), f"{name}: column {column} is not documented"
