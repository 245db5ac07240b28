"""A small HTTP client for the mirror: standard library only, timeouts, retries with backoff.

Every failure is a :class:`MirrorError` naming the URL and, for an HTTP error, the status and
the service's problem ``detail``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HttpClient", "MirrorError"]

_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class MirrorError(RuntimeError):
    """The mirror cannot go on: a request failed, a download is wrong, or the proof failed."""


class HttpClient:
    """GET requests against one lookup service, retried with exponential backoff."""

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, retries: int = 4, backoff: float = 0.5
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (a path starting with ``/``, or an absolute URL)."""
        return path if "://" in path else self.base_url + path

    def _open(self, url: str) -> Any:
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": "opensor-mirror"}
        )
        attempt = 0
        while True:
            try:
                return urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as error:
                body = error.read()
                error.close()
                if error.code in _RETRY_STATUSES and attempt < self.retries:
                    pass
                else:
                    raise MirrorError(
                        f"GET {url} answered {error.code} {error.reason}{_detail(body)}"
                    ) from None
                reason = f"{error.code} {error.reason}"
            except (urllib.error.URLError, OSError) as error:
                reason = str(getattr(error, "reason", error))
                if attempt >= self.retries:
                    raise MirrorError(
                        f"GET {url} failed after {attempt + 1} attempts: {reason}"
                    ) from None
            time.sleep(self.backoff * 2**attempt)
            attempt += 1
            del reason

    def get_json(self, path: str) -> Any:
        """The JSON body of ``GET path``."""
        url = self.url(path)
        with self._open(url) as response:
            body = response.read()
        try:
            return json.loads(body)
        except ValueError as error:
            raise MirrorError(f"GET {url} did not answer JSON: {error}") from None

    def download(
        self,
        path: str,
        target: Path,
        *,
        size: int,
        sha256: str,
        progress: Callable[[int], None] | None = None,
    ) -> Path:
        """Download ``path`` to ``target``, refusing it unless its size and SHA-256 match.

        The file is written as ``target.part`` and renamed only once it is verified.
        """
        url = self.url(path)
        part = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        received = 0
        with self._open(url) as response, part.open("wb") as handle:
            while chunk := response.read(1 << 20):
                handle.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received)
        actual = digest.hexdigest()
        if received != size or actual != sha256:
            part.unlink(missing_ok=True)
            raise MirrorError(
                f"GET {url}: refused the download, it does not match the manifest "
                f"(size {received:,} bytes, SHA-256 {actual}; the manifest says {size:,} "
                f"bytes, SHA-256 {sha256})"
            )
        os.replace(part, target)
        return target


def _detail(body: bytes) -> str:
    try:
        problem = json.loads(body)
    except ValueError:
        text = body.decode(errors="replace").strip()
        return f": {text[:200]}" if text else ""
    if isinstance(problem, dict) and problem.get("detail"):
        return f": {problem['detail']}"
    return ""
