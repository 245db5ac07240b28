"""The rules of change requests, checked at the service layer."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pytest

from opensor.register.audit.models import AuditEvent
from opensor.register.maintenance.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from opensor.register.maintenance.units import unit_update
from opensor.register.maintenance.versions import location_timeline, unit_timeline
from opensor.register.requests import services
from opensor.register.requests.models import ChangeRequest, Outbox, RequestEvent
from opensor.register.requests.outbox import log_sender, outbox_deliver
from opensor.register.requests.selectors import (
    practice_units,
    request_queue,
    request_view,
    requests_of,
)
from opensor.register.units.selectors import location_number_owned_on, unit_on
from tests.factories import new_gln

pytestmark = pytest.mark.django_db

NEW_ADDRESS = {
    "postal_address": {
        "street_name": "Solrød Center",
        "building": "20",
        "postcode": "2680",
        "district": "Solrød Strand",
    }
}
MESSAGE_TYPE = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"


def file_address(actors: dict[str, Any], world: dict[str, Any]) -> ChangeRequest:
    return services.request_file(
        actors["practice"],
        kind="unit_update",
        target_sor_id=world["practice_unit"].sor_id,
        payload=NEW_ADDRESS,
        note="Vi er flyttet",
    )


def test_a_practice_files_a_request_for_its_own_unit(actors, world):
    request = file_address(actors, world)
    assert request.status == "submitted"
    assert request.owner_sor_id == world["practice_owner"].sor_id
    assert request.filed_etag == unit_timeline(world["practice_unit"].sor_id).etag()
    assert [e.action for e in request.events.all()] == ["filed"]
    assert request.events.get().note == "Vi er flyttet"


@pytest.mark.parametrize("unit", ["department", "care_unit", "state_institution"])
def test_a_practice_cannot_file_for_units_of_other_owners(actors, world, unit):
    with pytest.raises(Forbidden):
        services.request_file(
            actors["practice"],
            kind="unit_update",
            target_sor_id=world[unit].sor_id,
            payload=NEW_ADDRESS,
        )
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("who", ["authority", "region", "other_practice"])
def test_only_the_owners_practice_files_requests(actors, world, who):
    with pytest.raises(Forbidden):
        file_address({"practice": actors[who]}, world)


def test_forbidden_comes_before_validation(actors, world):
    with pytest.raises(Forbidden):
        services.request_file(
            actors["other_practice"],
            kind="unit_update",
            target_sor_id=world["practice_unit"].sor_id,
            payload={"postal_address": {"postcode": "0000"}},
        )


def test_values_are_validated_when_filed(actors, world):
    with pytest.raises(ValidationFailed) as caught:
        services.request_file(
            actors["practice"],
            kind="unit_update",
            target_sor_id=world["practice_unit"].sor_id,
            payload={
                "postal_address": {**NEW_ADDRESS["postal_address"], "district": "Køge"},
                "contact": {"phone": "12"},
                "unit_type": "nonsense",
            },
        )
    fields = {p.field for p in caught.value.problems}
    assert {"postal_address.district", "contact.phone", "unit_type"} <= fields
    assert not ChangeRequest.objects.exists()


def test_a_request_that_changes_nothing_is_refused(actors, world):
    unit = world["practice_unit"]
    with pytest.raises(ValidationFailed) as caught:
        services.request_file(
            actors["practice"], kind="unit_update", target_sor_id=unit.sor_id,
            payload={"name": unit.name},
        )  # fmt: skip
    assert [p.field for p in caught.value.problems] == ["payload"]


def test_an_unknown_unit_is_not_found(actors):
    with pytest.raises(NotFound):
        services.request_file(
            actors["practice"], kind="unit_update", target_sor_id=1, payload=NEW_ADDRESS
        )


def test_filing_notifies_the_authority_queue(actors, world):
    request = file_address(actors, world)
    message = Outbox.objects.get()
    assert message.recipient == Outbox.AUTHORITY
    assert message.request == request
    assert f"#{request.pk}" in message.subject


def test_approval_applies_the_change_as_one_audited_change(actors, world):
    request = file_address(actors, world)
    view = request_view(actors["authority"], request.pk)
    assert {row.field for row in view.diff if row.changes} >= {"postal_address.street_name"}
    services.request_approve(actors["authority"], request.pk, if_match=view.etag)
    request.refresh_from_db()
    assert request.status == "approved"
    assert request.decided_by == "sagsbehandler"
    assert unit_on(world["practice_unit"].sor_id, date.today()).postal_address.building == "20"
    unit_event = AuditEvent.objects.get(target_type="unit", target_id=request.result_id)
    request_event = AuditEvent.objects.get(target_type="request", target_id=str(request.pk))
    assert unit_event.change_set_id == request_event.change_set_id
    assert unit_event.actor == "sagsbehandler"
    assert request_event.after["status"] == "approved"
    assert Outbox.objects.filter(recipient="praksis", subject__contains="godkendt").exists()


def test_approval_with_a_stale_version_changes_nothing_and_keeps_the_request_open(actors, world):
    request = file_address(actors, world)
    seen = request_view(actors["authority"], request.pk).etag
    unit_update(
        actors["authority"], world["practice_unit"].sor_id, {"name": "Nyt navn"}, if_match=seen
    )
    with pytest.raises(PreconditionFailed) as caught:
        services.request_approve(actors["authority"], request.pk, if_match=seen)
    assert "åbn den igen" in caught.value.message_da
    request.refresh_from_db()
    assert request.status == "submitted"
    assert (
        unit_on(world["practice_unit"].sor_id, date.today()).postal_address
        != (NEW_ADDRESS["postal_address"])
    )
    assert not AuditEvent.objects.filter(target_type="request").exists()


def test_approval_that_the_register_refuses_rolls_back_everything(actors, world):
    # A location number that is taken meanwhile: the create fails at approval.
    gln = new_gln()
    request = services.request_file(
        actors["practice"], kind="location_create", target_sor_id=world["practice"].sor_id,
        target_gln=gln, payload={"message_types": [MESSAGE_TYPE]},
    )  # fmt: skip
    from opensor.register.maintenance.locations import location_create

    location_create(actors["authority"], gln, owner_sor_id=world["practice_unit"].sor_id, values={})
    audit_before = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.request_approve(actors["authority"], request.pk, if_match=None)
    request.refresh_from_db()
    assert request.status == "submitted"
    assert AuditEvent.objects.count() == audit_before
    assert location_number_owned_on(world["practice"].sor_id, date.today()) is None


@pytest.mark.parametrize("who", ["practice", "region", "other_practice"])
def test_only_the_authority_decides(actors, world, who):
    request = file_address(actors, world)
    for decide in (
        lambda: services.request_approve(actors[who], request.pk, if_match="*"),
        lambda: services.request_reject(actors[who], request.pk, "nej"),
        lambda: services.request_ask_info(actors[who], request.pk, "hvorfor?"),
    ):
        with pytest.raises(Forbidden):
            decide()
    with pytest.raises(Forbidden):
        request_queue(actors[who])
    request.refresh_from_db()
    assert request.status == "submitted"


def test_rejecting_needs_a_reason(actors, world):
    request = file_address(actors, world)
    with pytest.raises(ValidationFailed) as caught:
        services.request_reject(actors["authority"], request.pk, "   ")
    assert caught.value.problems[0].field == "reason"
    services.request_reject(actors["authority"], request.pk, "Adressen findes ikke")
    request.refresh_from_db()
    assert request.status == "rejected"
    message = Outbox.objects.filter(recipient="praksis").get()
    assert "Adressen findes ikke" in message.body
    assert message.email == "p@x.dk"
    with pytest.raises(Conflict):
        services.request_approve(actors["authority"], request.pk, if_match="*")


def test_information_round_trip(actors, world):
    request = file_address(actors, world)
    services.request_ask_info(actors["authority"], request.pk, "Hvilken etage?")
    request.refresh_from_db()
    assert request.status == "needs_info"
    assert Outbox.objects.filter(recipient="praksis", body="Hvilken etage?").exists()
    with pytest.raises(Forbidden):
        services.request_answer(actors["other_practice"], request.pk, "2. sal")
    corrected = {"postal_address": {**NEW_ADDRESS["postal_address"], "floor": "2"}}
    services.request_answer(actors["colleague"], request.pk, "2. sal", payload=corrected)
    request.refresh_from_db()
    assert request.status == "submitted"
    assert request.payload == corrected
    actions = list(request.events.values_list("action", flat=True))
    assert actions == ["filed", "info_requested", "answered"]
    assert Outbox.objects.filter(recipient="authority").count() == 2
    with pytest.raises(ValidationFailed):
        services.request_answer(
            actors["practice"], request.pk, "", payload={"contact": {"phone": "1"}}
        )


def test_withdrawing(actors, world):
    request = file_address(actors, world)
    with pytest.raises(Forbidden):
        services.request_withdraw(actors["authority"], request.pk)
    services.request_withdraw(actors["practice"], request.pk)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    with pytest.raises(Conflict):
        services.request_withdraw(actors["practice"], request.pk)
    assert not request_queue(actors["authority"]).exists()
    assert request_queue(actors["authority"], "withdrawn").get() == request


def test_new_unit_close_and_location_requests(actors, world):
    today = date.today()
    new = services.request_file(
        actors["practice"], kind="unit_create", target_sor_id=world["practice"].sor_id,
        payload={"name": "Filial Karlslunde", "unit_type": "550851000005109", **NEW_ADDRESS},
    )  # fmt: skip
    assert new.level == "OE"
    services.request_approve(actors["authority"], new.pk, if_match=None)
    new.refresh_from_db()
    created = unit_on(int(new.result_id), today)
    assert created.name == "Filial Karlslunde"
    assert created.parent_sor_id == world["practice"].sor_id

    number = world["practice_number"]
    change = services.request_file(
        actors["practice"], kind="location_update", target_gln=number.gln,
        payload={"message_types": [MESSAGE_TYPE]},
    )  # fmt: skip
    assert change.target_sor_id == world["practice_owner"].sor_id
    view = request_view(actors["practice"], change.pk)
    assert view.diff[0].requested == MESSAGE_TYPE
    services.request_approve(actors["authority"], change.pk, if_match=view.etag)
    assert location_timeline(number.gln).valid_on(today)["message_types"] == [MESSAGE_TYPE]

    with pytest.raises(ValidationFailed) as caught:
        services.request_file(
            actors["practice"], kind="unit_close", target_sor_id=world["practice"].sor_id
        )
    assert caught.value.problems[0].field == "children"
    later = today + timedelta(days=30)
    close = services.request_file(
        actors["practice"], kind="unit_close", target_sor_id=created.sor_id, effective=later
    )
    etag = request_view(actors["authority"], close.pk).etag
    services.request_approve(actors["authority"], close.pk, if_match=etag)
    assert unit_on(created.sor_id, today) is not None
    assert unit_on(created.sor_id, later) is None


def test_invalid_location_requests(actors, world):
    with pytest.raises(ValidationFailed) as caught:
        services.request_file(
            actors["practice"], kind="location_create", target_sor_id=world["practice"].sor_id,
            target_gln="5790000000001", payload={"message_types": ["urn:nonsense"]},
        )  # fmt: skip
    assert {p.field for p in caught.value.problems} == {"target_gln"}
    with pytest.raises(ValidationFailed) as caught:
        services.request_file(
            actors["practice"], kind="location_update",
            target_gln=world["practice_number"].gln, payload={"message_types": ["urn:nonsense"]},
        )  # fmt: skip
    assert caught.value.problems[0].field == "message_types.0"
    with pytest.raises(Forbidden):
        services.request_file(
            actors["practice"], kind="location_close", target_gln=world["care_number"].gln
        )


def test_who_sees_which_requests(actors, world):
    request = file_address(actors, world)
    assert list(requests_of(actors["colleague"])) == [request]
    assert list(requests_of(actors["other_practice"])) == []
    assert list(request_queue(actors["authority"])) == [request]
    with pytest.raises(Forbidden):
        request_view(actors["other_practice"], request.pk)
    assert request_view(actors["colleague"], request.pk).request == request
    units = [u.record.sor_id for u in practice_units(actors["practice"])]
    assert units == [w.sor_id for w in (world["practice_owner"], world["practice"],
                                         world["practice_unit"])]  # fmt: skip


def test_every_step_records_an_event(actors, world):
    request = file_address(actors, world)
    services.request_ask_info(actors["authority"], request.pk, "Dato?")
    services.request_answer(actors["practice"], request.pk, "Fra i dag")
    services.request_reject(actors["authority"], request.pk, "Dubleret")
    events = RequestEvent.objects.filter(request=request)
    assert [(e.actor, e.action) for e in events] == [
        ("praksis", "filed"),
        ("sagsbehandler", "info_requested"),
        ("praksis", "answered"),
        ("sagsbehandler", "rejected"),
    ]


def test_the_log_sender_delivers_pending_messages(actors, world, caplog):
    file_address(actors, world)
    with caplog.at_level(logging.INFO, logger="opensor.notifications"):
        delivery = outbox_deliver(sender=log_sender)
    assert (delivery.sent, delivery.failed, delivery.pending) == (1, 0, 0)
    assert "ny anmodning" in caplog.text
    message = Outbox.objects.get()
    assert message.sent_at is not None and message.attempts == 1
    assert outbox_deliver().sent == 0


def failing_sender(message: Outbox) -> None:
    """A sender whose mail server is down."""
    raise ConnectionError("mail server down")


def test_a_failing_sender_keeps_the_message_pending(actors, world, settings):
    file_address(actors, world)
    settings.SOR_NOTIFICATION_SENDER = "tests.requests.test_services.failing_sender"
    delivery = outbox_deliver()
    assert (delivery.sent, delivery.failed, delivery.pending) == (0, 1, 1)
    message = Outbox.objects.get()
    assert message.sent_at is None
    assert "mail server down" in message.last_error
    for _ in range(5):
        outbox_deliver()
    assert Outbox.objects.get().attempts == 5


def test_sor_outbox_send_delivers(actors, world):
    from click.testing import CliRunner

    from opensor.cli.main import cli

    file_address(actors, world)
    result = CliRunner().invoke(cli, ["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0, still pending 0" in result.output
    assert Outbox.objects.get().sent_at is not None
