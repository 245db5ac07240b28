"""The lookup service's ASGI application: REST under ``/api/v1``, FHIR under ``/fhir``.

:func:`create_app` is the factory ``sor serve`` runs (``opensor.lookup.app:create_app``). It
reads the publication store named by ``SOR_PUBLICATIONS`` (default ``$SOR_HOME/publications``)
unless given one, and switches to a newer publication within a second of its appearing.

The application is composable: :func:`api_routes` gives the REST routes for any
:class:`~opensor.lookup.common.Context`, and other routes (a public web page) can be added to
``app.router.routes`` or mounted beside it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from opensor.lookup.access import AccessSettings, KeyRing
from opensor.lookup.accesslog import AccessLog, default_log_path
from opensor.lookup.common import API, Context
from opensor.lookup.docs_page import docs_html
from opensor.lookup.fhir import routes as fhir_routes
from opensor.lookup.fhir.routes import read_fast_paths
from opensor.lookup.middleware import FastPath, Metrics, RequestMiddleware
from opensor.lookup.openapi import openapi_document
from opensor.lookup.problems import EXCEPTION_HANDLERS
from opensor.lookup.publications import PublicationEndpoints
from opensor.lookup.ratelimit import AccessMiddleware
from opensor.lookup.readmodel import CurrentPublication
from opensor.lookup.responses import StoredResponse, cache_control, dump_json, etag_for
from opensor.lookup.routing import RoutingEndpoint
from opensor.lookup.search import SearchEndpoint
from opensor.lookup.settings import LookupSettings
from opensor.lookup.units import UNITS_PREFIX, UnitEndpoints
from opensor.lookup.web import web_mount
from opensor.publication.store import PublicationStore, default_store_root

__all__ = ["api_routes", "build_api", "create_app"]


def _static(body: bytes, media_type: bytes, max_age: int) -> Any:
    etag = etag_for(body)
    headers = [(b"etag", etag), (b"cache-control", cache_control(max_age))]

    async def endpoint(request: Request) -> Response:
        from opensor.lookup.params import query_params
        from opensor.lookup.responses import not_modified

        query_params(request.scope, ())
        if not_modified(request.scope, etag):
            return StoredResponse(b"", headers, 304)
        return StoredResponse(body, headers, media_type=media_type)

    return endpoint


def api_routes(context: Context, metrics: Metrics) -> list[BaseRoute]:
    """The REST API's routes, ``/healthz`` and ``/metrics`` over ``context``."""
    return build_api(context, metrics)[0]


def build_api(
    context: Context, metrics: Metrics, access_log: AccessLog | None = None
) -> tuple[list[BaseRoute], dict[str, tuple[FastPath, str]]]:
    """The REST API's routes and the fast paths for :class:`RequestMiddleware`.

    ``access_log`` records the protected reads of personal-data units (and files).
    """
    units = UnitEndpoints(context, access_log)
    search = SearchEndpoint(context)
    routing = RoutingEndpoint(context)
    publications = PublicationEndpoints(context, metrics, access_log)
    spec = openapi_document()
    fast_paths: dict[str, tuple[FastPath, str]] = {
        UNITS_PREFIX: (units.unit_fast, f"{API}/units/{{sorId}}")
    }
    routes: list[BaseRoute] = [
        Route(f"{API}/units", search.search, name="search"),
        Route(f"{API}/units/{{sorId}}", units.unit, name="unit"),
        Route(f"{API}/units/{{sorId}}/children", units.children, name="children"),
        Route(f"{API}/units/{{sorId}}/ancestors", units.ancestors, name="ancestors"),
        Route(f"{API}/units/{{sorId}}/subtree", units.subtree, name="subtree"),
        Route(f"{API}/routing", routing.routing, name="routing"),
        Route(f"{API}/shak/{{code}}", units.shak, name="shak"),
        Route(f"{API}/ean/{{gln}}", units.ean, name="ean"),
        Route(f"{API}/changes", publications.changes, name="changes"),
        Route(f"{API}/publications", publications.publications, name="publications"),
        Route(f"{API}/publications/latest", publications.latest, name="latest"),
        Route(f"{API}/publications/{{number}}", publications.publication, name="publication"),
        Route(f"{API}/publications/{{number}}/files/{{name}}", publications.file, name="file"),
        Route(
            f"{API}/openapi.json",
            _static(dump_json(spec), b"application/json", 3600),
            name="openapi",
        ),
        Route(
            f"{API}/docs",
            _static(docs_html(spec).encode(), b"text/html; charset=utf-8", 3600),
            name="docs",
        ),
        Route("/healthz", publications.healthz, name="healthz"),
        Route("/metrics", publications.metrics_text, name="metrics"),
    ]
    return routes, fast_paths


def _fhir_routes(provider: CurrentPublication) -> list[BaseRoute]:
    """The FHIR routes of :mod:`opensor.lookup.fhir`, mounted at ``/fhir``."""
    return [Mount("/fhir", routes=fhir_routes(provider))]


def create_app(
    store: PublicationStore | None = None,
    *,
    settings: LookupSettings | None = None,
    access: AccessSettings | None = None,
) -> Starlette:
    """The lookup service over ``store`` (default: :func:`default_store_root`).

    ``access`` configures the protected channel and the rate limits (default: from the
    environment, see :mod:`opensor.lookup.access`).
    """
    store = store if store is not None else PublicationStore(default_store_root())
    settings = settings if settings is not None else LookupSettings.from_env()
    access = access if access is not None else AccessSettings.from_env()
    keys = KeyRing(
        access.key_file or store.root / "access-keys.json",
        check_interval=access.keys_check_interval,
    )
    access_log = AccessLog(access.access_log or default_log_path(store.root))
    provider = CurrentPublication(
        store,
        check_interval=settings.check_interval,
        keep_older=settings.kept_cursor_publications,
    )
    context = Context(provider, settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        provider.close()
        access_log.close()

    routes, fast_paths = build_api(context, metrics, access_log)
    for prefix, handler in read_fast_paths(provider).items():
        fast_paths[prefix] = (handler, "/fhir/{path:path}")
    app = Starlette(
        # FHIR first (routes are tried in order), then the REST API, then the public pages.
        routes=[*_fhir_routes(provider), *routes, web_mount(context)],
        middleware=[
            Middleware(AccessMiddleware, settings=access, keys=keys),
            Middleware(RequestMiddleware, metrics=metrics, fast_paths=fast_paths),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.provider = provider
    app.state.context = context
    app.state.metrics = metrics
    app.state.keys = keys
    app.state.access_log = access_log
    return app
