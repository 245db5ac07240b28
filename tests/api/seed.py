"""Seed a fresh register for the API tests (run in a subprocess against the served database).

``python -m tests.api.seed`` records the maintenance world of :mod:`tests.factories`, adds a
few units so every scope has two maintainable units, creates one user per role with an API
token, and prints the SOR-IDs, GLNs and tokens as JSON on stdout.
"""

from __future__ import annotations

import json
import os


def main() -> None:
    """Seed the register named by the environment and print what the tests need."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    import django

    django.setup()
    from django.utils import timezone

    from opensor.domain.records import Level
    from opensor.domain.responsibility import Role
    from opensor.register.accounts.actors import Actor
    from opensor.register.accounts.services import token_create, user_add
    from opensor.register.audit.models import ChangeSet
    from opensor.register.maintenance.units import unit_create
    from opensor.register.units.history import VersionRecorder
    from tests.factories import record_maintenance_world

    def record(batch, *, owns_location_numbers=True):  # type: ignore[no-untyped-def]
        change_set = ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="seed")
        recorder = VersionRecorder(change_set, timezone.now())
        recorder.record_units(batch, owns_location_numbers=owns_location_numbers)
        return recorder

    world = record_maintenance_world(record)
    ids = {name: value.sor_id for name, value in world.items() if hasattr(value, "sor_id")}
    glns = {name: value.gln for name, value in world.items() if hasattr(value, "gln")}
    roles = {
        "authority": "authority",
        "region": "region:1085",
        "other_region": "region:1083",
        "municipality": "municipality:0259",
        "practice": f"practice:{ids['practice_owner']}",
    }
    seeder = {
        name: Actor(f"seed-{name}", (Role.parse(text),), client="seed")
        for name, text in roles.items()
    }
    extra = {
        "care_unit_2": ("municipality", "care", "Træning Køge Nord"),
        "other_section": ("other_region", "other_department", "Kardiologisk ambulatorium"),
    }
    for name, (role, parent, title) in extra.items():
        result = unit_create(
            seeder[role], level=Level.UNIT, parent_sor_id=ids[parent], values={"name": title}
        )
        ids[name] = int(result.target_id)
    tokens = {}
    for name, text in roles.items():
        user_add(name, [text])
        tokens[name] = token_create(name, f"{name}-client")[1]
    print(json.dumps({"ids": {k: str(v) for k, v in ids.items()}, "glns": glns, "tokens": tokens}))


if __name__ == "__main__":
    main()
