"""Fill a freshly initialised register with the sector trees and one user per role.

Run as ``python -m tests.web.seed`` with ``SOR_HOME``/``SOR_DATABASE_URL`` pointing at the
database a browser test serves; prints the trees' SOR-IDs as JSON. The browser tests run it
in a subprocess so that the served register sees committed data.
"""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    """Record the world, add the users and print the SOR-IDs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
    django.setup()
    from django.utils import timezone

    from opensor.register.accounts.services import user_add
    from opensor.register.audit.models import ChangeSet
    from opensor.register.units.history import VersionRecorder
    from tests.factories import record_maintenance_world
    from tests.web.conftest import PASSWORD, ROLES

    def record(batch, *, owns_location_numbers=True):  # type: ignore[no-untyped-def]
        change_set = ChangeSet.objects.create(kind=ChangeSet.Kind.IMPORT, actor="test")
        recorder = VersionRecorder(change_set, timezone.now())
        recorder.record_units(batch, owns_location_numbers=owns_location_numbers)
        return recorder

    world = record_maintenance_world(record)
    for name, role in ROLES.items():
        user_add(name, [role], password=PASSWORD)
    print(
        json.dumps({name: unit.sor_id for name, unit in world.items() if hasattr(unit, "sor_id")})
    )


if __name__ == "__main__":
    main()
