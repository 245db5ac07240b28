"""``sor serve`` as a real server process on a loopback port."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from opensor.publication.store import PublicationStore


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opensor.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--server",
            server,
            "--publications",
            str(demo_store.root),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = _get(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"sor serve did not start:\n{output}")
                time.sleep(0.2)
        assert status == 200
        assert json.loads(body)["publication"] == 2
        status, headers, body = _get(f"{base}/api/v1/units/{sor_id}")
        assert status == 200
        assert body == doc
        assert headers["content-type"] == "application/json"
        status, headers, body = _get(f"{base}/api/v1/units/8341000016002")
        assert status == 404
        assert headers["content-type"] == "application/problem+json"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()
