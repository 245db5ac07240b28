"""New SOR-IDs: allocated from a never-decreasing counter, so an ID is never reused.

The counter (``IdentifierSequence`` ``sor_item``) holds the next *item* number of the SCTID-style
SOR-ID (``<item>1000016 00 <Verhoeff>``). Imports and the demo loader push it past every item
they bring in, so IDs the register makes never meet an existing one.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from opensor.domain.identifiers import make_sor_id
from opensor.register.units.models import IdentifierSequence, Unit

__all__ = ["SOR_ITEM_SEQUENCE", "sor_id_allocate", "sor_item_reserve_past"]

SOR_ITEM_SEQUENCE = "sor_item"
_FIRST_ITEM = 1


def sor_item_reserve_past(item: int) -> None:
    """Make sure the next allocated item number is greater than ``item``."""
    updated = IdentifierSequence.objects.filter(name=SOR_ITEM_SEQUENCE).update(
        next_value=Greatest(F("next_value"), item + 1)
    )
    if not updated:
        IdentifierSequence.objects.get_or_create(
            name=SOR_ITEM_SEQUENCE, defaults={"next_value": max(item + 1, _FIRST_ITEM)}
        )
        IdentifierSequence.objects.filter(name=SOR_ITEM_SEQUENCE).update(
            next_value=Greatest(F("next_value"), item + 1)
        )


@transaction.atomic
def sor_id_allocate() -> int:
    """Allocate a new SOR-ID that no unit has ever had."""
    sequence, _ = IdentifierSequence.objects.select_for_update().get_or_create(
        name=SOR_ITEM_SEQUENCE, defaults={"next_value": _FIRST_ITEM}
    )
    item = sequence.next_value
    while Unit.objects.filter(sor_id=make_sor_id(item)).exists():
        item += 1  # an ID brought in by an import the counter had not seen yet
    sequence.next_value = item + 1
    sequence.save(update_fields=["next_value"])
    return make_sor_id(item)
