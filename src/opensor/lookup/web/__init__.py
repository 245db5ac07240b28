"""The public register browser: search, unit pages, tree, map and downloads, in Danish and English.

Served by the lookup service from the current publication (it reads only the read model, like
the REST API). :func:`web_routes` gives the routes; ``opensor.lookup.app`` adds them after the
REST API's. Pages and their ``.json`` twins:

* ``/`` and ``/.json`` — search (htmx fragments while typing; works without JavaScript);
* ``/units/{sorId}`` and ``/units/{sorId}.json`` — a unit, its tree, history and routing data;
* ``/map`` and ``/map.json`` — units with coordinates (Leaflet, bundled);
* ``/downloads`` and ``/downloads.json`` — the publication's files and the change feed;
* ``/static/{name}`` — the pages' CSS and scripts (content-hashed URLs, cached for a year).

See ``docs/public-web.md``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

from opensor.lookup.common import Context
from opensor.lookup.web.pages import PublicPages
from opensor.lookup.web.rendering import StaticFiles

__all__ = ["PublicPages", "PublicPagesMount", "web_mount", "web_routes"]


def web_routes(context: Context) -> list[BaseRoute]:
    """The public pages' routes over ``context`` (the ``.json`` twins before their pages)."""
    pages = PublicPages(context, StaticFiles())
    return [
        Route("/", pages.search, name="web-search"),
        Route("/.json", pages.search_json, name="web-search-json"),
        Route("/units/{sorId}.json", pages.unit_json, name="web-unit-json"),
        Route("/units/{sorId}", pages.unit, name="web-unit"),
        Route("/map", pages.map, name="web-map"),
        Route("/map.json", pages.map_json, name="web-map-json"),
        Route("/downloads", pages.downloads, name="web-downloads"),
        Route("/downloads.json", pages.downloads_json, name="web-downloads-json"),
        Route("/static/{name:path}", pages.static.endpoint, name="web-static"),
    ]


class PublicPagesMount(Mount):
    """The public pages as one group at the root, matching only the paths they serve.

    A plain ``Mount("")`` would claim every path, so a wrong method on a REST route (405) or
    an unknown API path (404 problem) would reach the pages instead; this one declines a
    request no page route fully matches, leaving it to the routes before it.
    """

    def matches(self, scope: Scope) -> tuple[Match, dict[str, Any]]:
        """Match like a mount at the root, but only where a page route fully matches."""
        if scope["type"] != "http" or not any(
            route.matches(scope)[0] is Match.FULL for route in self.routes
        ):
            return Match.NONE, {}
        return super().matches(scope)


def web_mount(context: Context) -> PublicPagesMount:
    """The public pages' routes over ``context``, mounted at the root (see the class)."""
    return PublicPagesMount("", routes=web_routes(context))
