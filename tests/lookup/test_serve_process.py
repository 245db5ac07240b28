"""``sor serve`` as a real server process on a loopback port."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request

import pytest
from tests.servers import running_sor_serve

from opensor.publication.store import PublicationStore


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_sor_serve_answers_over_http(demo_store: PublicationStore, server: str):
    publication = demo_store.current()
    model = sqlite3.connect(f"file:{publication.read_model_path}?mode=ro", uri=True)
    sor_id, doc = model.execute("SELECT sor_id, doc FROM unit LIMIT 1").fetchone()
    model.close()
    with running_sor_serve(demo_store.root, workers=2, server=server) as base:
        status, _, body = _get(f"{base}/healthz")
        assert status == 200
        assert json.loads(body)["publication"] == 2
        status, headers, body = _get(f"{base}/api/v1/units/{sor_id}")
        assert status == 200
        assert body == doc
        assert headers["content-type"] == "application/json"
        status, headers, body = _get(f"{base}/api/v1/units/8341000016002")
        assert status == 404
        assert headers["content-type"] == "application/problem+json"
