"""Public register browser speed: search-as-you-type fragments, unit page weight, first render.

    python -m bench.public_web_bench --scale 10
    python -m bench.public_web_bench --home /tmp/sor-bench-web-xxxx   # reuse a published register

Builds the demo register at SCALE in a fresh SQLite home (or reuses --home, publishing it only
if it has no publication yet), then against the current publication:

* **fragment**: the server time of the search page's htmx fragment (``GET /?q=…`` with
  ``HX-Request``), measured in-process around the ASGI application (the request handed to the
  app until its last body byte, no network), over a typing mix: every prefix (from 1 letter)
  of the first word and the first two words of random unit names, half of them typed with
  the Danish letters folded (ø → oe), plus SHAK codes, GLNs and SOR-IDs; the order is
  shuffled; ``--warmup`` requests first. A prefix typed again (by another user) finds the
  exact count of its matches memoised for the publication, so the p95 of the queries seen
  for the first time is reported too;
* **unit page weight**: HTML plus every CSS and JS file it references, as transferred (no
  compression), over ``--pages`` random units and the unit with the most children;
* **first render**: ``sor serve --only lookup`` on a free loopback port and headless Chromium
  (Debian's, through Playwright): each of ``--pages`` unit pages is opened in a fresh context
  (cold cache) and its First Contentful Paint and load event read from the Performance API.

Prints the figures and saves them as JSON under bench/out/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench._harness import fresh_home, remove_home, run_sor, write_result

__all__ = ["main"]

CHROMIUM = os.environ.get("SOR_CHROMIUM", "/usr/bin/chromium")
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def typing_mix(connection: sqlite3.Connection, rng: random.Random, names: int) -> list[str]:
    """Query strings as a user types them: prefixes of names, folded or not, and codes."""
    queries: list[str] = []
    rows = connection.execute(
        "SELECT name, shak, gln, sor_id FROM unit_summary ORDER BY random() LIMIT ?", (names,)
    ).fetchall()
    for name, shak, gln, sor_id in rows:
        words = name.split()
        text = " ".join(words[:2])
        if rng.random() < 0.5:
            text = text.translate(_FOLD)
        queries += [text[:n] for n in range(1, len(text) + 1) if not text[:n].endswith(" ")]
        for code in (shak, gln, str(sor_id)):
            if code and rng.random() < 0.3:
                queries += [code[:n] for n in range(4, len(code) + 1, 3)]
    rng.shuffle(queries)
    return queries


async def _asgi_get(app: Any, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> int:
    """One GET through the ASGI application; the response status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    return status


def fragment_times(store_root: Path, queries: list[str], warmup: int) -> dict[str, float]:
    """Server time of the search fragment for each query (in-process, see module doc)."""
    from opensor.lookup.app import create_app
    from opensor.publication.store import PublicationStore

    app = create_app(PublicationStore(store_root))
    headers = [(b"hx-request", b"true")]

    first_times: list[float] = []

    async def measure() -> tuple[list[float], int]:
        times, bad, seen = [], 0, set()
        for index, text in enumerate(queries):
            query = urllib.parse.urlencode({"q": text})
            started = time.perf_counter()
            status = await _asgi_get(app, "/", query, headers)
            elapsed = time.perf_counter() - started
            bad += status != 200
            if index >= warmup:
                times.append(elapsed * 1000)
                if text not in seen:
                    first_times.append(elapsed * 1000)
            seen.add(text)
        return times, bad

    times, bad = asyncio.run(measure())
    return {
        "first_time_queries": len(first_times),
        "first_time_p95_ms": round(percentile(first_times, 0.95), 2),
        "requests": len(times),
        "non_200": bad,
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "max_ms": round(max(times), 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def fetch(url: str) -> bytes:
    """The body of ``url``."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def wait_http(url: str, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fetch(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def page_weights(base: str, ids: list[int]) -> dict[str, Any]:
    """Bytes of each unit page plus its CSS and JS, as transferred."""
    totals = []
    assets: dict[str, int] = {}
    for sor_id in ids:
        html = fetch(f"{base}/units/{sor_id}")
        total = len(html)
        for asset in re.findall(rb'(?:src|href)="(/static/[^"]+)"', html):
            url = asset.decode().replace("&amp;", "&")
            if url not in assets:
                assets[url] = len(fetch(base + url))
            total += assets[url]
        totals.append(total)
    return {
        "pages": len(totals),
        "median_bytes": statistics.median(totals),
        "max_bytes": max(totals),
        "assets_bytes": sum(assets.values()),
    }


def first_renders(base: str, ids: list[int]) -> dict[str, float]:
    """First Contentful Paint and load time of unit pages in headless Chromium (cold cache)."""
    from playwright.sync_api import sync_playwright

    paints, loads = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        warm = browser.new_context()
        warm.new_page().goto(f"{base}/units/{ids[0]}")  # start the renderer once
        warm.close()
        for sor_id in ids:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/units/{sor_id}", wait_until="load")
            figures = page.evaluate(
                "() => { const p = performance.getEntriesByName('first-contentful-paint')[0];"
                " const n = performance.getEntriesByType('navigation')[0];"
                " return [p ? p.startTime : null, n.loadEventEnd]; }"
            )
            if figures[0] is not None:
                paints.append(figures[0])
            loads.append(figures[1])
            context.close()
        browser.close()
    return {
        "pages": len(loads),
        "fcp_median_ms": round(statistics.median(paints), 1),
        "fcp_p95_ms": round(percentile(paints, 0.95), 1),
        "fcp_max_ms": round(max(paints), 1),
        "load_median_ms": round(statistics.median(loads), 1),
        "load_max_ms": round(max(loads), 1),
    }


def main() -> None:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--home", type=Path, default=None, help="reuse this SOR_HOME")
    parser.add_argument("--names", type=int, default=150, help="names typed letter by letter")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--pages", type=int, default=30, help="unit pages weighed and rendered")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the register afterwards")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    if args.home is not None:
        env = dict(os.environ, SOR_HOME=str(args.home.resolve()))
        env.pop("SOR_DATABASE_URL", None)
    else:
        env = fresh_home("web")
        run_sor(["init"], env)
        demo = run_sor(["demo", "--scale", str(args.scale), "--seed", "1"], env)
        print(f"demo scale {args.scale}: {demo.seconds:.1f} s", flush=True)
    env.pop("SOR_PUBLICATIONS", None)
    store_root = Path(env["SOR_HOME"]) / "publications"
    if not (store_root / "current").exists():
        publish = run_sor(["publish"], env)
        print(f"sor publish: {publish.seconds:.1f} s", flush=True)
    read_model = (store_root / "current").resolve() / "readmodel.sqlite"
    connection = sqlite3.connect(f"file:{read_model}?mode=ro", uri=True)
    (units,) = connection.execute("SELECT count(*) FROM unit").fetchone()
    queries = typing_mix(connection, rng, args.names)
    ids = [
        row[0]
        for row in connection.execute(
            "SELECT sor_id FROM unit_summary ORDER BY random() LIMIT ?", (args.pages,)
        )
    ]
    heaviest = connection.execute(
        "SELECT parent_sor_id FROM unit_summary WHERE parent_sor_id IS NOT NULL "
        "GROUP BY parent_sor_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    connection.close()
    print(f"{units} units; {len(queries)} typed queries; {len(ids)} unit pages", flush=True)

    fragment = fragment_times(store_root, queries, args.warmup)
    print(f"search fragment: {fragment}", flush=True)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    serve = subprocess.Popen(
        [sys.executable, "-m", "opensor.cli", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--workers", "1", "--only", "lookup", "--publications", str(store_root)],
        env=env,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz")
        weights = page_weights(base, ids)
        weights["most_children_unit"] = heaviest
        weights["most_children_bytes"] = page_weights(base, [heaviest])["max_bytes"]
        print(f"unit page weight: {weights}", flush=True)
        renders = first_renders(base, ids)
        print(f"first render: {renders}", flush=True)
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()

    figures: dict[str, object] = {
        "scale": args.scale if args.home is None else None,
        "units": units,
        "search_fragment_server_time": fragment,
        "unit_page_weight": weights,
        "unit_page_first_render": renders,
        "targets": {"fragment_p95_ms": 30, "unit_page_bytes": 50_000, "first_render_ms": 1000},
    }
    if args.home is None and not args.keep:
        remove_home(env)
    elif args.home is None:
        print(f"register kept in {env['SOR_HOME']}", file=sys.stderr)
    label = f"scale-{args.scale:g}" if args.home is None else f"{units}-units"
    print(write_result(f"public-web-{label}", figures).read_text())


if __name__ == "__main__":
    main()
