"""The read model of a publication: one self-contained SQLite file, opened read-only by readers.

This module is the contract between the publisher (which writes the file) and the lookup
service (which only reads it); it imports nothing but the standard library, so the lookup
service can use it without touching the register.

Layout of a publication store (``$SOR_HOME/publications`` by default)::

    publications/
      current -> 000042          symlink, switched atomically (rename of a new link)
      000041/ 000042/            one directory per publication, never changed once complete
        readmodel.sqlite         this schema
        manifest.json            number, times, counts, files with size and SHA-256
        sortree.xml              SorTree XML 1.0.0
        sor-csv.zip              the SOR2-style CSV set
        fhir-organization.ndjson, fhir-location.ndjson, fhir-endpoint.ndjson
        units.json               JSON lines: one unit document per line
      .building-000043-<pid>/    a publication being built (removed or ignored on failure)

Conventions inside the read model:

* SOR-IDs are SQLite INTEGERs; GLNs and codes are TEXT; dates are ISO ``YYYY-MM-DD`` TEXT;
  timestamps are ISO 8601 TEXT with offset.
* ``doc`` columns hold the exact UTF-8 JSON bytes served (the unit document of
  :func:`opensor.domain.documents.unit_document` for units as of the publication date), so a
  read by id is one primary-key lookup and a write of stored bytes.
* ``record`` columns hold :func:`opensor.domain.records.record_to_dict` JSON of one version's
  own attributes, from which the lookup service resolves any other ``as_of`` date.
* ``etag`` columns hold a short content hash of the served bytes.
* Documents of units marked as personal data are stored in their public form, without the
  personal fields (:mod:`opensor.domain.personal`); the whole document is in
  ``unit_personal``, for the protected channel.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "CURRENT_LINK",
    "DERIVED_SQL",
    "FACET_COLUMNS",
    "FILTER_TOKENS_META",
    "FILTER_TOKEN_PREFIXES",
    "MANIFEST_NAME",
    "PRIVATE_FILES",
    "READ_MODEL_NAME",
    "SCHEMA_SQL",
    "SCHEMA_VERSION",
    "filter_tokens",
    "fold_danish",
]

SCHEMA_VERSION = 1
READ_MODEL_NAME = "readmodel.sqlite"
PRIVATE_FILES = frozenset({READ_MODEL_NAME})
"""Files of a publication that are listed in its manifest but never served for download: the
read model holds the full documents and version records of personal-data units (it is the
lookup service's own store, read from the shared publication store, not over HTTP)."""
MANIFEST_NAME = "manifest.json"
CURRENT_LINK = "current"

SCHEMA_SQL = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,   -- schema_version, number, as_of, created_at, previous_number,
    value TEXT NOT NULL       -- feed_first_seq, feed_last_seq, register_change_set
);

-- Every unit the register knows, as of the publication date. A unit not valid on that date
-- (closed, or not yet started) is here too, with active = 0 and its nearest version.
CREATE TABLE unit (
    sor_id            INTEGER PRIMARY KEY,
    level             TEXT NOT NULL,          -- IE | SI | OE
    parent_sor_id     INTEGER,
    name              TEXT NOT NULL,
    name_folded       TEXT NOT NULL,          -- fold_danish(name)
    active            INTEGER NOT NULL,       -- 1 when valid on the publication date
    first_from        TEXT NOT NULL,
    valid_from        TEXT NOT NULL,
    valid_to          TEXT,
    depth             INTEGER NOT NULL,       -- 0 for an owner
    path              TEXT NOT NULL,          -- '/owner/…/parent/self/' SOR-IDs, for subtrees
    type_code         TEXT,                   -- owner, institution or unit type
    shak              TEXT,
    provider_number   TEXT,
    pharmacy_id       TEXT,
    cvr               TEXT,
    postcode          TEXT,                   -- effective postal address
    municipality_code TEXT,                   -- from the postcode, when known
    region_code       TEXT,
    country           TEXT,
    latitude          REAL,                   -- effective visiting (else postal) address
    longitude         REAL,
    gln               TEXT,                   -- effective location number
    gln_source        INTEGER,                -- SOR-ID the effective location number belongs to
    personal_data     INTEGER NOT NULL,
    last_updated      TEXT NOT NULL,          -- when the register last recorded a change to it
    version_count     INTEGER NOT NULL,
    etag              TEXT NOT NULL,
    doc               BLOB NOT NULL,          -- unit document JSON as served
    fhir_organization BLOB NOT NULL,          -- FHIR R4 Organization JSON
    fhir_location     BLOB                    -- FHIR R4 Location JSON (SI and OE only)
);
CREATE INDEX unit_parent ON unit (parent_sor_id, name);
CREATE INDEX unit_path ON unit (path);
CREATE INDEX unit_shak ON unit (shak) WHERE shak IS NOT NULL;
CREATE INDEX unit_provider ON unit (provider_number) WHERE provider_number IS NOT NULL;
CREATE INDEX unit_cvr ON unit (cvr) WHERE cvr IS NOT NULL;
CREATE INDEX unit_gln ON unit (gln) WHERE gln IS NOT NULL;
CREATE INDEX unit_postcode ON unit (postcode);
CREATE INDEX unit_municipality ON unit (municipality_code);
CREATE INDEX unit_region ON unit (region_code);
CREATE INDEX unit_geo ON unit (latitude, longitude) WHERE latitude IS NOT NULL;
CREATE INDEX unit_name ON unit (name_folded);
CREATE INDEX unit_last_updated ON unit (last_updated);

-- The narrow columns of `unit` (same values, one row per unit), for lists and searches that
-- touch many units: a `unit` row holds three documents (about one row per page), a summary row
-- about 150 bytes. Added in schema version 1 without a version change: readers that do not know
-- it ignore it (the lookup service uses it when present).
CREATE TABLE unit_summary (
    sor_id            INTEGER PRIMARY KEY,
    level             TEXT NOT NULL,
    parent_sor_id     INTEGER,
    name              TEXT NOT NULL,
    name_folded       TEXT NOT NULL,
    active            INTEGER NOT NULL,
    valid_from        TEXT NOT NULL,
    valid_to          TEXT,
    depth             INTEGER NOT NULL,
    path              TEXT NOT NULL,
    type_code         TEXT,
    shak              TEXT,
    provider_number   TEXT,
    cvr               TEXT,
    postcode          TEXT,
    municipality_code TEXT,
    region_code       TEXT,
    country           TEXT,
    latitude          REAL,
    longitude         REAL,
    gln               TEXT,
    gln_source        INTEGER
);
CREATE INDEX unit_summary_parent ON unit_summary (parent_sor_id, name);
CREATE INDEX unit_summary_path ON unit_summary (path);
CREATE INDEX unit_summary_shak ON unit_summary (shak) WHERE shak IS NOT NULL;
CREATE INDEX unit_summary_provider ON unit_summary (provider_number)
    WHERE provider_number IS NOT NULL;
CREATE INDEX unit_summary_cvr ON unit_summary (cvr) WHERE cvr IS NOT NULL;
CREATE INDEX unit_summary_gln ON unit_summary (gln) WHERE gln IS NOT NULL;
CREATE INDEX unit_summary_postcode ON unit_summary (postcode, name_folded, sor_id);
CREATE INDEX unit_summary_municipality ON unit_summary (municipality_code, active, name_folded);
CREATE INDEX unit_summary_region ON unit_summary (region_code, level);
-- Searches by filters only, in name order: the page is a range of this index, the count
-- covered by it.
CREATE INDEX unit_summary_filter ON unit_summary (level, region_code, active, name_folded, sor_id);
CREATE INDEX unit_summary_geo ON unit_summary (latitude, longitude) WHERE latitude IS NOT NULL;
CREATE INDEX unit_summary_name ON unit_summary (name_folded);

-- The whole document of each unit marked as personal data. `unit.doc`, the FHIR columns, the
-- change feed and the export files hold the public form, without the personal fields
-- (opensor.domain.personal): this table is read only for a caller with the scope
-- `lookup:personal-data` (or when the register has no protected channel).
CREATE TABLE unit_personal (
    sor_id INTEGER PRIMARY KEY,
    etag   TEXT NOT NULL,
    doc    BLOB NOT NULL              -- unit document JSON with the personal fields
);

CREATE TABLE unit_speciality (
    sor_id INTEGER NOT NULL,
    code   TEXT NOT NULL,
    type   TEXT NOT NULL,
    PRIMARY KEY (sor_id, code)
) WITHOUT ROWID;
CREATE INDEX unit_speciality_code ON unit_speciality (code);

-- The full valid-time history: every current version of every unit, own attributes only.
CREATE TABLE unit_version (
    sor_id        INTEGER NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT,
    parent_sor_id INTEGER,
    recorded_at   TEXT NOT NULL,
    record        TEXT NOT NULL,              -- record_to_dict JSON
    PRIMARY KEY (sor_id, valid_from)
) WITHOUT ROWID;

CREATE TABLE location_number (
    gln           TEXT PRIMARY KEY,
    owner_sor_id  INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    last_updated  TEXT NOT NULL,
    etag          TEXT NOT NULL,
    doc           BLOB NOT NULL,              -- location number JSON as served
    fhir_endpoint BLOB NOT NULL               -- FHIR R4 Endpoint JSON
);
CREATE INDEX location_number_owner ON location_number (owner_sor_id);

CREATE TABLE location_number_version (
    gln          TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    owner_sor_id INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    record       TEXT NOT NULL,
    PRIMARY KEY (gln, valid_from)
) WITHOUT ROWID;
CREATE INDEX location_number_version_owner ON location_number_version (owner_sor_id);

CREATE TABLE location_message_type (
    gln          TEXT NOT NULL,
    message_type TEXT NOT NULL,
    PRIMARY KEY (gln, message_type)
) WITHOUT ROWID;
CREATE INDEX location_message_type_type ON location_message_type (message_type);

-- How many units share each combination of the filterable codes (derived from unit_summary
-- when the read model is finished): the exact total of a search by these filters alone is a
-- sum over this table's few thousand rows instead of a count over the units.
CREATE TABLE unit_facet (
    level             TEXT NOT NULL,
    region_code       TEXT,
    municipality_code TEXT,
    postcode          TEXT,
    country           TEXT,
    active            INTEGER NOT NULL,
    type_code         TEXT,
    n                 INTEGER NOT NULL
);
CREATE INDEX unit_facet_filter ON unit_facet (level, region_code, active);

-- Name search: folded words (prefix queries) and trigrams (fuzzy candidates).
CREATE VIRTUAL TABLE unit_fts USING fts5(
    name_folded, codes, content='', tokenize='unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE unit_trigram USING fts5(name_folded, content='', tokenize='trigram');

-- The change feed, complete since the first publication (copied forward, never expires).
CREATE TABLE change_event (
    seq            INTEGER PRIMARY KEY,       -- gap-free, from 1
    publication    INTEGER NOT NULL,
    entity         TEXT NOT NULL,             -- unit | location_number
    id             TEXT NOT NULL,             -- SOR-ID or GLN
    kind           TEXT NOT NULL,             -- created|updated|moved|closed|reopened|replaced
    effective_date TEXT NOT NULL,
    changed_fields TEXT NOT NULL,             -- JSON list of field names
    recorded_at    TEXT NOT NULL,
    doc            BLOB                       -- the entity's document after the change
);
CREATE INDEX change_event_entity ON change_event (entity, id, seq);

CREATE TABLE file (
    name       TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL
);
"""
"""The DDL of a read model, executed once on an empty file by the publisher."""

_FOLD = str.maketrans(
    {
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "é": "e",
        "è": "e",
        "ê": "e",
        "á": "a",
        "à": "a",
        "ó": "o",
        "ò": "o",
        "í": "i",
        "ú": "u",
        "ý": "y",
        "ð": "d",
        "þ": "th",
    }
)


FILTER_TOKENS_META = "search_filter_tokens"
"""The ``meta`` key saying that ``unit_fts.codes`` holds the filter tokens (value ``1``)."""


FILTER_TOKEN_PREFIXES = {"municipality_code": "m", "region_code": "r", "postcode": "p"}
"""The ``unit_summary`` columns whose codes ``unit_fts.codes`` holds as tokens, by prefix."""


def filter_tokens(
    municipality_code: str | None, region_code: str | None, postcode: str | None
) -> list[str]:
    """The tokens a unit's filterable codes add to ``unit_fts.codes``.

    ``m0101`` (municipality), ``r1084`` (region) and ``p2100`` (postcode): a free-text search
    filtered by these codes asks the full-text index for both at once, instead of checking
    every unit whose name matches.
    """
    codes = {
        "municipality_code": municipality_code,
        "region_code": region_code,
        "postcode": postcode,
    }
    return [
        f"{prefix}{codes[column]}"
        for column, prefix in FILTER_TOKEN_PREFIXES.items()
        if codes[column]
    ]


DERIVED_SQL = (
    "INSERT INTO unit_facet (level, region_code, municipality_code, postcode, country, active,"
    " type_code, n) SELECT level, region_code, municipality_code, postcode, country, active,"
    " type_code, count(*) FROM unit_summary GROUP BY level, region_code, municipality_code,"
    " postcode, country, active, type_code",
)
"""Statements filling the derived tables once every row is in (see ``unit_facet``)."""

FACET_COLUMNS = frozenset(
    {"level", "region_code", "municipality_code", "postcode", "country", "active", "type_code"}
)
"""The ``unit_summary`` columns ``unit_facet`` counts by."""


def fold_danish(text: str) -> str:
    """Fold a name for search: lower case, æ→ae, ø→oe, å→aa, accents dropped, ``aa`` kept.

    "Køge" and "Koege" fold alike, as do "Århus" and "Aarhus".
    """
    mapped = text.casefold().translate(_FOLD)
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", mapped) if not unicodedata.combining(c)
    )
    return " ".join(stripped.split())
