"""The narrow ``unit_summary`` table: the same values as ``unit``, for lists and searches."""

from __future__ import annotations

from opensor.publication.schema import SCHEMA_SQL
from tests.publication.conftest import query

SUMMARY_COLUMNS = (
    "sor_id, level, parent_sor_id, name, name_folded, active, valid_from, valid_to, depth, "
    "path, type_code, shak, provider_number, cvr, postcode, municipality_code, region_code, "
    "country, latitude, longitude, gln, gln_source"
)


def test_every_unit_has_a_summary_row_with_the_values_of_its_unit_row(published):
    units = query(published, f"SELECT {SUMMARY_COLUMNS} FROM unit ORDER BY sor_id")
    summaries = query(published, f"SELECT {SUMMARY_COLUMNS} FROM unit_summary ORDER BY sor_id")
    assert len(units) > 500
    assert summaries == units


def test_the_summary_table_has_the_columns_the_lookup_service_looks_for(published):
    from opensor.lookup.readmodel import SUMMARY_TABLE_COLUMNS

    columns = {row[1] for row in query(published, "PRAGMA table_info(unit_summary)")}
    assert columns == SUMMARY_TABLE_COLUMNS
    assert "CREATE TABLE unit_summary" in SCHEMA_SQL


def test_the_summary_table_is_indexed_like_the_unit_table(published):
    indexes = {row[1] for row in query(published, "PRAGMA index_list(unit_summary)")}
    assert {"unit_summary_name", "unit_summary_parent", "unit_summary_path"} <= indexes
