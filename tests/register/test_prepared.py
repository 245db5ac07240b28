"""Prepared statements of the write path give exactly what the ORM gives, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from opensor.domain.records import Address, Contact, Level
from opensor.register.audit.models import AuditEvent, ChangeSet
from opensor.register.prepared import PreparedSelect, insert, insert_many, update_row
from opensor.register.units.mapping import UNIT_VERSION_FIELDS
from opensor.register.units.models import UnitVersion
from tests import factories


def _orm_rows(sor_id: int) -> list[dict[str, object]]:
    return list(
        UnitVersion.objects.filter(unit_id=sor_id, superseded_at__isnull=True)
        .order_by("valid_from")
        .values("id", *UNIT_VERSION_FIELDS)
    )


CURRENT = PreparedSelect(
    lambda key: (
        UnitVersion.objects.filter(unit_id=key, superseded_at__isnull=True)
        .order_by("valid_from")
        .values("id", *UNIT_VERSION_FIELDS)
    )
)


def test_a_prepared_select_gives_the_rows_the_orm_gives(record):
    owner = factories.unit(
        postal_address=Address(
            street_name="Vestergade", building="1", postcode="8000", district="Aarhus C"
        ),
        contact=Contact(phone="86123456", email="post@example.dk"),
    )
    child = factories.unit(Level.INSTITUTION, owner)
    record([(owner, factories.location_number(owner)), (child, None)])
    for unit in (owner, child):
        rows = CURRENT.rows(unit.sor_id)
        assert rows and rows == _orm_rows(unit.sor_id)
    # dates, JSON and booleans come back as Python values, not as the database's text
    row = CURRENT.rows(owner.sor_id)[0]
    assert row["valid_from"] == owner.validity.valid_from
    assert isinstance(row["personal_data"], bool)
    assert CURRENT.rows(99_999_999_999) == []


@pytest.mark.django_db
def test_a_prepared_select_without_keys_and_with_text_keys():
    ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="alice")
    ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="bob")
    everyone = PreparedSelect(lambda: ChangeSet.objects.order_by("id").values("actor"), keys=0)
    assert [row["actor"] for row in everyone.rows()] == ["alice", "bob"]
    by_actor = PreparedSelect(lambda name: ChangeSet.objects.filter(actor=name).values("kind"))
    assert by_actor.rows("bob") == [{"kind": "import"}]
    assert by_actor.rows("carol") == []
    with pytest.raises(TypeError, match="expected 1 keys"):
        by_actor.rows()


@pytest.mark.django_db
def test_a_prepared_select_refuses_a_query_that_does_not_use_its_key():
    unused = PreparedSelect(lambda key: ChangeSet.objects.values("id"))
    with pytest.raises(ValueError, match="is not used once"):
        unused.rows(1)
    unnamed = PreparedSelect(lambda key: ChangeSet.objects.filter(id=key))
    with pytest.raises(ValueError, match="name its columns"):
        unnamed.rows(1)


@pytest.mark.django_db
def test_insert_writes_what_save_writes_and_sets_the_keys():
    at = timezone.now() - timedelta(days=3)
    change_set = insert(
        ChangeSet(
            kind=ChangeSet.Kind.SERVICE,
            actor="alice",
            summary={"operation": "unit:update", "ø": [1, 2]},
            finished_at=at,
        )
    )
    assert change_set.pk is not None and not change_set._state.adding
    stored = ChangeSet.objects.get(pk=change_set.pk)
    assert stored.summary == {"operation": "unit:update", "ø": [1, 2]}
    assert stored.finished_at == at
    assert stored.started_at is not None  # auto_now_add, as save() sets it
    events = insert_many(
        [
            AuditEvent(
                change_set=change_set,
                recorded_at=at,
                actor="alice",
                client="api:test",
                operation="unit:update",
                target_type="unit",
                target_id=str(n),
                before=None,
                after={"name": f"Enhed {n}"},
                changed=["name"],
            )
            for n in range(3)
        ]
    )
    assert [event.pk for event in events] == sorted(event.pk for event in events)
    for event in events:
        stored_event = AuditEvent.objects.get(pk=event.pk)
        assert stored_event.after == {"name": f"Enhed {event.target_id}"}
        assert stored_event.before is None
        assert stored_event.recorded_at == at
    # the instance can be saved again through the ORM (it knows it exists)
    change_set.summary = {"done": True}
    change_set.save(update_fields=["summary"])
    assert ChangeSet.objects.get(pk=change_set.pk).summary == {"done": True}


@pytest.mark.django_db
def test_update_row_sets_fields_by_primary_key():
    first = ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="alice")
    second = ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="bob")
    at = timezone.now()
    assert update_row(ChangeSet, first.pk, finished_at=at, summary={"n": 1}) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.finished_at, first.summary) == (at, {"n": 1})
    assert second.finished_at is None
    assert update_row(ChangeSet, 0, finished_at=at) == 0


def test_update_row_takes_a_model_instance_for_a_foreign_key(record):
    owner = factories.unit()
    record([(owner, None)])
    version = UnitVersion.objects.get(unit_id=owner.sor_id)
    superseding = ChangeSet.objects.create(kind=ChangeSet.Kind.SERVICE, actor="alice")
    at = timezone.now()
    update_row(UnitVersion, version.pk, superseded_at=at, superseded_by=superseding)
    version.refresh_from_db()
    assert version.superseded_by_id == superseding.pk
    assert version.superseded_at == at
    assert CURRENT.rows(owner.sor_id) == []
