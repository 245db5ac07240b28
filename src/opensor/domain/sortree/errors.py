"""Errors of the SorTree reader and writer."""

from __future__ import annotations

from opensor.domain.errors import DomainError

__all__ = ["SorTreeError", "SorTreeWriteError"]


class SorTreeError(DomainError):
    """A SorTree file that cannot be read: malformed, unsafe or not valid against the schema.

    ``message`` says what is wrong, ``line`` where (1-based, ``None`` when unknown) and
    ``sor_id`` in which unit (``None`` outside a unit or before its SorIdentifier), e.g.
    ``line 42, SOR-ID 8341000016002: EanLocationCode '5790000141228': check digit should be 7``.
    """

    def __init__(self, message: str, line: int | None = None, sor_id: int | None = None) -> None:
        self.message = message
        self.line = line
        self.sor_id = sor_id
        where = []
        if line is not None:
            where.append(f"line {line}")
        if sor_id is not None:
            where.append(f"SOR-ID {sor_id}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    def __reduce__(self) -> tuple[type[SorTreeError], tuple[str, int | None, int | None]]:
        return (type(self), (self.message, self.line, self.sor_id))


class SorTreeWriteError(DomainError):
    """Records that cannot be written as a valid SorTree file.

    ``sor_id`` names the unit (``None`` for the file header) and ``field`` the record attribute
    (e.g. ``postal_address`` or ``contact.phone``) that is missing, invalid or out of order.
    """

    def __init__(self, message: str, sor_id: int | None = None, field: str | None = None) -> None:
        self.message = message
        self.sor_id = sor_id
        self.field = field
        super().__init__(f"SOR-ID {sor_id}: {message}" if sor_id is not None else message)

    def __reduce__(self) -> tuple[type[SorTreeWriteError], tuple[str, int | None, str | None]]:
        return (type(self), (self.message, self.sor_id, self.field))
