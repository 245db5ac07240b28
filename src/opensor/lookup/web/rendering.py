"""Rendering the public pages: Jinja templates, security and cache headers, static files.

Every page is rendered on the server from the current publication. Its ``ETag`` is derived
from the publication number, the URL, the language and whether a fragment was asked for, so a
new publication changes every tag; ``If-None-Match`` answers 304 before anything is read.

Pages carry a strict ``Content-Security-Policy``: scripts and styles only from this origin (no
inline script or style), images from this origin and the configured map tile server, and
nothing may frame them. Static files (CSS, JS, the bundled htmx and Leaflet) are read into
memory once and served with a content hash in their URL, so they can be cached for a year.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import Response

from opensor.lookup.responses import StoredResponse, cache_control, etag_for, not_modified
from opensor.lookup.web.i18n import COOKIE

__all__ = [
    "STATIC_PREFIX",
    "Renderer",
    "StaticFiles",
    "map_tiles",
]

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/static/"
HTML = b"text/html; charset=utf-8"
_COOKIE_AGE = 365 * 24 * 3600


def map_tiles() -> str:
    """The tile URL template of the map (``SOR_MAP_TILES``), or ``""`` for no background.

    For example ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``; the default is none, so
    the pages load nothing from elsewhere unless the operator asks for it.
    """
    return os.environ.get("SOR_MAP_TILES", "").strip()


def _tile_origin(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc
    if "{s}" in url:
        host = "*." + host.split(".", 1)[-1]
    return f"{parts.scheme}://{host}"


def content_security_policy(tiles: str) -> bytes:
    """The pages' policy: everything from this origin, map tiles from their server."""
    origin = _tile_origin(tiles) if tiles else ""
    images = "'self' data:" + (f" {origin}" if origin else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ).encode()


class StaticFiles:
    """The files under ``static/``, in memory, each with a content hash for its URL."""

    def __init__(self, root: Path = HERE / "static") -> None:
        self.files: dict[str, tuple[bytes, bytes, bytes]] = {}
        self.versions: dict[str, str] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(root).as_posix()
            body = path.read_bytes()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            digest = hashlib.sha256(body).hexdigest()[:12]
            self.files[name] = (body, kind.encode(), b'"' + digest.encode() + b'"')
            self.versions[name] = digest
        self.cache = cache_control(31_536_000, immutable=True)

    def url(self, name: str) -> str:
        """The URL of static file ``name`` (with its content hash, so it may be cached)."""
        return f"{STATIC_PREFIX}{name}?v={self.versions[name]}"

    def size(self, name: str) -> int:
        """The size in bytes of static file ``name``."""
        return len(self.files[name][0])

    def names(self) -> Iterator[str]:
        """The names of every static file."""
        return iter(self.files)

    async def endpoint(self, request: Request) -> Response:
        """``GET /static/{name}``: the file, or 404."""
        name = request.path_params["name"]
        found = self.files.get(name)
        if found is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        body, kind, etag = found
        headers = [
            (b"etag", etag),
            (b"cache-control", self.cache),
            (b"x-content-type-options", b"nosniff"),
        ]
        if not_modified(request.scope, etag):
            return StoredResponse(b"", headers, 304)
        return StoredResponse(body, headers, media_type=kind)


class Renderer:
    """Jinja templates plus the headers every public page carries."""

    def __init__(self, static: StaticFiles, *, max_age: int, tiles: str) -> None:
        self.static = static
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.globals["static"] = static.url
        self.env.filters["thousands"] = _thousands
        self.cache = cache_control(max_age)
        self.csp = content_security_policy(tiles)

    def headers(
        self, etag: bytes | None, *, set_lang: str | None = None
    ) -> list[tuple[bytes, bytes]]:
        """The security and cache headers of a page (and the language cookie when chosen)."""
        # A response setting the language cookie is the chooser's own: never a shared copy.
        cache = self.cache if set_lang is None else b"private, no-cache"
        headers = [
            (b"cache-control", cache),
            (b"vary", b"Cookie, HX-Request"),
            (b"content-security-policy", self.csp),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        if etag is not None:
            headers.append((b"etag", etag))
        if set_lang is not None:
            cookie = f"{COOKIE}={set_lang}; Path=/; Max-Age={_COOKIE_AGE}; SameSite=Lax"
            headers.append((b"set-cookie", cookie.encode()))
        return headers

    def etag(self, publication: int, request: Request, lang: str, *parts: object) -> bytes:
        """The page's entity tag: publication, URL, language and any other varying ``parts``."""
        scope = request.scope
        return etag_for(publication, scope["path"], scope["query_string"], lang, *parts)

    def unchanged(self, request: Request, etag: bytes, set_lang: str | None) -> Response | None:
        """A 304 answer when the client's copy is current, else ``None``."""
        if not_modified(request.scope, etag):
            return StoredResponse(b"", self.headers(etag, set_lang=set_lang), 304)
        return None

    def render(
        self,
        template: str,
        context: dict[str, Any],
        *,
        etag: bytes | None,
        status: int = 200,
        set_lang: str | None = None,
    ) -> Response:
        """``template`` rendered with ``context`` as an HTML response."""
        body = self.env.get_template(template).render(context).encode()
        return StoredResponse(body, self.headers(etag, set_lang=set_lang), status, HTML)


def _thousands(value: int, lang: str = "da") -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "da" else text


def query_url(path: str, params: dict[str, str], **changes: str | None) -> str:
    """``path`` with ``params`` as its query, ``changes`` applied (``None`` removes one)."""
    merged = {k: v for k, v in params.items() if v}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return path + ("?" + urlencode(merged) if merged else "")
