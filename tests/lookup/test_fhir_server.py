"""The FHIR API served by a real server process (`sor serve`) on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.domain.test_fhir_strict import assert_strict_fhir
from tests.servers import running_sor_serve

from opensor.publication.store import PublicationStore


@pytest.fixture(scope="module")
def server(demo_store: PublicationStore) -> Iterator[str]:
    with running_sor_serve(demo_store.root, server="uvicorn") as base:
        yield base


def test_a_real_server_reads_pages_and_batches(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        statement = assert_strict_fhir(client.get("/fhir/metadata").json())
        assert statement["implementation"]["url"] == f"{server}/fhir"
        page = assert_strict_fhir(client.get("/fhir/Organization?_count=2").json())
        entry = page["entry"][0]
        assert entry["fullUrl"] == f"{server}/fhir/Organization/{entry['resource']['id']}"
        next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
        assert next_url.startswith(f"{server}/fhir/Organization?")
        second = assert_strict_fhir(client.get(next_url).json())
        assert int(second["entry"][0]["resource"]["id"]) > int(entry["resource"]["id"])
        read = client.get(entry["fullUrl"])
        assert read.headers["content-type"].startswith("application/fhir+json")
        assert read.status_code == 200 and read.headers["etag"].startswith('W/"')
        assert (
            client.get(
                entry["fullUrl"], headers={"If-None-Match": read.headers["etag"]}
            ).status_code
            == 304
        )
        batch = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"request": {"method": "GET", "url": entry["fullUrl"]}}],
        }
        answer = client.post(
            "/fhir/", json=batch, headers={"Content-Type": "application/fhir+json"}
        )
        bundle = assert_strict_fhir(answer.json())
        assert bundle["entry"][0]["response"]["status"] == "200 OK"
