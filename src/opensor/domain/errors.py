"""Errors raised by the domain core.

Every error names what was wrong (the field or identifier kind), the offending value and why,
so that a CLI, a web form or an import report can show it to a person as it is.
"""

from __future__ import annotations

__all__ = ["DomainError", "InvalidCode", "InvalidIdentifier"]


class DomainError(ValueError):
    """Base class of every error the domain core raises on bad input."""


class InvalidIdentifier(DomainError):
    """An identifier (SOR-ID, GLN, SHAK, CVR, postcode …) that breaks its format rules."""

    def __init__(self, kind: str, value: object, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {kind} {value!r}: {reason}")


class InvalidCode(DomainError):
    """A code that is not in the code list it must come from."""

    def __init__(self, code_list: str, code: object, reason: str = "not in the code list") -> None:
        self.code_list = code_list
        self.code = code
        self.reason = reason
        super().__init__(f"unknown {code_list} code {code!r}: {reason}")
