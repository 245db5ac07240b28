"""The reference consumer: a local copy of the register kept in sync with a lookup service."""

from opensor.mirror.database import DATABASE_NAME, MirrorDatabase, entity_checksum
from opensor.mirror.http import HttpClient, MirrorError
from opensor.mirror.sync import SyncReport, sync

__all__ = [
    "DATABASE_NAME",
    "HttpClient",
    "MirrorDatabase",
    "MirrorError",
    "SyncReport",
    "entity_checksum",
    "sync",
]
