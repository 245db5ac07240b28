"""The errors maintenance services raise; each maps to one HTTP status and problem type.

The edges (write API, web UI, CLI) render them; the services decide them. Each error carries
a Danish and an English message and, for validation, the list of invalid fields.
"""

from __future__ import annotations

from opensor.domain.validation import FieldProblem

__all__ = [
    "Conflict",
    "Forbidden",
    "NotFound",
    "PreconditionFailed",
    "PreconditionRequired",
    "ServiceError",
    "ValidationFailed",
]


class ServiceError(Exception):
    """A write the register refuses; nothing was changed."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, message_en: str, message_da: str | None = None) -> None:
        self.message_en = message_en
        self.message_da = message_da or message_en
        super().__init__(message_en)

    def problem(self) -> dict[str, object]:
        """The error as RFC 9457 problem details."""
        return {
            "type": f"https://opensor.dk/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.message_en,
            "detail_da": self.message_da,
        }


class Forbidden(ServiceError):
    """The actor's roles do not cover what it tried to write (403)."""

    status = 403
    slug = "forbidden"
    title = "Outside your scope"


class NotFound(ServiceError):
    """The unit or location number does not exist, or not on the date given (404)."""

    status = 404
    slug = "not-found"
    title = "Not found"


class PreconditionRequired(ServiceError):
    """The write did not say which version it was based on (428)."""

    status = 428
    slug = "precondition-required"
    title = "If-Match required"


class PreconditionFailed(ServiceError):
    """The write was based on a version that is no longer current (412)."""

    status = 412
    slug = "precondition-failed"
    title = "Stale version"

    def __init__(self, message_en: str, message_da: str, current_etag: str) -> None:
        self.current_etag = current_etag
        super().__init__(message_en, message_da)


class Conflict(ServiceError):
    """The write contradicts the register's state (e.g. closing a unit with open children)."""

    status = 409
    slug = "conflict"
    title = "Conflict with the register"


class ValidationFailed(ServiceError):
    """One or more fields are invalid (422); ``problems`` names each one."""

    status = 422
    slug = "validation"
    title = "Invalid fields"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        fields = ", ".join(p.field for p in problems)
        super().__init__(f"invalid fields: {fields}", f"ugyldige felter: {fields}")

    def problem(self) -> dict[str, object]:
        """The problem details with ``errors``: one entry per invalid field."""
        return {**super().problem(), "errors": [p.as_dict() for p in self.problems]}
