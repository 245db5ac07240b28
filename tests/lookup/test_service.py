"""The service as a whole: OpenAPI and docs, problems, health, metrics, switching publications."""

from __future__ import annotations

import os
import re

from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.store import PublicationStore

SAMPLES = {
    "sorId": "100000011000016000",
    "code": "8001",
    "gln": "5790090000015",
    "number": "2",
    "name": "units.json",
}


def test_the_openapi_document_describes_every_route(client: TestClient):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    routes = {
        route.path
        for route in client.app.routes
        if isinstance(route, Route)  # type: ignore[attr-defined]
    }
    assert set(spec["paths"]) == routes
    for path, item in spec["paths"].items():
        operation = item["get"]
        assert operation["summary"] and operation["description"], path
        names_in_path = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert names_in_path == declared, path
        for response in operation["responses"].values():
            for content in response.get("content", {}).values():
                ref = content["schema"].get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[-1] in spec["components"]["schemas"]


def test_each_endpoint_takes_exactly_the_query_parameters_described(client: TestClient):
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        url = path
        for name, value in SAMPLES.items():
            url = url.replace("{" + name + "}", value)
        described = sorted(p["name"] for p in item["get"]["parameters"] if p["in"] == "query")
        response = client.get(url, params={"no_such_parameter": "1"})
        assert response.status_code == 400, path
        problem = response.json()
        assert problem["type"] == "/api/v1/docs#problem-unknown-parameter"
        assert problem["parameter"] == "no_such_parameter"
        assert problem["allowed"] == described, path


def test_the_docs_page_loads_nothing_from_elsewhere(client: TestClient):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    for path in client.get("/api/v1/openapi.json").json()["paths"]:
        assert path in html
    for anchor in ("problem-invalid-parameter", "problem-not-found", "routing"):
        assert f'id="{anchor}"' in html


def test_errors_are_problem_documents(client: TestClient):
    unknown = client.get("/api/v1/nothing")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["title"] == "Not found"
    post = client.post("/api/v1/units")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"
    assert post.json()["type"] == "/api/v1/docs#problem-method-not-allowed"


def test_healthz_and_metrics(client: TestClient):
    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["publication"] == 2
    assert body["age_seconds"] >= 0
    client.get("/api/v1/units/100000011000016000")
    client.get("/api/v1/units/8341000016002")
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert re.search(
        r'opensor_http_requests_total\{route="/api/v1/units/\{sorId\}",status="200",pid="\d+"\} 1',
        text,
    )
    assert 'route="/api/v1/units/{sorId}",status="404"' in text
    assert "# TYPE opensor_http_request_duration_seconds histogram" in text
    assert 'opensor_http_request_duration_seconds_bucket{route="/api/v1/units/{sorId}"' in text
    assert re.search(r'opensor_publication_number\{pid="\d+"\} 2', text)
    assert "opensor_publication_age_seconds" in text


def test_no_publication_yet_is_503_everywhere_but_the_docs(tmp_path):
    with TestClient(create_app(PublicationStore(tmp_path / "none"))) as client:
        for url in ("/api/v1/units", "/api/v1/units/100000011000016000", "/api/v1/changes"):
            response = client.get(url)
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert "sor publish" in response.json()["detail"]
            assert response.headers["retry-after"] == "60"
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz").json()["status"] == "unavailable"
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/api/v1/docs").status_code == 200
        assert "opensor_publication_number" in client.get("/metrics").text


def test_a_new_publication_is_served_as_soon_as_current_moves(store_copy: PublicationStore):
    root = store_copy.root
    os.replace(root / "current", root / "current.bak")
    os.symlink("000001", root / "current")
    settings = LookupSettings(check_interval=0.0)
    with TestClient(create_app(store_copy, settings=settings)) as client:
        assert client.get("/healthz").json()["publication"] == 1
        assert client.get("/api/v1/publications/latest").json()["number"] == 1
        os.replace(root / "current.bak", root / "current")
        assert client.get("/healthz").json()["publication"] == 2
        assert client.get("/api/v1/publications/latest").json()["number"] == 2


def test_the_app_is_composable(demo_store: PublicationStore):
    app = create_app(demo_store)
    assert not any(isinstance(r, Mount) and r.path == "/" for r in app.routes)

    async def hello(request):
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("hello")

    app.router.routes.append(Route("/hello", hello))
    with TestClient(app) as client:
        assert client.get("/hello").text == "hello"
        assert client.get("/healthz").status_code == 200
