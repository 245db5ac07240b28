"""Writes to the register's code lists: SHAK import and the authority's added codes.

Every write is one call: one transaction, one change set recording who did it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from opensor.domain.codelists import CodeLists
from opensor.domain.errors import DomainError, InvalidCode
from opensor.domain.shak import open_shak
from opensor.register.audit.models import ChangeSet
from opensor.register.codes.models import CodeAddition, ShakCode

__all__ = ["ShakImportResult", "code_add", "shak_import"]


@dataclass(frozen=True)
class ShakImportResult:
    """What a SHAK import did."""

    change_set_id: int
    codes: int
    periods: int
    hospitals: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@transaction.atomic
def shak_import(*, path: Path, actor: str) -> ShakImportResult:
    """Replace the SHAK classification with the contents of a SHAK complete file.

    The file is read completely before anything is written; a malformed line raises
    :class:`~opensor.domain.shak.ShakFormatError` naming the line, and nothing changes.
    """
    records = list(open_shak(path))
    seen: dict[tuple[str, object], int] = {}
    for record in records:
        key = (record.code, record.valid_from)
        if key in seen:
            raise DomainError(
                f"line {record.line}: SHAK code {record.code} starting {record.valid_from} "
                f"appears again (first on line {seen[key]})"
            )
        seen[key] = record.line
    change_set = ChangeSet.objects.create(
        kind=ChangeSet.Kind.IMPORT,
        actor=actor,
        source=f"SHAK {path.name}",
        source_sha256=_sha256(path),
    )
    ShakCode.objects.all().delete()
    ShakCode.objects.bulk_create(
        (
            ShakCode(
                code=r.code,
                kind=r.kind,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                changed=r.changed,
                text=r.text,
            )
            for r in records
        ),
        batch_size=2000,
    )
    result = ShakImportResult(
        change_set_id=change_set.pk,
        codes=len({r.code for r in records}),
        periods=len(records),
        hospitals=len({r.code for r in records if r.kind == "sgh"}),
    )
    change_set.summary = {"codes": result.codes, "periods": result.periods}
    change_set.finished_at = timezone.now()
    change_set.save(update_fields=["summary", "finished_at"])
    return result


@transaction.atomic
def code_add(
    *, list_name: str, code: str, name_da: str, name_en: str = "", active: bool = True, actor: str
) -> CodeAddition:
    """Add a code to a code list, rename it, or retire it (``active=False``)."""
    code_list = CodeLists.bundled().get(list_name)  # raises InvalidCode for an unknown list
    code = code.strip()
    if not code:
        raise InvalidCode(list_name, code, "a code cannot be empty")
    if not name_da.strip() and active:
        raise InvalidCode(list_name, code, "a new code needs a Danish name")
    change_set = ChangeSet.objects.create(
        kind=ChangeSet.Kind.SERVICE, actor=actor, source=f"code list {code_list.name}"
    )
    addition, _ = CodeAddition.objects.update_or_create(
        list_name=code_list.name,
        code=code,
        defaults={
            "name_da": name_da.strip(),
            "name_en": name_en.strip(),
            "active": active,
            "added_by": actor,
        },
    )
    change_set.summary = {"list": code_list.name, "code": code, "active": active}
    change_set.finished_at = timezone.now()
    change_set.save(update_fields=["summary", "finished_at"])
    return addition
