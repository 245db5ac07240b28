"""The one pure-ASGI middleware of the lookup service: request pinning and metrics.

For every HTTP request it

* starts pinning (:func:`~opensor.lookup.readmodel.begin_request`), so whatever publication
  the request reads stays open and the same until the response is sent, and releases it after;
* counts the request by route template and status and records its latency in a histogram,
  which ``/metrics`` renders in the Prometheus text format.

Counters live in the worker process; with several workers each scrape answers for the worker
that served it, and every series carries that worker's ``pid``.
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opensor.lookup.readmodel import begin_request, end_request

__all__ = ["LATENCY_BUCKETS", "FastPath", "Metrics", "RequestMiddleware"]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds (seconds) of the latency histogram's buckets."""


class _Series:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.count = 0
        self.total = 0.0


class Metrics:
    """Request counters and latency histograms of one worker process."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[str, _Series] = {}
        self.pid = str(os.getpid())

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Record one answered request."""
        key = (route, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        series = self.latency.get(route)
        if series is None:
            series = self.latency[route] = _Series()
        series.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        series.count += 1
        series.total += seconds

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The Prometheus text exposition of the counters plus ``gauges`` (name → help, value)."""
        pid = self.pid
        lines = [
            "# HELP opensor_http_requests_total Requests answered, by route template and status.",
            "# TYPE opensor_http_requests_total counter",
        ]
        for (route, status), count in sorted(self.requests.items()):
            lines.append(
                f'opensor_http_requests_total{{route="{_esc(route)}",status="{status}",'
                f'pid="{pid}"}} {count}'
            )
        lines += [
            "# HELP opensor_http_request_duration_seconds Time to answer a request, by route.",
            "# TYPE opensor_http_request_duration_seconds histogram",
        ]
        for route, series in sorted(self.latency.items()):
            labels = f'route="{_esc(route)}",pid="{pid}"'
            cumulative = 0
            for bound, count in zip(LATENCY_BUCKETS, series.buckets, strict=False):
                cumulative += count
                lines.append(
                    f'opensor_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} '
                    f"{cumulative}"
                )
            lines.append(
                f'opensor_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {series.count}'
            )
            lines.append(f"opensor_http_request_duration_seconds_sum{{{labels}}} {series.total}")
            lines.append(f"opensor_http_request_duration_seconds_count{{{labels}}} {series.count}")
        for name, (help_text, value) in gauges.items():
            lines += [
                f"# HELP {name} {help_text}",
                f"# TYPE {name} gauge",
                f'{name}{{pid="{pid}"}} {value}',
            ]
        return "\n".join(lines) + "\n"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _route_label(scope: Scope) -> str:
    route: Any = scope.get("route")
    if route is None:
        return "unmatched"
    path: str = getattr(route, "path", "") or ""
    root: str = scope.get("root_path", "") or ""
    return root + path


FastPath = Callable[[Scope, Send], Awaitable[bool]]
"""Answers a request directly if it can (``True``), else leaves it to the application."""


class RequestMiddleware:
    """Pins the publication a request reads and records the request in :class:`Metrics`.

    ``fast_paths`` maps a path prefix to ``(handler, route label)``: a GET of a path under
    the prefix is first offered to the handler, which may answer it without the framework's
    routing (the read of a unit by SOR-ID, the hot path); whatever it declines (anything but a
    plain hit) goes through the application as usual, so errors look the same either way.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        fast_paths: dict[str, tuple[FastPath, str]] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.fast_paths = dict(fast_paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection (only HTTP requests are pinned and counted)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        pins, token = begin_request()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        label = None
        try:
            if self.fast_paths and scope["method"] == "GET":
                path: str = scope["path"]
                for prefix, (handler, route) in self.fast_paths.items():
                    if path.startswith(prefix) and await handler(scope, send_wrapper):
                        label = route
                        return
            await self.app(scope, receive, send_wrapper)
        finally:
            end_request(pins, token)
            self.metrics.observe(
                label or _route_label(scope), status, time.perf_counter() - started
            )
