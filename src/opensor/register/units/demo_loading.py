"""Loading the synthetic demo register into an empty register."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from opensor.domain.demo import generate_demo
from opensor.domain.identifiers import sor_id_item
from opensor.register.audit.models import ChangeSet
from opensor.register.units.history import VersionRecorder
from opensor.register.units.models import Unit
from opensor.register.units.sequences import sor_item_reserve_past

__all__ = ["DemoLoadResult", "RegisterNotEmpty", "demo_load"]


class RegisterNotEmpty(Exception):
    """The demo register only loads into an empty register."""


@dataclass(frozen=True)
class DemoLoadResult:
    """What the demo loader wrote."""

    change_set_id: int
    units: int
    unit_versions: int
    location_numbers: int


@transaction.atomic
def demo_load(
    *,
    scale: float,
    seed: int,
    reference_date: date,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> DemoLoadResult:
    """Generate the deterministic demo register and record its whole history in one go."""
    existing = Unit.objects.count()
    if existing:
        raise RegisterNotEmpty(
            f"the register already holds {existing} units; the demo register loads only "
            "into an empty register (use a new SOR_HOME or database)"
        )
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    change_set = ChangeSet.objects.create(
        kind=ChangeSet.Kind.DEMO,
        actor=actor,
        source=f"demo scale={scale} seed={seed} reference_date={reference_date}",
    )
    recorder = VersionRecorder(change_set, timezone.now())
    units = versions = 0
    glns: set[str] = set()
    max_item = 0
    for demo_unit in generate_demo(scale=scale, seed=seed, reference_date=reference_date):
        recorder.add_unit_history(demo_unit.versions, demo_unit.location_numbers)
        units += 1
        versions += len(demo_unit.versions)
        glns.update(number.gln for number in demo_unit.location_numbers)
        max_item = max(max_item, sor_id_item(demo_unit.versions[0].sor_id))
        if progress is not None and units % 1000 == 0:
            progress(units)
    recorder.flush()
    if progress is not None:
        progress(units)
    sor_item_reserve_past(max_item)
    change_set.summary = {"units": units, "unit_versions": versions, "location_numbers": len(glns)}
    change_set.finished_at = timezone.now()
    change_set.save(update_fields=["summary", "finished_at"])
    return DemoLoadResult(change_set.pk, units, versions, len(glns))
