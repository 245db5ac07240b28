"""The maintainers' pages through Django's test client: login, scope, edits and refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from opensor.register.audit.models import AuditEvent
from opensor.register.maintenance.versions import location_timeline, unit_timeline
from opensor.register.units.selectors import location_number_owned_on, unit_on
from opensor.register.web.common import today
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CLINICAL = "550851000005109"
ADVICE = "urn:dk:healthcare:medcom:messaging:edifact:contrl:ctl03:c0330q"


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    """POST a form with the client's CSRF token, as the browser does."""
    return client.post(url, {**data, "csrfmiddlewaretoken": client.csrf})  # type: ignore[attr-defined]


def test_every_page_needs_a_login(world: dict[str, Any]) -> None:
    client = Client()
    for url in ("/manage/", f"/manage/units/{world['department'].sor_id}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/manage/login/?next=")


def test_a_wrong_password_is_refused_in_danish(users: dict[str, Any]) -> None:
    response = Client().post("/manage/login/", {"username": "region", "password": "forkert"})
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode" in response.content.decode()


def test_repeated_failures_lock_the_name_out_even_for_the_right_password(
    users: dict[str, Any],
) -> None:
    client = Client()
    for _ in range(5):
        client.post("/manage/login/", {"username": "region", "password": "forkert"})
    response = client.post("/manage/login/", {"username": "region", "password": PASSWORD})
    assert response.status_code == 429
    assert "spærret efter for mange mislykkede forsøg" in response.content.decode()


def test_forms_without_the_csrf_token_are_refused(users: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/manage/login/", {"username": "region", "password": PASSWORD})
    assert response.status_code == 403


def test_edits_without_the_csrf_token_are_refused(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    department = world["department"]
    url = f"/manage/units/{department.sor_id}/edit/basis/"
    response = client.post(
        url, {"name": "Uden token", "etag": unit_timeline(department.sor_id).etag()}
    )
    assert response.status_code == 403
    assert unit_on(department.sor_id, today()).name == "Akutafdeling"


def test_pages_carry_the_strict_headers(login: Any) -> None:
    response = login("region").get("/manage/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert 'style="' not in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_the_home_tree_shows_only_the_users_own_trees(login: Any, world: dict[str, Any]) -> None:
    region_page = login("region").get("/manage/").content.decode()
    assert "Region Sjælland" in region_page
    assert "Køge Kommune" not in region_page
    assert "Region Syddanmark" not in region_page
    authority_page = login("authority").get("/manage/").content.decode()
    assert "Køge Kommune" in authority_page and "Region Syddanmark" in authority_page


def test_search_finds_units_in_scope_by_name_sor_id_and_shak(
    login: Any, world: dict[str, Any]
) -> None:
    region = login("region")
    department = world["department"]
    for query in ("akut", str(department.sor_id), "38000"):
        page = region.get("/manage/", {"q": query}).content.decode()
        assert f"/manage/units/{department.sor_id}/" in page, query
    fragment = region.get(
        "/manage/", {"q": "akut"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in fragment.content.decode()
    assert "Akutafdeling" in fragment.content.decode()
    municipality = login("municipality").get("/manage/", {"q": "akut"}).content.decode()
    assert f"/manage/units/{department.sor_id}/" not in municipality
    assert "Ingen enheder i dit ansvarsområde" in municipality


def test_the_unit_page_marks_inherited_values_and_offers_only_allowed_actions(
    login: Any, world: dict[str, Any]
) -> None:
    section = world["section"]
    page = login("region").get(f"/manage/units/{section.sor_id}/").content.decode()
    assert "nedarvet fra" in page
    assert f"/manage/units/{section.sor_id}/edit/basis/" in page
    hospital = world["hospital"]
    page = login("region").get(f"/manage/units/{hospital.sor_id}/").content.decode()
    assert f"/manage/units/{hospital.sor_id}/edit/basis/" not in page
    assert "Du kan ikke rette enheden" in page


def test_a_region_maintainer_renames_a_department(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    department = world["department"].sor_id
    url = f"/manage/units/{department}/edit/basis/"
    etag = unit_timeline(department).etag()
    response = post(
        client,
        url,
        {"name": "Akutmodtagelsen", "etag": etag, "shak": "380001", "unit_type": CLINICAL},
    )
    assert response.status_code == 302, response.content.decode()
    assert unit_on(department, today()).name == "Akutmodtagelsen"
    page = client.get(response["Location"]).content.decode()
    assert "efter næste publicering" in page
    assert "Akutmodtagelsen" in page
    event = AuditEvent.objects.filter(target_type="unit", target_id=str(department)).last()
    assert event.client == "web" and event.actor == "region" and event.changed == ["name"]


def test_a_future_dated_change_is_listed_as_coming(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    department = world["department"].sor_id
    etag = unit_timeline(department).etag()
    post(
        client,
        f"/manage/units/{department}/edit/basis/",
        {
            "name": "Fælles Akutmodtagelse",
            "etag": etag,
            "effective": "2999-01-01",
            "shak": "380001",
            "unit_type": CLINICAL,
        },
    )
    assert unit_on(department, today()).name == "Akutafdeling"
    page = client.get(f"/manage/units/{department}/").content.decode()
    assert "Fra 2999-01-01: Fælles Akutmodtagelse" in page


def test_invalid_values_come_back_beside_their_fields_in_danish(
    login: Any, world: dict[str, Any]
) -> None:
    client = login("region")
    department = world["department"].sor_id
    etag = unit_timeline(department).etag()
    response = post(client, f"/manage/units/{department}/edit/basis/", {"name": "", "etag": etag})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="f-name-error">skal udfyldes' in page
    response = post(
        client,
        f"/manage/units/{department}/edit/addresses/",
        {"postal_address.street_name": "Lykkebækvej", "etag": etag},
    )
    assert response.status_code == 422
    # The first missing part of the address is named (building, postcode or town).
    assert re.search(
        r'id="f-postal-address-(building|postcode|district)-error">skal udfyldes',
        response.content.decode(),
    )
    assert unit_timeline(department).etag() == etag


def test_a_stale_form_is_refused_and_says_reload(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    department = world["department"].sor_id
    stale = unit_timeline(department).etag()
    post(client, f"/manage/units/{department}/edit/basis/", {"name": "Første", "etag": stale})
    response = post(
        client, f"/manage/units/{department}/edit/basis/", {"name": "Anden", "etag": stale}
    )
    assert response.status_code == 412
    assert "ændret af en anden" in response.content.decode()
    assert unit_on(department, today()).name == "Første"


def test_forms_outside_the_scope_are_not_even_shown(login: Any, world: dict[str, Any]) -> None:
    client = login("municipality")
    department = world["department"].sor_id
    for path in (
        f"/manage/units/{department}/edit/basis/",
        f"/manage/units/{department}/move/",
        f"/manage/units/{department}/close/",
        f"/manage/units/{department}/new-child/",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert 'id="refusal"' in response.content.decode()
    assert login("region").get(f"/manage/units/{department}/move/").status_code == 200


def test_a_write_outside_the_scope_gets_the_danish_reason(
    login: Any, world: dict[str, Any]
) -> None:
    client = login("municipality")
    department = world["department"].sor_id
    etag = unit_timeline(department).etag()
    response = post(client, f"/manage/units/{department}/edit/basis/", {"name": "X", "etag": etag})
    assert response.status_code == 403
    assert 'id="refusal"' in response.content.decode()
    assert unit_on(department, today()).name == "Akutafdeling"


def test_a_region_maintainer_adds_a_message_type(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    department = world["department"].sor_id
    number = location_number_owned_on(department, today())
    response = post(
        client,
        f"/manage/units/{department}/location-number/",
        {
            "action": "update",
            "etag": location_timeline(number.gln).etag(),
            "message_types": [*number.message_types, ADVICE],
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert ADVICE in location_number_owned_on(department, today()).message_types


def test_a_municipality_maintainer_is_refused_location_number_changes(
    login: Any, world: dict[str, Any]
) -> None:
    client = login("municipality")
    care_unit = world["care_unit"].sor_id
    page = client.get(f"/manage/units/{care_unit}/location-number/").content.decode()
    assert 'id="refusal"' in page and "Du kan ikke ændre lokationsnummeret" in page
    assert 'id="save-location"' not in page
    number = location_number_owned_on(care_unit, today())
    response = post(
        client,
        f"/manage/units/{care_unit}/location-number/",
        {
            "action": "update",
            "etag": location_timeline(number.gln).etag(),
            "message_types": [ADVICE],
        },
    )
    assert response.status_code == 403
    assert location_number_owned_on(care_unit, today()).message_types == number.message_types


def test_closing_a_unit_with_open_children_is_refused_unless_they_go_too(
    login: Any, world: dict[str, Any]
) -> None:
    client = login("region")
    department = world["department"].sor_id
    url = f"/manage/units/{department}/close/"
    response = post(client, url, {"etag": unit_timeline(department).etag(), "children": "refuse"})
    assert response.status_code == 409
    response = post(client, url, {"etag": unit_timeline(department).etag(), "children": "close"})
    assert response.status_code == 302
    assert unit_on(department, today()) is None
    assert unit_on(world["section"].sor_id, today()) is None


def test_a_region_maintainer_creates_a_section(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    department = world["department"].sor_id
    response = post(
        client,
        f"/manage/units/{department}/new-child/",
        {"name": "Akutklinik Nord", "unit_type": "550851000005109"},
    )
    assert response.status_code == 302, response.content.decode()
    new_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    created = unit_on(new_id, today())
    assert created.name == "Akutklinik Nord" and created.parent_sor_id == department


def test_the_pages_switch_to_english(login: Any, world: dict[str, Any]) -> None:
    client = login("region")
    response = post(client, "/manage/language/", {"language": "en", "next": "/manage/"})
    assert response.status_code == 302
    page = client.get("/manage/").content.decode()
    assert '<html lang="en">' in page
    assert "My units" in page
