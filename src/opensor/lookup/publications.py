"""The change feed, the publications and their files, ``/healthz`` and ``/metrics``.

Publication files are served as they lie in the store, with ``Content-Length``, an ``ETag``
that is their SHA-256, ``Repr-Digest`` (RFC 9530) and the older ``Digest`` header, range
requests (Starlette's :class:`~starlette.responses.FileResponse`) and ``Cache-Control:
immutable`` (a publication never changes).

A file that holds personal fields (``sortree-complete.xml``,
:data:`~opensor.publication.exports.PERSONAL_DATA_FILES`) is served only to a caller with the
scope ``lookup:personal-data`` (``401`` without a token, ``403`` with a token lacking it, as
the history guard answers), with ``Cache-Control: private, no-store``; each download by a
client is recorded in the access log as one read of unit ``*`` (every unit of the file).
"""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from opensor.lookup.access import PERSONAL_DATA, Caller, caller_of, scope_refusal
from opensor.lookup.accesslog import AccessLog
from opensor.lookup.common import API, Context
from opensor.lookup.middleware import Metrics
from opensor.lookup.params import parse_int, query_params
from opensor.lookup.problems import ApiError
from opensor.lookup.readmodel import NoPublication, ReadModel
from opensor.lookup.responses import (
    StoredResponse,
    cache_control,
    dump_json,
    etag_for,
    json_response,
    not_modified,
)
from opensor.publication.exports import PERSONAL_DATA_FILES
from opensor.publication.schema import MANIFEST_NAME, PRIVATE_FILES

__all__ = ["ALL_PERSONAL_UNITS", "PublicationEndpoints", "publication_age"]

_CHANGES = frozenset({"since", "limit"})
_NONE: frozenset[str] = frozenset()
_NO_STORE = [(b"cache-control", b"no-store")]
_PRIVATE = "private, no-store"

ALL_PERSONAL_UNITS = "*"
"""The unit an access-log entry names for a download of a file holding personal fields: every
unit marked as personal data in that file (the entry's ``path`` names the publication and file)."""


def publication_age(model: ReadModel) -> float | None:
    """Seconds since the publication was made (from ``meta.created_at``), or ``None``."""
    created = model.meta.get("created_at")
    if not created:
        return None
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, time.time() - moment.timestamp())


class PublicationEndpoints:
    """Change feed, publications, downloads, health and metrics."""

    def __init__(
        self, context: Context, metrics: Metrics, access_log: AccessLog | None = None
    ) -> None:
        self.context = context
        self.metrics = metrics
        self.access_log = access_log
        settings = context.settings
        self.cache_latest = cache_control(settings.max_age_latest)
        self.cache_files = cache_control(settings.max_age_files, immutable=True)

    # -- change feed ------------------------------------------------------------------------

    async def changes(self, request: Request) -> Response:
        """Events with a sequence number above ``since``, oldest first."""
        scope = request.scope
        params = query_params(scope, _CHANGES)
        settings = self.context.settings
        since = parse_int("since", params["since"], minimum=0) if "since" in params else 0
        limit = (
            parse_int("limit", params["limit"], minimum=1, maximum=settings.max_changes_limit)
            if "limit" in params
            else settings.changes_limit
        )
        model = self.context.model()
        etag = etag_for(model.number, "changes", since, limit)
        if not_modified(scope, etag):
            return json_response(scope, b"", etag=etag, cache=self.cache_latest)
        rows = (
            model.connection()
            .execute(
                "SELECT seq, publication, entity, id, kind, effective_date, changed_fields, "
                "recorded_at, doc FROM change_event WHERE seq > ? ORDER BY seq LIMIT ?",
                (since, limit + 1),
            )
            .fetchall()
        )
        more = len(rows) > limit
        rows = rows[:limit]
        last_seq = int(model.meta.get("feed_last_seq") or 0)
        after = rows[-1][0] if rows else max(since, 0)
        head = {
            "publication": model.number,
            "since": since,
            "last_seq": last_seq,
            "count": len(rows),
            "more": more,
            "next": f"{API}/changes?since={after}&limit={limit}",
        }
        parts = []
        for seq, publication, entity, ident, kind, effective, fields, recorded, doc in rows:
            event = dump_json(
                {
                    "seq": seq,
                    "publication": publication,
                    "entity": entity,
                    "id": ident,
                    "kind": kind,
                    "effective_date": effective,
                    "recorded_at": recorded,
                }
            )
            parts.append(
                event[:-1]
                + b',"changed_fields":'
                + (fields.encode() if isinstance(fields, str) else bytes(fields))
                + b',"doc":'
                + (bytes(doc) if doc is not None else b"null")
                + b"}"
            )
        body = dump_json(head)[:-1] + b',"events":[' + b",".join(parts) + b"]}"
        return json_response(scope, body, etag=etag, cache=self.cache_latest)

    # -- publications -----------------------------------------------------------------------

    def _manifest_bytes(self, model: ReadModel) -> tuple[bytes, bytes]:
        cached = model.memo.get("manifest")
        if cached is None:
            data = (model.publication.path / MANIFEST_NAME).read_bytes()
            etag = b'"' + hashlib.sha256(data).hexdigest()[:32].encode() + b'"'
            cached = model.memo["manifest"] = (data, etag)
        return cached

    async def latest(self, request: Request) -> Response:
        """The current publication's manifest, as written by the publisher."""
        scope = request.scope
        query_params(scope, _NONE)
        data, etag = self._manifest_bytes(self.context.model())
        return json_response(scope, data, etag=etag, cache=self.cache_latest)

    async def publication(self, request: Request) -> Response:
        """The manifest of publication ``n`` while the store keeps it."""
        scope = request.scope
        query_params(scope, _NONE)
        model = self._publication_model(scope["path_params"]["number"])
        data, etag = self._manifest_bytes(model)
        cache = self.cache_files if model.number != self.context.model().number else None
        return json_response(scope, data, etag=etag, cache=cache or self.cache_latest)

    async def publications(self, request: Request) -> Response:
        """The publications the store keeps, newest first."""
        scope = request.scope
        query_params(scope, _NONE)
        provider = self.context.provider
        current = self.context.model()
        items = []
        for publication in provider.store.list():
            manifest: dict[str, Any] = dict(publication.manifest)
            items.append(
                {
                    "number": publication.number,
                    "current": publication.number == current.number,
                    "as_of": manifest.get("as_of"),
                    "created_at": manifest.get("created_at"),
                    "href": f"{API}/publications/{publication.number}",
                    "manifest": manifest,
                }
            )
        body = dump_json({"current": current.number, "publications": items})
        etag = b'"' + hashlib.blake2b(body, digest_size=10).hexdigest().encode() + b'"'
        return json_response(scope, body, etag=etag, cache=self.cache_latest)

    def _publication_model(self, text: str) -> ReadModel:
        number = parse_int("number", text, minimum=1)
        model = self.context.provider.for_number(number)
        if model is None:
            raise ApiError(
                "not-found",
                f"publication {number} is not kept by this service "
                f"(the current publication is {self.context.model().number})",
                publication=number,
            )
        return model

    async def file(self, request: Request) -> Response:
        """One file of a publication, with its checksum headers; ranges allowed."""
        scope = request.scope
        query_params(scope, _NONE)
        model = self._publication_model(scope["path_params"]["number"])
        name: str = scope["path_params"]["name"]
        files = model.memo.get("files")
        if files is None:
            files = {
                entry["name"]: (entry["media_type"], entry["size"], entry["sha256"])
                for entry in model.publication.manifest.get("files", [])
                if entry["name"] not in PRIVATE_FILES
            }
            model.memo["files"] = files
        info = files.get(name)
        if info is None:
            listed = ", ".join(sorted(files)) or "none"
            raise ApiError(
                "not-found",
                f"publication {model.number} has no file {name!r}; its files: {listed}",
                publication=model.number,
                file=name,
            )
        media_type, size, sha256 = info
        etag = '"' + sha256 + '"'
        digest = base64.b64encode(bytes.fromhex(sha256)).decode()
        headers = {
            "etag": etag,
            "cache-control": self.cache_files.decode(),
            "repr-digest": f"sha-256=:{digest}:",
            "digest": f"SHA-256={digest}",
            "x-content-sha256": sha256,
        }
        caller: Caller | None = None
        if name in PERSONAL_DATA_FILES:
            caller = caller_of(scope)
            if not caller.may(PERSONAL_DATA):
                return _refused(caller, name)
            headers["cache-control"] = _PRIVATE
            headers["vary"] = "authorization"
        if not_modified(scope, etag.encode()):
            return StoredResponse(b"", [(k.encode(), v.encode()) for k, v in headers.items()], 304)
        path = model.publication.file_path(name)
        if not path.is_file():
            raise ApiError(
                "not-found",
                f"file {name!r} of publication {model.number} is listed but missing from the "
                "store (it may have been pruned)",
                publication=model.number,
                file=name,
            )
        del size
        if (
            caller is not None
            and caller.client_id is not None
            and self.access_log is not None
            and scope["method"] == "GET"
        ):
            self.access_log.append(
                caller.client_id, ALL_PERSONAL_UNITS, caller.purpose, scope["path"]
            )
        return FileResponse(path, headers=headers, media_type=media_type, filename=name)

    # -- operations -------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        """Whether a publication is served, which, and how old it is."""
        query_params(request.scope, _NONE)
        try:
            model = self.context.model()
        except NoPublication as error:
            body = dump_json({"status": "unavailable", "publication": None, "detail": str(error)})
            return StoredResponse(body, _NO_STORE, 503)
        age = publication_age(model)
        body = dump_json(
            {
                "status": "ok",
                "publication": model.number,
                "as_of": model.meta.get("as_of"),
                "created_at": model.meta.get("created_at"),
                "age_seconds": round(age, 1) if age is not None else None,
            }
        )
        return StoredResponse(body, _NO_STORE)

    async def metrics_text(self, request: Request) -> Response:
        """Prometheus text exposition: requests, latency, publication number and age."""
        query_params(request.scope, _NONE)
        gauges: dict[str, tuple[str, float]] = {}
        try:
            model = self.context.model()
        except NoPublication:
            gauges["opensor_publication_number"] = ("The publication being served (0: none).", 0)
        else:
            gauges["opensor_publication_number"] = (
                "The publication being served (0: none).",
                model.number,
            )
            age = publication_age(model)
            if age is not None:
                gauges["opensor_publication_age_seconds"] = (
                    "Seconds since the served publication was made.",
                    round(age, 3),
                )
        text = self.metrics.render(gauges)
        return StoredResponse(text.encode(), _NO_STORE, media_type=b"text/plain; version=0.0.4")


def _refused(caller: Caller, name: str) -> Response:
    """``401``/``403`` for a file with personal fields, as the history guard answers them."""
    status, title, challenge = scope_refusal(caller, PERSONAL_DATA)
    if status == 401:
        detail = (
            f"{name} holds the personal fields of sole proprietorships: it needs a token with "
            f"the scope '{PERSONAL_DATA}' from the protected channel; sortree.xml is the public "
            "SorTree file"
        )
    else:
        detail = (
            f"the client's token lacks the scope '{PERSONAL_DATA}' needed for {name}, which "
            "holds the personal fields of sole proprietorships"
        )
    body = dump_json({"type": "about:blank", "title": title, "status": status, "detail": detail})
    headers = [(b"cache-control", b"no-store"), (b"www-authenticate", challenge)]
    return StoredResponse(body, headers, status, media_type=b"application/problem+json")
