"""``sor user`` and ``sor token`` against a served register, and what ``sor serve`` serves.

Tokens made with the CLI work over HTTP at once and stop working when revoked; one port serves
the lookup service, the register and its static files; ``--only`` serves one part.
"""

from __future__ import annotations

import httpx
import pytest

from tests.servers import running_sor_serve


def test_a_user_added_and_given_a_token_on_the_command_line_can_write(server):
    added = server.sor(
        "user", "add", "carol", "--role", "region:1085", "--password-stdin", input="s3cret-pass\n"
    )
    assert added.returncode == 0, added.stderr
    created = server.sor("token", "create", "carol", "--label", "carol-script")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("sor_") and "\n" not in token
    listed = server.sor("user", "list")
    assert "carol\tregion:1085\t1 token(s)\tactive" in listed.stdout

    path = f"/units/{server.ids['section']}"
    with server.client(token=token) as client:
        etag = client.get(path).headers["ETag"]
        written = client.patch(
            path, json={"changes": {"name": "Akutklinik C"}}, headers={"If-Match": etag}
        )
        assert written.status_code == 200, written.text
        event = client.get("/audit?limit=1").json()["events"][0]
        assert (event["actor"], event["client"]) == ("carol", "api:carol-script")

        revoked = server.sor("token", "revoke", token[:12])
        assert revoked.returncode == 0, revoked.stderr
        assert client.get(path).status_code == 401


def test_user_add_refuses_an_unknown_role_and_a_taken_name(server):
    bad_role = server.sor("user", "add", "dave", "--role", "emperor")
    taken = server.sor("user", "add", "region", "--role", "region:1085")
    assert (bad_role.returncode, taken.returncode) == (2, 2)
    assert "exists already" in taken.stderr
    assert "dave" not in server.sor("user", "list").stdout


def test_token_revoke_of_an_unknown_prefix_fails(server):
    result = server.sor("token", "revoke", "sor_nothing-like-this")
    assert result.returncode == 1


def test_one_port_serves_the_lookup_service_the_register_and_its_static_files(server):
    with httpx.Client(base_url=server.base, timeout=30) as client:
        css = client.get("/manage/static/web/site.css")
        htmx = client.get("/manage/static/web/htmx.min.js")
        missing = client.get("/manage/static/web/nothing.css")
        escape = client.get("/manage/static/../../settings.py")
        health = client.get("/healthz")
        api = client.get("/api/v1/register/openapi.json")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert htmx.status_code == 200
    assert missing.status_code == 404
    assert escape.status_code == 404
    assert health.status_code == 503  # the lookup service: no publication made yet
    assert health.json()["status"] == "unavailable"
    assert api.status_code == 200


@pytest.mark.parametrize(
    ("only", "register_status", "lookup_status"),
    [("register", 200, 404), ("lookup", 404, 503)],
)
def test_serve_only_one_part(server, tmp_path, only, register_status, lookup_status):
    ready = "/api/v1/register/openapi.json" if only == "register" else "/api/v1/docs"
    with (
        running_sor_serve(
            tmp_path / "publications", env=server.env, args=["--only", only], ready_path=ready
        ) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        assert client.get("/api/v1/register/openapi.json").status_code == register_status
        assert client.get("/healthz").status_code == lookup_status
