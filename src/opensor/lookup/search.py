"""``GET /api/v1/units``: free-text and code search with filters and cursor paging.

How ``q`` matches (every word must match, AND):

* a word matches a unit whose folded name (:func:`~opensor.publication.schema.fold_danish`:
  case, æ/ae, ø/oe, å/aa and accents fold alike) has a word starting with it (``unit_fts``);
* a word that looks like a code also matches a unit by that code: SOR-ID, SHAK, ydernummer,
  CVR, postcode, or GLN (the units whose effective location number it is);
* ranking: a unit one of the codes belongs to (tier 0), then names equal to the folded query
  (1), names starting with it (2), other matches (3); within a tier by folded name, then SOR-ID;
* *fuzzy* matching (``unit_trigram`` candidates sharing parts of the words, re-ranked by the
  similarity of the folded query to the best-aligned part of the folded name) is added when
  prefix matching finds fewer than ``fuzzy_when_fewer_than`` units, or always with
  ``fuzzy=true`` (never with ``fuzzy=false``); fuzzy hits follow the prefix hits.

Without ``q`` the order is folded name then SOR-ID, or distance then SOR-ID with ``near``.
Paging is by keyset: the cursor holds the last row's sort key, so each page costs the same and
no row is dropped or repeated; ``total`` is the exact size of the result.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from rapidfuzz import process
from rapidfuzz.fuzz import partial_ratio
from starlette.requests import Request
from starlette.responses import Response

from opensor.lookup.common import SUMMARY_COLUMNS, SUMMARY_WIDTH, Context, next_url, page_document
from opensor.lookup.common import summary as unit_summary
from opensor.lookup.fuzzy import FoldedNames, fuzzy_match_expression
from opensor.lookup.params import (
    encode_cursor,
    parse_bool,
    parse_code,
    parse_code_list,
    parse_near,
    parse_postcodes,
    query_fingerprint,
    query_params,
)
from opensor.lookup.problems import ApiError, bad_parameter
from opensor.lookup.readmodel import ReadModel
from opensor.lookup.responses import (
    cache_control,
    dump_json,
    etag_for,
    json_response,
    not_modified,
)
from opensor.lookup.resultcache import ResultCache
from opensor.lookup.settings import LookupSettings
from opensor.publication.schema import FACET_COLUMNS, FILTER_TOKEN_PREFIXES, fold_danish

__all__ = [
    "SEARCH_PARAMETERS",
    "SearchEndpoint",
    "SearchQuery",
    "SearchResult",
    "query_words",
    "search_units",
]

SEARCH_PARAMETERS = frozenset(
    {
        "q",
        "fuzzy",
        "level",
        "type",
        "speciality",
        "shak",
        "ean",
        "ydernummer",
        "cvr",
        "postcode",
        "municipality",
        "region",
        "country",
        "active",
        "near",
        "radius_km",
        "limit",
        "cursor",
    }
)

_WORD = re.compile(r"[^\W_]+")
_LEVEL = re.compile(r"IE|SI|OE")
_DIGITS = re.compile(r"[0-9]{1,18}")
_MUNICIPALITY = re.compile(r"[0-9]{4}")
_REGION = re.compile(r"10[0-9]{2}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_SHAK_LIKE = re.compile(r"[0-9][0-9a-z]{3}|[0-9][0-9a-z]{5,6}")
_MAX_WORDS = 8
_MAX_Q = 200

_MATCH_NAMES = ("code", "exact", "prefix", "words", "related")

# Relative costs of testing a unit met walking the name index against the filters and of
# reading a unit through the filters' index (measured: about 2 µs and 0.2 µs at 500,000
# units), for choosing between the two (see _first_page_by_name).
_NAME_ROW_COST = 10
_FILTER_ROW_COST = 1


def query_words(text: str) -> list[str]:
    """The folded words of a query, split the way ``unit_fts`` splits names."""
    return _WORD.findall(fold_danish(text))


def _glob_escape(word: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in word)


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _code_terms(word: str) -> list[tuple[str, object]]:
    """The (column condition, value) pairs a code-like word matches."""
    terms: list[tuple[str, object]] = []
    if word.isdigit():
        if len(word) <= 18 and word[0] != "0":
            terms.append(("u.sor_id = ?", int(word)))
        if len(word) in (4, 6, 7):
            terms.append(("u.shak = ?", word))
        if len(word) == 6:
            terms.append(("u.provider_number = ?", word))
        if len(word) == 8:
            terms.append(("u.cvr = ?", word))
        if len(word) in (3, 4):
            terms.append(("u.postcode = ?", word))
        if len(word) == 13:
            terms.append(("u.gln = ?", word))
    elif _SHAK_LIKE.fullmatch(word):
        terms.append(("u.shak = ?", word.upper()))
    return terms


class SearchQuery:
    """One search request, parsed: SQL conditions, ranking and the sort order.

    ``params`` are the search parameters of :data:`SEARCH_PARAMETERS` (the REST API takes
    only those); ``message_type`` (comma-separated URNs: units whose effective location
    number accepts one of them) is an extra filter the public web pages use.
    """

    def __init__(self, params: dict[str, str]) -> None:
        self.where: list[str] = []
        self.args: list[Any] = []
        self.q = params.get("q")
        self.words: list[str] = []
        self.folded = ""
        self.code_words: list[str] = []
        self.near: tuple[float, float, float] | None = None
        self._facet_clauses: set[str] = set()
        self.token_filters: list[list[str]] = []
        """Filters the full-text index can apply too: alternatives of ``unit_fts.codes`` tokens."""
        self._token_clauses: set[str] = set()
        self._filters(params)
        if self.q is not None:
            self._text(self.q)

    def _in(self, column: str, values: list[Any]) -> None:
        clause = f"{column} IN ({','.join('?' * len(values))})"
        self.where.append(clause)
        self.args += values
        name = column.removeprefix("u.")
        if name in FACET_COLUMNS:
            self._facet_clauses.add(clause)
        if (prefix := FILTER_TOKEN_PREFIXES.get(name)) is not None:
            self.token_filters.append([f"{prefix}{code}" for code in values])
            self._token_clauses.add(clause)

    @property
    def token_only(self) -> bool:
        """Whether every condition is one the full-text index applies too (filter tokens)."""
        return all(clause in self._token_clauses for clause in self.where)

    @property
    def facet_only(self) -> bool:
        """Whether every condition is on a column ``unit_facet`` counts by (a cheap total)."""
        return all(clause in self._facet_clauses for clause in self.where)

    def _filters(self, params: dict[str, str]) -> None:
        get = params.get
        if (value := get("level")) is not None:
            levels = parse_code_list(
                "level", value, pattern=_LEVEL, allowed="IE, SI or OE", normalise=str.upper
            )
            self._in("u.level", levels)
        if (value := get("type")) is not None:
            codes = parse_code_list("type", value, pattern=_DIGITS, allowed="SNOMED CT codes")
            self._in("u.type_code", codes)
        if (value := get("speciality")) is not None:
            codes = parse_code_list("speciality", value, pattern=_DIGITS, allowed="SNOMED CT codes")
            marks = ",".join("?" * len(codes))
            self.where.append(
                "EXISTS (SELECT 1 FROM unit_speciality s WHERE s.sor_id = u.sor_id "
                f"AND s.code IN ({marks}))"
            )
            self.args += codes
        for name, column in (
            ("shak", "u.shak"),
            ("ean", "u.gln"),
            ("ydernummer", "u.provider_number"),
            ("cvr", "u.cvr"),
        ):
            if (value := get(name)) is not None:
                self._in(column, [parse_code(name, item) for item in value.split(",")])
        if (value := get("postcode")) is not None:
            self._in("u.postcode", parse_postcodes("postcode", value))
        if (value := get("municipality")) is not None:
            codes = parse_code_list(
                "municipality",
                value,
                pattern=_MUNICIPALITY,
                allowed="4-digit municipality codes, e.g. 0101",
                normalise=lambda v: v.zfill(4) if v.isdigit() and len(v) < 4 else v,
            )
            self._in("u.municipality_code", codes)
        if (value := get("region")) is not None:
            codes = parse_code_list(
                "region", value, pattern=_REGION, allowed="region codes 1081-1085"
            )
            self._in("u.region_code", codes)
        if (value := get("country")) is not None:
            codes = parse_code_list(
                "country",
                value,
                pattern=_COUNTRY,
                allowed="ISO 3166 alpha-2 codes: DK, GL, FO",
                normalise=str.upper,
            )
            self._in("u.country", codes)
        if (value := get("message_type")) is not None:
            types = [item.strip() for item in value.split(",") if item.strip()]
            if not types or any(len(item) > 200 for item in types):
                raise bad_parameter("message_type", value, "is not a list of message types", "URNs")
            marks = ",".join("?" * len(types))
            self.where.append(
                "EXISTS (SELECT 1 FROM location_message_type m WHERE m.gln = u.gln "
                f"AND m.message_type IN ({marks}))"
            )
            self.args += types
        if (value := get("active")) is not None:
            self.where.append("u.active = ?")
            self._facet_clauses.add("u.active = ?")
            self.args.append(int(parse_bool("active", value)))
        if (value := get("near")) is not None:
            lat, lon, km = parse_near(value, get("radius_km"))
            self.near = (lat, lon, km)
            dlat = km / 111.32
            dlon = km / (111.32 * max(math.cos(math.radians(lat)), 0.01))
            self.where.append(
                "u.latitude BETWEEN ? AND ? AND u.longitude BETWEEN ? AND ? "
                "AND sor_distance_km(u.latitude, u.longitude, ?, ?) <= ?"
            )
            self.args += [lat - dlat, lat + dlat, lon - dlon, lon + dlon, lat, lon, km]
        elif get("radius_km") is not None:
            raise bad_parameter(
                "radius_km", get("radius_km"), "is given without near", "use it with near=lat,lon"
            )

    def _text(self, q: str) -> None:
        if len(q) > _MAX_Q:
            raise bad_parameter(
                "q", q[:40] + "…", f"is longer than {_MAX_Q} characters", "a shorter text"
            )
        self.words = query_words(q)[:_MAX_WORDS]
        self.folded = " ".join(self.words)
        if not self.words:
            raise bad_parameter("q", q, "has no letters or digits", "words or codes to look for")
        self.code_words = [w for w in self.words if _code_terms(w)]

    def distance(self) -> str:
        """The SQL distance expression (km) when ``near`` is given."""
        return "sor_distance_km(u.latitude, u.longitude, ?, ?)"

    def candidates(self, table: str, *, tokens: bool = False) -> tuple[str, list[Any]]:
        """SQL selecting the SOR-IDs every word of ``q`` matches (by name prefix or code).

        With ``tokens`` (the read model indexes the filter tokens, see
        :func:`~opensor.publication.schema.filter_tokens`) the name words are matched together
        with the municipality, region and postcode filters in the full-text index, so only
        units that pass them come out (the SQL conditions still apply on top).
        """
        plain = [w for w in self.words if w not in self.code_words]
        parts: list[str] = []
        args: list[Any] = []
        if plain:
            terms = [f"name_folded : {_fts_phrase(w)} *" for w in plain]
            if tokens:
                terms += [
                    "codes : (" + " OR ".join(_fts_phrase(t) for t in group) + ")"
                    for group in self.token_filters
                ]
            expression = " AND ".join(terms)
            parts.append("SELECT rowid AS id FROM unit_fts WHERE unit_fts MATCH ?")
            args.append(expression)
        for word in self.code_words:
            union = ["SELECT rowid AS id FROM unit_fts WHERE unit_fts MATCH ?"]
            args.append(f"name_folded : {_fts_phrase(word)} *")
            for condition, value in _code_terms(word):
                union.append(f"SELECT u.sor_id AS id FROM {table} u WHERE {condition}")
                args.append(value)
            parts.append(" UNION ".join(union))
        return " INTERSECT ".join(f"SELECT id FROM ({p})" for p in parts), args

    def tier(self) -> tuple[str, list[Any]]:
        """SQL ranking a match (see :data:`_MATCH_NAMES`).

        0 a code of the unit's own (SOR-ID, SHAK, ydernummer, CVR, own GLN); 1 the folded
        name equals the folded query; 2 the name starts with it; 3 the words match elsewhere
        in the name; 4 only a related code matched (the postcode, an inherited GLN).
        """
        args: list[Any] = []
        own: list[str] = []
        related: list[str] = []
        related_args: list[Any] = []
        for word in self.code_words:
            for condition, value in _code_terms(word):
                if condition == "u.gln = ?":
                    own.append("(u.gln = ? AND u.gln_source = u.sor_id)")
                    args.append(value)
                    related.append(condition)
                    related_args.append(value)
                elif condition == "u.postcode = ?":
                    related.append(condition)
                    related_args.append(value)
                else:
                    own.append(condition)
                    args.append(value)
        cases = []
        if own:
            cases.append(f"WHEN {' OR '.join(own)} THEN 0")
        cases.append("WHEN u.name_folded = ? THEN 1")
        cases.append("WHEN substr(u.name_folded, 1, ?) = ? THEN 2")
        args += [self.folded, len(self.folded), self.folded]
        if related:
            # a match by the words outranks one by a related code alone; without related
            # codes every other match is 3 anyway (ELSE), so the words are not tested per row
            name_match = " AND ".join("(' ' || u.name_folded) GLOB ?" for _ in self.words)
            cases.append(f"WHEN {name_match} THEN 3")
            args += [f"*[^a-z0-9]{_glob_escape(w)}*" for w in self.words]
            cases.append(f"WHEN {' OR '.join(related)} THEN 4")
            args += related_args
        return f"CASE {' '.join(cases)} ELSE 3 END", args


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of a search: the exact ``total``, the unit summaries and the next page's key."""

    total: int
    items: list[dict[str, Any]]
    next_key: list[Any] | None


def search_units(
    model: ReadModel,
    settings: LookupSettings,
    query: SearchQuery,
    *,
    key: list[Any] | None = None,
    limit: int,
    fuzzy: bool | None = None,
) -> SearchResult:
    """One page of the units ``query`` finds in ``model``, ranked as the module describes.

    ``key`` is the sort key of the last row of the previous page (from a cursor), ``fuzzy``
    forces fuzzy matching on or off (``None``: only when prefix matching finds too few). The
    REST search and the public search page both call this.
    """
    if query.q is None:
        return SearchResult(*_browse(model, query, key, limit))
    return SearchResult(*_text(model, settings, query, key, limit, fuzzy))


class SearchEndpoint:
    """``GET /api/v1/units``."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cache = cache_control(context.settings.max_age)
        self.answers = ResultCache(context.settings.search_cache_bytes)

    async def search(self, request: Request) -> Response:
        """Search units by text, codes and filters; one page of summaries."""
        scope = request.scope
        context = self.context
        first_page = b"cursor" not in scope["query_string"]
        if first_page:
            # A first page searches the current publication. An answer is kept only for a
            # valid search, under the tag of its publication, path and query string, so one
            # found under that tag is given again without parsing the query a second time.
            etag = etag_for(context.model().number, scope["path"], scope["query_string"])
            answered = self.answers.get(etag)
            if answered is not None:  # (a 304 when the caller has it)
                return json_response(scope, answered, etag=etag, cache=self.cache)
        params = query_params(scope, SEARCH_PARAMETERS)
        settings = context.settings
        model, cursor = context.cursor_model(params)
        limit = context.limit(params, default=settings.page_size, maximum=settings.max_page_size)
        fuzzy = parse_bool("fuzzy", params["fuzzy"]) if "fuzzy" in params else None
        query = SearchQuery(params)
        if fuzzy is not None and query.q is None:
            raise bad_parameter("fuzzy", params["fuzzy"], "is given without q", "use it with q")
        etag = etag_for(model.number, scope["path"], scope["query_string"])
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache)
        if not first_page:  # (a first page's answer was looked for above)
            answered = self.answers.get(etag)
            if answered is not None:
                return json_response(scope, answered, etag=etag, cache=self.cache)
        key = cursor.key if cursor is not None else None
        result = search_units(model, settings, query, key=key, limit=limit, fuzzy=fuzzy)
        link = None
        if result.next_key is not None:
            token = encode_cursor(model.number, query_fingerprint(params), result.next_key)
            link = next_url(scope["path"], params, token)
        document = page_document(
            model, total=result.total, limit=limit, items=result.items, next_link=link
        )
        body = dump_json(document)
        self.answers.put(etag, body)
        return json_response(scope, body, etag=etag, cache=self.cache)


# -- without q: by name, or by distance ------------------------------------------------


def _filtered_count(model: ReadModel, query: SearchQuery) -> int:
    """How many units pass the filters of ``query`` (its ``q`` aside)."""
    where = " AND ".join(query.where) or "1"
    if query.facet_only and model.has_facets:
        # the same conditions on the table of counts per combination of these columns
        return model.count(
            f"SELECT coalesce(sum(u.n), 0) FROM unit_facet u WHERE {where}", query.args
        )
    return model.count(f"SELECT count(*) FROM {model.list_table} u WHERE {where}", query.args)


def _browse(
    model: ReadModel, query: SearchQuery, key: list[Any] | None, limit: int
) -> tuple[int, list[dict[str, Any]], list[Any] | None]:
    connection = model.connection()
    table = model.list_table
    where = " AND ".join(query.where) or "1"
    total = _filtered_count(model, query)
    args = list(query.args)
    if query.near is not None:
        lat, lon, _ = query.near
        order = [query.distance(), "u.sor_id"]
        order_args: list[Any] = [lat, lon]
        types: tuple[type, ...] = (float, int)
    else:
        order, order_args, types = ["u.name_folded", "u.sor_id"], [], (str, int)
    select = f"SELECT {SUMMARY_COLUMNS}, {order[0]} AS sortkey FROM {table} u WHERE {where}"
    args = order_args + args
    if key is not None:
        _check_key(key, types)
        select += f" AND ({order[0]}, u.sor_id) > (?, ?)"
        args += order_args + key
    select += " ORDER BY sortkey, u.sor_id LIMIT ?"
    rows = connection.execute(select, [*args, limit + 1]).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for row in rows:
        item = unit_summary(row)
        if query.near is not None:
            item["distance_km"] = round(row[SUMMARY_WIDTH], 3)
        items.append(item)
    next_key = [rows[-1][SUMMARY_WIDTH], rows[-1][0]] if more else None
    return total, items, next_key


# -- with q: prefix and code matches, fuzzy when too few --------------------------------


def _text(
    model: ReadModel,
    settings: LookupSettings,
    query: SearchQuery,
    key: list[Any] | None,
    limit: int,
    fuzzy: bool | None,
) -> tuple[int, list[dict[str, Any]], list[Any] | None]:
    connection = model.connection()
    table = model.list_table
    candidates, candidate_args = query.candidates(table, tokens=model.has_filter_tokens)
    where = " AND ".join([f"u.sor_id IN ({candidates})", *query.where])
    args = candidate_args + query.args
    if fuzzy is True:  # the fuzzy result has a total of its own
        return _fuzzy(model, settings, query, where, args, key, limit)
    if not query.code_words and (not query.where or (model.has_filter_tokens and query.token_only)):
        # Only name words (and filters the index applies too): every unit is in unit_fts once,
        # so counting the index's matches is counting the units.
        total = model.count("SELECT count(*) FROM unit_fts WHERE unit_fts MATCH ?", candidate_args)
    else:
        total = model.count(f"SELECT count(*) FROM {table} u WHERE {where}", args)
    if fuzzy is None and total < settings.fuzzy_when_fewer_than:
        return _fuzzy(model, settings, query, where, args, key, limit)
    if key is None and query.near is None and not query.code_words:
        first = _first_page_by_name(model, query, limit)
        if first is not None:
            return total, *first
    tier, tier_args = query.tier()
    extra = ""
    extra_args: list[Any] = []
    if query.near is not None:
        extra = f", {query.distance()}"
        extra_args = [query.near[0], query.near[1]]
    select = (
        f"SELECT {SUMMARY_COLUMNS}, {tier} AS tier, u.name_folded{extra} "
        f"FROM {table} u WHERE {where}"
    )
    all_args = tier_args + extra_args + args
    if key is not None:
        _check_key(key, (int, str, int))
        select += f" AND ({tier}, u.name_folded, u.sor_id) > (?, ?, ?)"
        all_args += tier_args + key
    select += " ORDER BY tier, u.name_folded, u.sor_id LIMIT ?"
    rows = connection.execute(select, [*all_args, limit + 1]).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for row in rows:
        item = unit_summary(row)
        item["match"] = _MATCH_NAMES[row[SUMMARY_WIDTH]]
        if query.near is not None:
            item["distance_km"] = round(row[SUMMARY_WIDTH + 2], 3)
        items.append(item)
    last = rows[-1] if rows else None
    next_key = [last[SUMMARY_WIDTH], last[SUMMARY_WIDTH + 1], last[0]] if more and last else None
    return total, items, next_key


def _first_page_by_name(
    model: ReadModel, query: SearchQuery, limit: int
) -> tuple[list[dict[str, Any]], list[Any] | None] | None:
    """The first page of a name search when it holds only names starting with the query.

    Names equal to the folded query (tier 1) and starting with it (tier 2) rank before every
    other match, and in name order they are one range of the name index; a name starting with
    the query has a word starting with each of its words, so it is among the matches. When
    that range fills more than a page, the page is read from the index in order (or, when few
    units pass the filters, through the filters' index) instead of ranking and sorting every
    match (which costs as much as the matches are many). ``None`` when it does not fill a page
    (the general ranking then applies).
    """
    table = model.list_table
    name = "u.name_folded"
    if query.where and query.token_only:
        # Walking the names in order tests each against the filters (a table lookup) until a
        # page passes: about (limit + 1) * units / passing names. Reading the passing units
        # through the filters' own index (municipality, region, postcode) and sorting those
        # in the range costs about `passing`; when that is less, `+` keeps the name index out.
        units = model.count(f"SELECT count(*) FROM {table}")
        passing = _filtered_count(model, query)
        if passing * passing * _FILTER_ROW_COST < (limit + 1) * units * _NAME_ROW_COST:
            name = "+u.name_folded"
    where = " AND ".join([f"{name} >= ?", f"{name} < ?", *query.where])
    rows = (
        model.connection()
        .execute(
            f"SELECT {SUMMARY_COLUMNS}, u.name_folded FROM {table} u WHERE {where} "
            f"ORDER BY {name}, u.sor_id LIMIT ?",
            [query.folded, query.folded + "\U0010ffff", *query.args, limit + 1],
        )
        .fetchall()
    )
    if len(rows) <= limit:
        return None
    rows = rows[:limit]
    items = []
    for row in rows:
        item = unit_summary(row)
        item["match"] = _MATCH_NAMES[1 if row[SUMMARY_WIDTH] == query.folded else 2]
        items.append(item)
    last = rows[-1]
    tier = 1 if last[SUMMARY_WIDTH] == query.folded else 2
    return items, [tier, last[SUMMARY_WIDTH], last[0]]


def _fuzzy(
    model: ReadModel,
    settings: LookupSettings,
    query: SearchQuery,
    where: str,
    args: list[Any],
    key: list[Any] | None,
    limit: int,
) -> tuple[int, list[dict[str, Any]], list[Any] | None]:
    """Prefix/code matches (first ``fuzzy_candidates`` by tier) then fuzzy matches.

    The result is ranked whole (it is at most twice ``fuzzy_candidates`` rows) by its sort
    key ``[rank, folded name, SOR-ID]``: rank is the tier (0-4) for prefix and code matches
    and ``5 + (1 - similarity)`` for fuzzy ones. Ranking needs only the key, so the summary
    columns are read for the rows of the page returned alone.
    """
    connection = model.connection()
    table = model.list_table
    tier, tier_args = query.tier()
    # sor_id -> (rank, folded name, similarity or None for a prefix/code match)
    ranked: dict[int, tuple[float, str, float | None]] = {
        sor_id: (float(rank), folded, None)
        for sor_id, rank, folded in connection.execute(
            f"SELECT u.sor_id, {tier} AS tier, u.name_folded FROM {table} u "
            f"WHERE {where} ORDER BY tier, u.name_folded, u.sor_id LIMIT ?",
            [*tier_args, *args, settings.fuzzy_candidates],
        )
    }
    match = fuzzy_match_expression(query.words)
    if match is not None:
        names = None
        if not query.where:
            names = _trigram_names(model, match, settings.fuzzy_scan, build=key is None)
        if names is None:  # filters to test on each candidate's row
            filters = " AND ".join(query.where) or "1"
            names = dict(
                connection.execute(
                    f"SELECT u.sor_id, u.name_folded FROM unit_trigram t JOIN {table} u "
                    f"ON u.sor_id = t.rowid WHERE unit_trigram MATCH ? AND {filters} LIMIT ?",
                    [match, *query.args, settings.fuzzy_scan],
                )
            )
        for sor_id in ranked:
            names.pop(sor_id, None)
        for folded, score, sor_id in process.extract(
            query.folded,
            names,
            scorer=partial_ratio,
            score_cutoff=settings.fuzzy_threshold * 100.0,
            limit=settings.fuzzy_candidates,
        ):
            similarity = score / 100.0
            ranked[sor_id] = (5.0 + (1.0 - similarity), folded, similarity)
    # (rank, folded name, SOR-ID, similarity): the SOR-IDs differ, so similarity never compares
    ordered = sorted(
        (rank, folded, sor_id, similar) for sor_id, (rank, folded, similar) in ranked.items()
    )
    start = 0
    if key is not None:
        _check_key(key, (float, str, int))
        start = bisect_right(ordered, (float(key[0]), key[1], key[2]), key=itemgetter(0, 1, 2))
    page = ordered[start : start + limit]
    items = []
    if page:
        extra = f", {query.distance()}" if query.near is not None else ""
        extra_args = [query.near[0], query.near[1]] if query.near is not None else []
        rows = {
            row[0]: row
            for row in connection.execute(
                f"SELECT {SUMMARY_COLUMNS}{extra} FROM {table} u "
                f"WHERE u.sor_id IN ({','.join('?' * len(page))})",
                [*extra_args, *(hit[2] for hit in page)],
            )
        }
        for rank, _, sor_id, similar in page:
            row = rows[sor_id]
            item = unit_summary(row)
            if similar is None:
                item["match"] = _MATCH_NAMES[int(rank)]
            else:
                item["match"] = "fuzzy"
                item["similarity"] = round(similar, 3)
            if query.near is not None:
                item["distance_km"] = round(row[SUMMARY_WIDTH], 3)
            items.append(item)
    next_key = None
    if start + limit < len(ordered) and page:
        rank, folded, last_id, _ = page[-1]
        next_key = [rank, folded, last_id]
    return len(ordered), items, next_key


def _trigram_names(
    model: ReadModel, match: str, scan: int, *, build: bool
) -> dict[int, str] | None:
    """The folded names of the first ``scan`` units ``unit_trigram`` finds for ``match``.

    The names come from the publication's :class:`~opensor.lookup.fuzzy.FoldedNames` (in
    memory) instead of a lookup in the unit table each. Only a first page (``build``) builds
    it: later pages come from cursors, which may name an older publication kept open for
    them, and those need no copy of their own. ``None`` when it is not built, or (never in a
    sound read model) a candidate is no unit, which the join with the unit table would drop.
    """
    names: FoldedNames | None = model.memo.get("folded_names")
    if names is None:
        if not build:
            return None
        rows = model.connection().execute(
            f"SELECT sor_id, name_folded FROM {model.list_table} ORDER BY sor_id"
        )
        names = model.memo["folded_names"] = FoldedNames(rows)
    candidates = (
        model.connection()
        .execute("SELECT rowid FROM unit_trigram WHERE unit_trigram MATCH ? LIMIT ?", [match, scan])
        .fetchall()
    )
    return names.names(map(itemgetter(0), candidates))


def _check_key(key: list[Any], types: tuple[type, ...]) -> None:
    ok = len(key) == len(types) and all(
        (isinstance(v, t) or (t is float and isinstance(v, int))) and not isinstance(v, bool)
        for v, t in zip(key, types, strict=True)
    )
    if not ok:
        raise ApiError(
            "invalid-parameter",
            "parameter 'cursor' does not fit this query; allowed: a cursor copied from the "
            "`next` link of the previous page of the same query",
            parameter="cursor",
        )
