"""The common navigation (links to the change requests per role) and the CSRF failure page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _nav(html: str) -> str:
    found = re.search(r'<nav class="user".*?</nav>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("practice", 'id="nav-requests" href="/manage/requests/"', 'id="nav-queue"'),
        ("authority", 'id="nav-queue" href="/manage/requests/queue/"', 'id="nav-requests"'),
        ("region", "Log ud", "/manage/requests/"),
        ("municipality", "Log ud", "/manage/requests/"),
    ],
)
def test_the_navigation_links_each_role_to_its_requests(
    login: Any, name: str, present: str, absent: str
) -> None:
    nav = _nav(login(name).get("/manage/").content.decode())
    assert present in nav
    assert absent not in nav
    assert f'<span class="who">{name}</span>' in nav


def test_the_request_pages_use_the_common_navigation(login: Any) -> None:
    practice = _nav(login("practice").get("/manage/requests/").content.decode())
    assert 'id="nav-requests" href="/manage/requests/" aria-current="page"' in practice
    assert "Log ud" in practice
    worker = _nav(login("authority").get("/manage/requests/queue/").content.decode())
    assert 'id="nav-queue" href="/manage/requests/queue/" aria-current="page"' in worker
    assert "Log ud" in worker


def test_the_links_are_translated(login: Any) -> None:
    client = login("practice")
    client.cookies["django_language"] = "en"
    assert ">My requests</a>" in _nav(client.get("/manage/").content.decode())


def test_a_refused_form_gets_a_danish_page_without_inline_code(users: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/manage/login/", {"username": "region", "password": PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Formularen blev ikke sendt</h1>" in html
    assert "genindlæs siden og prøv igen" in html
    assert 'href="/manage/"' in html  # the way back to the front page
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # scripts come from files only
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "CSRF token" not in html  # Django's technical reason stays out of the page


def test_the_refusal_page_speaks_english_too(users: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/manage/login/", {"username": "region", "password": PASSWORD})
    assert response.status_code == 403
    assert "<h1>The form was not sent</h1>" in response.content.decode()


def test_a_logged_in_user_refused_by_the_csrf_check_keeps_the_navigation(
    login: Any, world: dict[str, Any]
) -> None:
    client = login("practice")
    response = client.post(
        "/manage/requests/new/unit_update/", {"unit": str(world["practice_unit"].sor_id)}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Formularen blev ikke sendt" in html
    assert 'id="nav-requests"' in _nav(html)
