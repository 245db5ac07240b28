"""The permission matrix through the maintainers' UI: every role × operation × in/out of scope.

For each logged-in role (the two in-scope maintainers, their out-of-scope variants
``region:1083`` and ``municipality:0101``, the authority and a practice) and each unit and
location number of the sector trees:

* the unit page, the page of a closed unit and the location-number editor offer an action's
  button or form only to the action's steward;
* a form posted anyway (with a valid CSRF token) outside the scope gets the 403 page with the
  Danish reason and writes nothing; inside the scope it passes the permission check and stops
  at the next one, writing nothing: posts that name a version carry a stale one (412, "reload
  the page"), creations carry an invalid value (422 beside the field);
* and the steward's own forms really write, each once, with the version the form was read at.

The stewards are written out below from DESIGN §3 "Who maintains what", not computed by the
code under test. Practices only *request*: no table names them, so every direct write of theirs
is refused. The same matrix runs at the service layer (``tests/maintenance``) and over HTTP
(``tests/api``).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from opensor.domain.identifiers import make_gln
from opensor.domain.records import Level
from opensor.domain.responsibility import Role
from opensor.register.accounts.actors import Actor
from opensor.register.accounts.services import user_add
from opensor.register.audit.models import AuditEvent, ChangeSet
from opensor.register.maintenance.locations import location_create
from opensor.register.maintenance.units import unit_close, unit_create
from opensor.register.maintenance.versions import unit_timeline
from opensor.register.units.models import LocationNumberVersion, UnitVersion
from opensor.register.units.selectors import location_number_owned_on, unit_on
from opensor.register.web.common import today
from tests.factories import DEFAULT_START
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ("authority", "region", "other_region", "municipality", "other_municipality", "practice")
ROLE_TEXT = {
    # the users of ``tests/web/conftest.py`` (practice: scoped to the world's private owner)
    "authority": "authority",
    "region": "region:1085",
    "municipality": "municipality:0259",
    # and their out-of-scope variants, added here
    "other_region": "region:1083",
    "other_municipality": "municipality:0101",
}

# -- DESIGN §3, written out ---------------------------------------------------------------

UNIT_STEWARD = {
    # target: the one role of ROLES that maintains it
    "region": "authority",  # a region's owner (IE) is not one of the region's own OEs
    "hospital": "authority",  # the region's SI: the authority, never the region
    "department": "region",  # the region's own OEs
    "section": "region",
    "municipality": "authority",
    "care": "authority",  # a municipal SI
    "care_unit": "municipality",  # the municipality's own OEs
    "care_unit_2": "municipality",
    "practice_owner": "authority",  # private organisations: the authority; practices request
    "practice": "authority",
    "practice_unit": "authority",
    "state": "authority",  # state organisations at every level: the authority
    "state_institution": "authority",
    "other_region": "authority",
    "other_hospital": "authority",
    "other_department": "other_region",  # Region Syddanmark's (1083) own OEs
    "other_section": "other_region",
}
OWNERS = {"region", "municipality", "practice_owner", "state", "other_region"}
"""Owners have no parent: moving one is never offered (a tree rule, not a permission)."""
PARENT = {
    "hospital": "region",
    "department": "hospital",
    "section": "department",
    "care": "municipality",
    "care_unit": "care",
    "care_unit_2": "care",
    "practice": "practice_owner",
    "practice_unit": "practice",
    "state_institution": "state",
    "other_hospital": "other_region",
    "other_department": "other_hospital",
    "other_section": "other_department",
}
SUCCESSOR_PARTNER = {
    # target: a successor with the same steward (a successor must be the steward's too)
    "region": "state",
    "hospital": "care",
    "department": "section",
    "section": "department",
    "municipality": "state",
    "care": "hospital",
    "care_unit": "care_unit_2",
    "care_unit_2": "care_unit",
    "practice_owner": "state",
    "practice": "state_institution",
    "practice_unit": "state_institution",
    "state": "practice_owner",
    "state_institution": "hospital",
    "other_region": "region",
    "other_hospital": "hospital",
    "other_department": "other_section",
    "other_section": "other_department",
}
CHILD_STEWARD = {
    # parent: who may create a unit under it (the steward of the new unit, not of the parent)
    "region": "authority",  # a new SI of the region
    "hospital": "region",  # a new OE of the region, under its hospital
    "department": "region",
    "section": "region",
    "municipality": "authority",  # a new municipal SI
    "care": "municipality",  # a new municipal OE
    "care_unit": "municipality",
    "care_unit_2": "municipality",
    "practice_owner": "authority",
    "practice": "authority",
    "practice_unit": "authority",
    "state": "authority",
    "state_institution": "authority",
    "other_region": "authority",
    "other_hospital": "other_region",
    "other_department": "other_region",
    "other_section": "other_region",
}
LOCATION_STEWARD = {
    # unit owning a number: who maintains the number (update, move, close)
    "department": "region",  # numbers of a region's OEs: the region
    "care_unit": "authority",  # every municipal number: the authority, never the municipality
    "practice_owner": "authority",
}
OWN_NUMBER = {
    "department": "department_number",
    "care_unit": "care_number",
    "practice_owner": "practice_number",
}
LOCATION_MOVE_TO = {"department": "section", "care_unit": "care", "practice_owner": "practice"}
NEW_NUMBER_STEWARD = {
    # unit without a number of its own: who may register one for it
    "section": "region",
    "hospital": "authority",  # a regional SI's number: not the region's (only its OEs')
    "care": "authority",
    "care_unit_2": "authority",  # a municipal OE's number: the authority
    "practice": "authority",
    "state_institution": "authority",
    "other_department": "other_region",
}
CLOSED_STEWARD = {
    # units closed before the test: who may reopen them
    "section": "region",
    "care_unit_2": "municipality",
    "practice_unit": "authority",
    "state_institution": "authority",
    "other_section": "other_region",
}

GROUPS = ("basis", "addresses", "contact", "specialities", "flags")
GROUP_DATA = {
    "basis": {"name": "Nyt navn"},
    "addresses": {
        "postal_address.street_name": "Lykkebækvej",
        "postal_address.building": "1",
        "postal_address.postcode": "4600",
        "postal_address.district": "Køge",
    },
    "contact": {"contact.phone": "56631500"},
    "specialities": {"specialities.0.code": "", "specialities.0.type": ""},
    "flags": {"ambulant_activity": "true"},
}
STEWARD_DA = {
    # how a refusal names the steward
    "authority": "myndigheden (Sundhedsdatastyrelsen)",
    "region": "Region Sjælland (1085)",
    "other_region": "Region Syddanmark (1083)",
    "municipality": "Køge Kommune (0259)",
}
LABEL_DA = {
    # the Danish names of the permissions, as the refusal states them
    "edit": "Ret enhedens oplysninger",
    "move": "Flyt enhed i træet",
    "close": "Luk enhed",
    "reopen": "Genåbn enhed",
    "successor": "Registrér efterfølger",
    "child": "Opret enhed",
    "location_create": "Opret lokationsnummer",
    "location_update": "Ret lokationsnummer og meddelelsestyper",
    "location_move": "Flyt lokationsnummer til anden enhed",
    "location_close": "Luk lokationsnummer",
}
STALE = '"1.0"'
"""A version no unit or number has now: the form was read before someone else's write."""
CLINICAL = "550851000005109"


# -- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Hash the test users' passwords cheaply (the matrix logs in hundreds of times)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ids(world: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    """The SOR-IDs and GLNs of the world, two more OEs, and the out-of-scope users."""
    for name in ("other_region", "other_municipality"):
        user_add(name, [ROLE_TEXT[name]], password=PASSWORD)
    found: dict[str, Any] = {n: v.sor_id for n, v in world.items() if hasattr(v, "sor_id")}
    found.update({n: v.gln for n, v in world.items() if hasattr(v, "gln")})
    extra = {
        "care_unit_2": ("municipality", "care", "Træning Køge Nord"),
        "other_section": ("other_region", "other_department", "Kardiologisk ambulatorium"),
    }
    for name, (role, parent, title) in extra.items():
        seeder = Actor(f"seed-{role}", (Role.parse(ROLE_TEXT[role]),), client="test")
        result = unit_create(
            seeder,
            level=Level.UNIT,
            parent_sor_id=found[parent],
            values={"name": title},
            effective=DEFAULT_START,  # as old as the world, so that it can be closed today
        )
        found[name] = int(result.target_id)
    return found


@pytest.fixture
def closed(ids: dict[str, Any]) -> dict[str, Any]:
    """The world with the units of :data:`CLOSED_STEWARD` closed from today."""
    for name, steward in CLOSED_STEWARD.items():
        actor = Actor(f"seed-{steward}", (Role.parse(ROLE_TEXT[steward]),), client="test")
        sor_id = ids[name]
        unit_close(actor, sor_id, if_match=unit_timeline(sor_id).etag())
    return ids


def _counts() -> tuple[int, int, int, int]:
    return (
        UnitVersion.objects.count(),
        LocationNumberVersion.objects.count(),
        AuditEvent.objects.count(),
        ChangeSet.objects.count(),
    )


def _post(client: Client, url: str, data: dict[str, Any]) -> tuple[Any, bool]:
    """POST a form with the client's CSRF token; returns the response and whether it wrote."""
    before = _counts()
    response = client.post(url, {**data, "csrfmiddlewaretoken": client.csrf})  # type: ignore[attr-defined]
    return response, _counts() != before


def _refusal(response: Any) -> str:
    match = re.search(r'id="refusal">([^<]*)<', response.content.decode())
    return html.unescape(match.group(1)) if match else ""


def _check(response: Any, wrote: bool, role: str, steward: str, what: str, ok: int) -> str:
    """``""`` when the post had the expected outcome, else what went wrong."""
    page = response.content.decode()
    if wrote:
        return f"{what}: wrote something (status {response.status_code})"
    if role != steward:
        reason = _refusal(response)
        if response.status_code != 403 or "Ikke tilladt" not in page:
            return f"{what}: {response.status_code}, expected 403"
        if not reason.startswith(LABEL_DA[what.split(" ")[0]] + " afvist: "):
            return f"{what}: the refusal does not name the permission: {reason!r}"
        if f"vedligeholdes af {STEWARD_DA[steward]}; du er " not in reason:
            return f"{what}: the refusal does not say who maintains it: {reason!r}"
        return ""
    if response.status_code != ok:
        return f"{what}: {response.status_code}, expected {ok}: {page[:300]}"
    if ok == 412 and "ændret af en anden" not in page:
        return f"{what}: the stale form does not say to reload"
    if ok == 422 and "Ændringen er ikke gemt" not in page:
        return f"{what}: the invalid form does not say it was not saved"
    return ""


def _offered(page: str, href: str) -> bool:
    return f'href="{href}"' in page


def _etag_of(page: str) -> str:
    match = re.search(r'name="etag" value="([^"]*)"', page)
    assert match, "the form carries no version"
    return html.unescape(match.group(1))


# -- (a) what the pages offer ---------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_unit_page_offers_each_action_exactly_to_its_steward(login, ids, role):
    client = login(role)
    wrong = []
    for target, steward in UNIT_STEWARD.items():
        sor_id = ids[target]
        page = client.get(f"/manage/units/{sor_id}/").content.decode()
        base = f"/manage/units/{sor_id}"
        expected = {
            **{f"edit {g}": role == steward for g in GROUPS},
            "move": role == steward and target not in OWNERS,
            "close": role == steward,
            "successor": role == steward,
            "child": role == CHILD_STEWARD[target],
            "reopen": False,  # the unit is open
        }
        hrefs = {
            **{f"edit {g}": f"{base}/edit/{g}/" for g in GROUPS},
            "move": f"{base}/move/",
            "close": f"{base}/close/",
            "successor": f"{base}/successor/",
            "child": f"{base}/new-child/",
            "reopen": f"{base}/reopen/",
        }
        for action, want in expected.items():
            if _offered(page, hrefs[action]) != want:
                wrong.append(f"{action} on {target}: offered={not want}, expected {want}")
        if ('id="edit-refusal"' in page) != (role != steward):
            wrong.append(f"the refusal on {target} is shown={role == steward}")
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_a_closed_unit_offers_reopening_exactly_to_its_steward(login, closed, role):
    client = login(role)
    wrong = []
    for target, steward in CLOSED_STEWARD.items():
        sor_id = closed[target]
        page = client.get(f"/manage/units/{sor_id}/").content.decode()
        assert "Enheden er ikke gyldig i dag" in page, target
        if _offered(page, f"/manage/units/{sor_id}/reopen/") != (role == steward):
            wrong.append(f"reopen on {target}: offered={role != steward}")
        if _offered(page, f"/manage/units/{sor_id}/close/"):
            wrong.append(f"close offered on the closed {target}")
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_the_location_editor_offers_each_action_exactly_to_its_steward(login, ids, role):
    client = login(role)
    wrong = []
    for target, steward in {**LOCATION_STEWARD, **NEW_NUMBER_STEWARD}.items():
        page = client.get(f"/manage/units/{ids[target]}/location-number/").content.decode()
        owns = target in LOCATION_STEWARD
        expected = {
            "save": role == steward,
            "close": owns and role == steward,
            "move": owns and role == steward,
            "refusal": role != steward,
        }
        found = {
            "save": 'id="save-location"' in page,
            "close": 'name="action" value="close"' in page,
            "move": 'name="action" value="move"' in page,
            "refusal": 'id="refusal"' in page,
        }
        if owns and f'id="own-gln">{ids[OWN_NUMBER[target]]}<' not in page:
            wrong.append(f"{target}: its own number is not shown")
        wrong += [
            f"{action} on {target}: shown={found[action]}, expected {want}"
            for action, want in expected.items()
            if found[action] != want
        ]
    assert wrong == []


# -- (b) what a posted form does -----------------------------------------------------------

UNIT_OPERATIONS = (*(f"edit {g}" for g in GROUPS), "move", "close", "successor")


def _unit_form(ids: dict[str, Any], operation: str, target: str) -> tuple[str, dict[str, Any]]:
    sor_id = ids[target]
    if operation.startswith("edit "):
        group = operation.split(" ")[1]
        return f"/manage/units/{sor_id}/edit/{group}/", {**GROUP_DATA[group], "etag": STALE}
    data: dict[str, Any] = {"etag": STALE, "effective": ""}
    if operation == "move":
        data["new_parent"] = str(ids[PARENT[target]])
    elif operation == "close":
        data["children"] = "close"
    else:
        data["successor"] = str(ids[SUCCESSOR_PARTNER[target]])
    return f"/manage/units/{sor_id}/{operation}/", data


@pytest.mark.parametrize("operation", UNIT_OPERATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_unit_forms_are_refused_out_of_scope_and_checked_in_scope(login, ids, role, operation):
    client = login(role)
    targets = PARENT if operation == "move" else UNIT_STEWARD
    wrong = []
    for target in targets:
        url, data = _unit_form(ids, operation, target)
        response, wrote = _post(client, url, data)
        what = f"{operation} {target}"
        wrong.append(_check(response, wrote, role, UNIT_STEWARD[target], what, 412))
    assert [w for w in wrong if w] == []


@pytest.mark.parametrize("role", ROLES)
def test_child_forms_are_refused_out_of_scope_and_validated_in_scope(login, ids, role):
    client = login(role)
    wrong = []
    for parent, steward in CHILD_STEWARD.items():
        response, wrote = _post(
            client, f"/manage/units/{ids[parent]}/new-child/", {"name": "", "effective": ""}
        )
        problem = _check(response, wrote, role, steward, f"child under {parent}", 422)
        if not problem and role == steward and 'id="f-name-error"' not in response.content.decode():
            problem = f"child under {parent}: no message beside the name"
        wrong.append(problem)
    assert [w for w in wrong if w] == []


@pytest.mark.parametrize("role", ROLES)
def test_reopen_forms_are_refused_out_of_scope_and_checked_in_scope(login, closed, role):
    client = login(role)
    wrong = []
    for target, steward in CLOSED_STEWARD.items():
        url = f"/manage/units/{closed[target]}/reopen/"
        response, wrote = _post(client, url, {"etag": STALE, "effective": ""})
        wrong.append(_check(response, wrote, role, steward, f"reopen {target}", 412))
    assert [w for w in wrong if w] == []


LOCATION_OPERATIONS = ("update", "move", "close", "create")


@pytest.mark.parametrize("operation", LOCATION_OPERATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_location_forms_are_refused_out_of_scope_and_checked_in_scope(login, ids, role, operation):
    client = login(role)
    stewards = NEW_NUMBER_STEWARD if operation == "create" else LOCATION_STEWARD
    wrong = []
    for target, steward in stewards.items():
        data: dict[str, Any] = {"action": operation, "etag": STALE, "effective": ""}
        if operation == "update":
            data.update(message_types=[], note="Ny note")
        elif operation == "move":
            data["new_owner"] = str(ids[LOCATION_MOVE_TO[target]])
        elif operation == "create":
            data["gln"] = "123"
        url = f"/manage/units/{ids[target]}/location-number/"
        response, wrote = _post(client, url, data)
        expected = 422 if operation == "create" else 412
        what = f"location_{operation} {target}"
        problem = _check(response, wrote, role, steward, what, expected)
        gln_error = re.search(r'"field invalid">\s*<label for="f-gln"', response.content.decode())
        if not problem and role == steward and operation == "create" and not gln_error:
            problem = f"{what}: no message beside the GLN"
        wrong.append(problem)
    assert [w for w in wrong if w] == []


def test_practices_are_stewards_of_nothing():
    tables = (UNIT_STEWARD, CHILD_STEWARD, LOCATION_STEWARD, NEW_NUMBER_STEWARD, CLOSED_STEWARD)
    assert all("practice" not in table.values() for table in tables)
    assert set(PARENT) == set(UNIT_STEWARD) - OWNERS
    assert set(SUCCESSOR_PARTNER) == set(UNIT_STEWARD)
    assert all(
        UNIT_STEWARD[target] == UNIT_STEWARD[partner]
        for target, partner in SUCCESSOR_PARTNER.items()
    )


# -- the steward's forms really write -------------------------------------------------------


def _write(client: Client, url: str, data: dict[str, Any]) -> Any:
    """Read the form, post it with the version it shows; the write must land."""
    form = client.get(url)
    assert form.status_code == 200
    before = AuditEvent.objects.count()
    response, wrote = _post(client, url, {"etag": _etag_of(form.content.decode()), **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert wrote and AuditEvent.objects.count() > before
    event = AuditEvent.objects.order_by("-id").first()
    assert event.client == "web"
    return event


@pytest.mark.parametrize(
    ("role", "group", "target", "data", "check"),
    [
        ("region", "basis", "department", {"name": "Akutmodtagelsen", "unit_type": CLINICAL},
         lambda u: u.name == "Akutmodtagelsen"),
        ("municipality", "contact", "care_unit", {"contact.phone": "56631500"},
         lambda u: u.contact.phone == "56631500"),
        ("authority", "flags", "hospital", {"patients_admitted": "true"},
         lambda u: u.patients_admitted is True),
        ("other_region", "addresses", "other_department", GROUP_DATA["addresses"],
         lambda u: u.postal_address.street_name == "Lykkebækvej"),
    ],
)  # fmt: skip
def test_the_steward_saves_an_attribute_group(login, ids, role, group, target, data, check):
    client = login(role)
    sor_id = ids[target]
    event = _write(client, f"/manage/units/{sor_id}/edit/{group}/", data)
    assert event.actor == role and event.target_id == str(sor_id)
    assert check(unit_on(sor_id, today()))


def test_the_steward_moves_closes_and_records_a_successor(login, ids):
    region = login("region")
    section, department, hospital = ids["section"], ids["department"], ids["hospital"]
    _write(region, f"/manage/units/{section}/move/", {"new_parent": str(hospital)})
    assert unit_on(section, today()).parent_sor_id == hospital
    _write(region, f"/manage/units/{section}/successor/", {"successor": str(department)})
    assert department in unit_on(section, today()).replaced_by
    _write(region, f"/manage/units/{section}/close/", {"children": "refuse"})
    assert unit_on(section, today()) is None


def test_the_steward_reopens_a_closed_unit(login, closed):
    sor_id = closed["care_unit_2"]
    event = _write(login("municipality"), f"/manage/units/{sor_id}/reopen/", {})
    assert event.operation == "register:unit:reopen"
    assert unit_on(sor_id, today()) is not None


@pytest.mark.parametrize(
    ("role", "parent", "data"),
    [
        ("region", "hospital", {"unit_type": CLINICAL}),
        ("municipality", "care", {}),
        ("authority", "state", {"institution_type": "22232009"}),
        ("other_region", "other_department", {}),
    ],
)
def test_the_steward_creates_a_child(login, ids, role, parent, data):
    client = login(role)
    url = f"/manage/units/{ids[parent]}/new-child/"
    assert client.get(f"/manage/units/{ids[parent]}/").content.decode().count(url) == 1
    before = AuditEvent.objects.count()
    response, wrote = _post(client, url, {"name": "Ny enhed", "effective": "", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert wrote and AuditEvent.objects.count() == before + 1
    child = int(AuditEvent.objects.order_by("-id").first().target_id)
    assert unit_on(child, today()).parent_sor_id == ids[parent]


def test_the_stewards_keep_their_location_numbers(login, ids):
    region, authority = login("region"), login("authority")
    department = ids["department"]
    url = f"/manage/units/{department}/location-number/"
    _write(region, url, {"action": "update", "message_types": [], "note": "Ny note"})
    assert location_number_owned_on(department, today()).note == "Ny note"
    gln = make_gln("579888999999")
    url = f"/manage/units/{ids['section']}/location-number/"
    response, wrote = _post(region, url, {"action": "create", "gln": gln, "effective": ""})
    assert response.status_code == 302 and wrote, response.content.decode()[:2000]
    assert location_number_owned_on(ids["section"], today()).gln == gln
    url = f"/manage/units/{ids['practice_owner']}/location-number/"
    _write(authority, url, {"action": "move", "new_owner": str(ids["practice"])})
    assert location_number_owned_on(ids["practice"], today()).gln == ids["practice_number"]
    url = f"/manage/units/{ids['care_unit']}/location-number/"
    _write(authority, url, {"action": "close"})
    assert location_number_owned_on(ids["care_unit"], today()) is None


def test_a_number_created_for_a_unit_is_offered_to_its_steward_only(login, ids):
    actor = Actor("seed", (Role.parse(ROLE_TEXT["other_region"]),), client="test")
    location_create(
        actor, make_gln("579888999998"), owner_sor_id=ids["other_department"], values={}
    )
    url = f"/manage/units/{ids['other_department']}/location-number/"
    assert 'name="action" value="close"' in login("other_region").get(url).content.decode()
    page = login("region").get(url).content.decode()
    assert 'name="action" value="close"' not in page and 'id="refusal"' in page
