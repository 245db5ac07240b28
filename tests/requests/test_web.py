"""The request pages through Django's test client, with CSRF checks on."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opensor.register.requests.models import ChangeRequest, RequestEvent
from tests.requests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(users: dict[str, Any]) -> Any:
    """A client logged in as the named user through the login form (CSRF enforced)."""

    def run(name: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.get("/manage/login/")
        username = users[name].get_username()
        response = client.post(
            "/manage/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert response.status_code == 302, response.content.decode()[:1000]
        return client

    return run


def post(client: Client, path: str, data: dict[str, Any], **extra: Any):
    token = client.cookies["csrftoken"].value
    return client.post(path, {**data, "csrfmiddlewaretoken": token}, **extra)


def address_form(world: dict[str, Any], **changes: str) -> dict[str, str]:
    return {
        "unit": str(world["practice_unit"].sor_id),
        "name": world["practice_unit"].name,
        "street_name": "Solrød Center",
        "building": "20",
        "postcode": "2680",
        "district": "Solrød Strand",
        "phone": "46300000",
        **changes,
    }


def test_pages_need_a_login(client):
    response = client.get("/manage/requests/")
    assert response.status_code == 302
    assert response["Location"].startswith("/manage/login/")


def test_a_practice_files_an_address_change_and_follows_it(login, world):
    practice = login("practice")
    page = practice.get(f"/manage/requests/new/unit_update/?unit={world['practice_unit'].sor_id}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "hx-post" in html and "<script>" not in html and "style=" not in html
    response = post(practice, "/manage/requests/new/unit_update/", address_form(world))
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.payload["postal_address"]["street_name"] == "Solrød Center"
    assert "contact" in request.payload
    detail = practice.get(response["Location"]).content.decode()
    assert "Indsendt" in detail and "Solrød Center" in detail
    mine = practice.get("/manage/requests/").content.decode()
    assert f"#{request.pk}" in mine


def test_csrf_is_enforced(login, world):
    practice = login("practice")
    response = practice.post("/manage/requests/new/unit_update/", address_form(world))
    assert response.status_code == 403
    assert not ChangeRequest.objects.exists()


def test_validation_as_you_type_names_fields_in_danish(login, world):
    practice = login("practice")
    fragment = post(
        practice,
        "/manage/requests/new/unit_update/validate/",
        address_form(world, district="Køge", phone="12"),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "postnummer 2680 hedder Solrød Strand, ikke Køge" in fragment
    assert "Kontakt, telefon" in fragment
    assert "Solrød Kommune" in fragment
    ok = post(practice, "/manage/requests/new/unit_update/validate/", address_form(world))
    assert "ser rigtige ud" in ok.content.decode()


def test_an_invalid_form_is_shown_again_with_messages(login, world):
    practice = login("practice")
    response = post(
        practice, "/manage/requests/new/unit_update/", address_form(world, postcode="99")
    )
    assert response.status_code == 422
    assert "Postadresse, postnummer" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_new_unit_and_message_type_forms(login, world):
    practice = login("practice")
    assert practice.get("/manage/requests/new/unit_create/").status_code == 200
    created = post(
        practice,
        "/manage/requests/new/unit_create/",
        {
            "unit": str(world["practice"].sor_id),
            "level": "OE",
            "type_code": "550851000005109",
            "name": "Filial",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    page = practice.get("/manage/requests/new/location_update/").content.decode()
    assert world["practice_number"].gln in page
    urn = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"
    numbered = post(
        practice,
        "/manage/requests/new/location_update/",
        {"gln": world["practice_number"].gln, "message_types": [urn]},
    )
    assert numbered.status_code == 302, numbered.content.decode()[:2000]
    kinds = sorted(ChangeRequest.objects.values_list("kind", flat=True))
    assert kinds == ["location_update", "unit_create"]


def test_a_case_worker_works_the_queue(login, world):
    practice = login("practice")
    post(practice, "/manage/requests/new/unit_update/", address_form(world))
    request = ChangeRequest.objects.get()
    worker = login("authority")
    queue = worker.get("/manage/requests/queue/").content.decode()
    assert f"#{request.pk}" in queue
    detail = worker.get(f"/manage/requests/{request.pk}/").content.decode()
    assert "Nu i registeret" in detail and "Godkend" in detail
    path = f"/manage/requests/{request.pk}"
    assert post(worker, f"{path}/reject/", {"reason": ""}).status_code == 422
    asked = post(worker, f"{path}/ask-info/", {"message": "Hvilken dør?"})
    assert asked.status_code == 302
    assert post(practice, f"{path}/answer/", {"message": "Hoveddøren"}).status_code == 302
    stale = post(worker, f"{path}/approve/", {"etag": '"1.1"'})
    assert stale.status_code == 412
    assert "åbn den igen" in stale.content.decode()
    detail = worker.get(f"{path}/")
    etag = detail.context["view"].etag
    approved = post(worker, f"{path}/approve/", {"etag": etag})
    assert approved.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved"
    actions = list(RequestEvent.objects.values_list("action", flat=True))
    assert actions == ["filed", "info_requested", "answered", "approved"]
    followed = practice.get(f"{path}/").content.decode()
    assert "Godkendt" in followed


def test_others_cannot_see_or_decide(login, world):
    practice = login("practice")
    post(practice, "/manage/requests/new/unit_update/", address_form(world))
    request = ChangeRequest.objects.get()
    other = login("other_practice")
    assert other.get(f"/manage/requests/{request.pk}/").status_code == 403
    assert practice.get("/manage/requests/queue/").status_code == 403
    assert (
        post(practice, f"/manage/requests/{request.pk}/approve/", {"etag": "*"}).status_code == 403
    )
