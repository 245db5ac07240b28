"""The public register browser's pages: search, unit, map and downloads, and their JSON twins.

Each page is a thin edge: it parses its parameters, calls the same selector the REST API uses
(:func:`~opensor.lookup.search.search_units`, the stored unit document) and renders. Every
page has a ``.json`` twin with the REST API's content, advertised with
``<link rel="alternate" type="application/json">``.

The search page answers an htmx request (header ``HX-Request``, sent while the user types)
with only the results fragment; any other request gets the whole page, so it works without
JavaScript too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opensor.lookup.common import Context, page_document
from opensor.lookup.middleware import Metrics
from opensor.lookup.params import encode_cursor, parse_date, query_fingerprint, query_params
from opensor.lookup.problems import ApiError
from opensor.lookup.publications import PublicationEndpoints
from opensor.lookup.readmodel import NoPublication, ReadModel
from opensor.lookup.responses import json_response, request_header
from opensor.lookup.search import SearchQuery, search_units
from opensor.lookup.units import UnitEndpoints
from opensor.lookup.web.choices import choices, names
from opensor.lookup.web.i18n import LANGUAGES, language_of, texts
from opensor.lookup.web.rendering import Renderer, StaticFiles, map_tiles, query_url
from opensor.lookup.web.unitview import CHILDREN_SHOWN, unit_view
from opensor.publication.schema import PRIVATE_FILES

__all__ = ["FILTERS", "PublicPages"]

FILTERS = ("level", "region", "municipality", "type", "speciality", "message_type", "active")
"""The search page's filters (the REST search's names, plus ``message_type``)."""

_SEARCH = frozenset({"q", *FILTERS, "cursor", "lang"})
_UNIT = frozenset({"as_of", "lang"})
_LANG = frozenset({"lang"})
PAGE_SIZE = 20
MAP_LIMIT = 500


class PublicPages:
    """The endpoints of the public pages over ``context``."""

    def __init__(self, context: Context, static: StaticFiles | None = None) -> None:
        self.context = context
        self.static = static if static is not None else StaticFiles()
        self.tiles = map_tiles()
        self.renderer = Renderer(self.static, max_age=context.settings.max_age, tiles=self.tiles)
        self.units = UnitEndpoints(context)
        self.publications = PublicationEndpoints(context, Metrics())

    # -- shared ---------------------------------------------------------------------------

    def _base(self, request: Request, lang: str, params: dict[str, str]) -> dict[str, Any]:
        """What every page's template uses: texts, language switch, current URL."""
        other = "en" if lang == "da" else "da"
        path = request.scope["path"]
        return {
            "t": texts(lang),
            "lang": lang,
            "other_lang": other,
            "switch_url": query_url(path, params, lang=other),
            "path": path,
            "params": params,
            "names": names(lang),
        }

    def _error(self, request: Request, error: ApiError | NoPublication, lang: str) -> Response:
        status = error.status if isinstance(error, ApiError) else 503
        t = texts(lang)
        title = t("not_found") if status == 404 else t("bad_request")
        detail = error.detail if isinstance(error, ApiError) else t("no_publication")
        context = {**self._base(request, lang, {}), "title": title, "detail": detail}
        return self.renderer.render("error.html", context, etag=None, status=status)

    def _params(
        self, request: Request, allowed: frozenset[str]
    ) -> tuple[dict[str, str], str, bool]:
        params = dict(query_params(request.scope, allowed))
        lang, chosen = language_of(request.scope, params)
        if "lang" in params and params["lang"] not in LANGUAGES:
            params.pop("lang")
        return params, lang, chosen

    # -- search -----------------------------------------------------------------------------

    def _search(
        self,
        model: ReadModel,
        params: dict[str, str],
        limit: int,
        *,
        with_coordinates: bool = False,
    ) -> tuple[Any, str | None] | None:
        """The search result for the page's parameters (``None`` when nothing was asked)."""
        wanted = {k: v for k, v in params.items() if k in ("q", *FILTERS)}
        if not wanted and not with_coordinates:
            return None
        query = SearchQuery(wanted)
        if with_coordinates:
            query.where.append("u.latitude IS NOT NULL")
        key = None
        if "cursor" in params:
            model, cursor = self.context.cursor_model({**wanted, "cursor": params["cursor"]})
            key = cursor.key if cursor is not None else None
        result = search_units(model, self.context.settings, query, key=key, limit=limit)
        token = None
        if result.next_key is not None:
            token = encode_cursor(model.number, query_fingerprint(wanted), result.next_key)
        return result, token

    async def search(self, request: Request) -> Response:
        """``/``: the search page, or (htmx) just its results."""
        lang = "da"
        try:
            params, lang, chosen = self._params(request, _SEARCH)
            fragment = wants_fragment(request)
            model = self.context.model()
            set_lang = lang if chosen else None
            etag = self.renderer.etag(model.number, request, lang, fragment)
            if (unchanged := self.renderer.unchanged(request, etag, set_lang)) is not None:
                return unchanged
            found = self._search(model, params, PAGE_SIZE)
        except (ApiError, NoPublication) as error:
            return self._error(request, error, lang)
        context = {
            **self._base(request, lang, params),
            "result": found[0] if found else None,
            "next_url": query_url("/", params, cursor=found[1]) if found and found[1] else None,
            "choices": choices(lang),
            "json_url": query_url("/.json", params, lang=None),
            "filters_open": any(params.get(name) for name in FILTERS),
        }
        template = "_results.html" if fragment else "search.html"
        return self.renderer.render(template, context, etag=etag, set_lang=set_lang)

    async def search_json(self, request: Request) -> Response:
        """``/.json``: the search page's results as the REST search's page document."""
        params = dict(query_params(request.scope, _SEARCH - {"lang"}))
        model = self.context.model()
        etag = self.renderer.etag(model.number, request, "json")
        found = self._search(model, params, PAGE_SIZE)
        total, items, link = 0, [], None
        if found is not None:
            result, token = found
            total, items = result.total, result.items
            link = query_url("/.json", params, cursor=token) if token else None
        document = page_document(model, total=total, limit=PAGE_SIZE, items=items, next_link=link)
        return json_response(request.scope, document, etag=etag, cache=self.renderer.cache)

    # -- unit -------------------------------------------------------------------------------

    async def unit(self, request: Request) -> Response:
        """``/units/{sorId}``: the unit, its tree, history and location number."""
        lang = "da"
        try:
            params, lang, chosen = self._params(request, _UNIT)
            text = request.path_params["sorId"]
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                raise ApiError("not-found", f"no unit has SOR-ID {text}")
            as_of: date | None = parse_date("as_of", params["as_of"]) if "as_of" in params else None
            model = self.context.model()
            set_lang = lang if chosen else None
            etag = self.renderer.etag(model.number, request, lang)
            if (unchanged := self.renderer.unchanged(request, etag, set_lang)) is not None:
                return unchanged
            view = unit_view(model, int(text), names(lang), as_of)
        except (ApiError, NoPublication) as error:
            return self._error(request, error, lang)
        json_url = f"/units/{text}.json" + (f"?as_of={as_of.isoformat()}" if as_of else "")
        context = {
            **self._base(request, lang, params),
            "view": view,
            "doc": view.doc,
            "as_of": as_of.isoformat() if as_of else "",
            "publication_as_of": model.meta.get("as_of", ""),
            "json_url": json_url,
            "children_shown": CHILDREN_SHOWN,
        }
        return self.renderer.render("unit.html", context, etag=etag, set_lang=set_lang)

    async def unit_json(self, request: Request) -> Response:
        """``/units/{sorId}.json``: exactly ``GET /api/v1/units/{sorId}``."""
        return await self.units.unit(request)

    # -- map --------------------------------------------------------------------------------

    async def map(self, request: Request) -> Response:
        """``/map``: units with coordinates as a list, drawn on a Leaflet map by script."""
        lang = "da"
        try:
            params, lang, chosen = self._params(request, _SEARCH)
            if not any(params.get(k) for k in ("q", *FILTERS)):
                params = {**params, "level": "SI", "active": "true"}
            model = self.context.model()
            set_lang = lang if chosen else None
            etag = self.renderer.etag(model.number, request, lang, self.tiles)
            if (unchanged := self.renderer.unchanged(request, etag, set_lang)) is not None:
                return unchanged
            found = self._search(model, params, MAP_LIMIT, with_coordinates=True)
        except (ApiError, NoPublication) as error:
            return self._error(request, error, lang)
        assert found is not None
        context = {
            **self._base(request, lang, params),
            "result": found[0],
            "tiles": self.tiles,
            "choices": choices(lang),
            "json_url": query_url("/map.json", params, lang=None),
        }
        return self.renderer.render("map.html", context, etag=etag, set_lang=set_lang)

    async def map_json(self, request: Request) -> Response:
        """``/map.json``: the map's units as a page document."""
        params = dict(query_params(request.scope, _SEARCH - {"lang", "cursor"}))
        if not any(params.get(k) for k in ("q", *FILTERS)):
            params = {**params, "level": "SI", "active": "true"}
        model = self.context.model()
        etag = self.renderer.etag(model.number, request, "json")
        found = self._search(model, params, MAP_LIMIT, with_coordinates=True)
        assert found is not None
        result = found[0]
        document = page_document(
            model, total=result.total, limit=MAP_LIMIT, items=result.items, next_link=None
        )
        return json_response(request.scope, document, etag=etag, cache=self.renderer.cache)

    # -- downloads --------------------------------------------------------------------------

    async def downloads(self, request: Request) -> Response:
        """``/downloads``: the current publication's files and the change feed explained.

        A file whose manifest entry names a ``requires_scope`` (``sortree-complete.xml``) is
        marked as needing approved access, with how to get it, instead of a download link an
        anonymous visitor would get a ``401`` from; ``/downloads.json`` is the manifest itself,
        so it carries ``requires_scope`` (and ``personal_data``) on that entry.
        """
        lang = "da"
        try:
            params, lang, chosen = self._params(request, _LANG)
            model = self.context.model()
            set_lang = lang if chosen else None
            etag = self.renderer.etag(model.number, request, lang)
            if (unchanged := self.renderer.unchanged(request, etag, set_lang)) is not None:
                return unchanged
        except (ApiError, NoPublication) as error:
            return self._error(request, error, lang)
        manifest = model.publication.manifest
        context = {
            **self._base(request, lang, params),
            "number": model.number,
            "manifest": manifest,
            "meta": model.meta,
            "files": [f for f in manifest.get("files", []) if f["name"] not in PRIVATE_FILES],
            "json_url": "/downloads.json",
        }
        return self.renderer.render("downloads.html", context, etag=etag, set_lang=set_lang)

    async def downloads_json(self, request: Request) -> Response:
        """``/downloads.json``: exactly ``GET /api/v1/publications/latest`` (the manifest)."""
        return await self.publications.latest(request)


def wants_fragment(request: Request) -> bool:
    """Whether htmx asked for the results fragment only."""
    scope = request.scope
    return (
        request_header(scope, b"hx-request") is not None
        and request_header(scope, b"hx-history-restore-request") is None
    )
