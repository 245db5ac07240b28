"""Reading the parameters of a write-API call: path, query and JSON body.

A malformed parameter is a 400 naming it. But a caller acting outside its scope must get 403
before anything else is examined, so a :class:`Body` only *collects* what is wrong with the
request; :meth:`Body.settle` then runs the operation's scope check first and raises the 400
only for a caller that was in scope. Well-formed calls go straight to the service, which checks
the scope itself before it looks at the values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpRequest

from opensor.domain.errors import DomainError
from opensor.domain.identifiers import validate_gln, validate_sor_id
from opensor.domain.validation import FieldProblem
from opensor.register.api.http import ApiError, json_body

__all__ = ["Body", "InvalidParameters", "gln_param", "query_date", "sor_id_param"]


class InvalidParameters(ApiError):
    """One or more parameters of the call are malformed (400); ``errors`` names each."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        names = ", ".join(p.field for p in problems)
        super().__init__(
            400,
            "invalid-parameter",
            "Invalid parameter",
            f"malformed parameters: {names}",
            f"ugyldige parametre: {names}",
        )

    def problem(self) -> dict[str, object]:
        """The problem details with ``errors``: one entry per malformed parameter."""
        return {**super().problem(), "errors": [p.as_dict() for p in self.problems]}


def sor_id_param(text: str, name: str = "sorId") -> int:
    """A SOR-ID from the path; 400 naming ``name`` when it is malformed."""
    try:
        return validate_sor_id(text)
    except DomainError as error:
        raise InvalidParameters(
            [FieldProblem(name, f"ugyldigt SOR-ID: {error}", f"invalid SOR-ID: {error}")]
        ) from None


def gln_param(text: str, name: str = "gln") -> str:
    """A location number (GLN) from the path; 400 naming ``name`` when it is malformed."""
    try:
        return validate_gln(text)
    except DomainError as error:
        raise InvalidParameters(
            [FieldProblem(name, f"ugyldigt lokationsnummer: {error}", f"invalid GLN: {error}")]
        ) from None


def query_date(request: HttpRequest, name: str, default: date) -> date:
    """A ``YYYY-MM-DD`` query parameter (``default`` when absent); 400 when malformed."""
    text = request.GET.get(name)
    if text is None or text == "":
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameters(
            [
                FieldProblem(
                    name,
                    f"{text!r} er ikke en dato på formen ÅÅÅÅ-MM-DD",
                    f"{text!r} is not a date in the form YYYY-MM-DD",
                )
            ]
        ) from None


class Body:
    """The JSON body of a write, read leniently: problems are collected, not raised."""

    def __init__(self, request: HttpRequest) -> None:
        self.error: ApiError | None = None
        self.problems: list[FieldProblem] = []
        try:
            self.data: dict[str, Any] = json_body(request)
        except ApiError as error:
            self.error = error
            self.data = {}

    def _problem(self, name: str, da: str, en: str) -> None:
        self.problems.append(FieldProblem(name, da, en))

    def date(self, name: str = "effective") -> date | None:
        """An optional ``YYYY-MM-DD`` date."""
        value = self.data.get(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _not_a_date()
        except ValueError:
            self._problem(
                name,
                f"{value!r} er ikke en dato på formen ÅÅÅÅ-MM-DD",
                f"{value!r} is not a date in the form YYYY-MM-DD",
            )
            return None

    def sor_id(self, name: str, *, required: bool = True) -> int | None:
        """A SOR-ID (a number or a string of digits)."""
        value = self.data.get(name)
        if value is None:
            if required:
                self._problem(name, f"{name} mangler", f"{name} is missing")
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise DomainError("must be a SOR-ID")
            return validate_sor_id(value)
        except DomainError as error:
            self._problem(name, f"ugyldigt SOR-ID: {error}", f"invalid SOR-ID: {error}")
            return None

    def string(self, name: str, *, required: bool = True) -> str | None:
        """A string."""
        value = self.data.get(name)
        if value is None:
            if required:
                self._problem(name, f"{name} mangler", f"{name} is missing")
            return None
        if not isinstance(value, str):
            self._problem(name, f"{name} skal være tekst", f"{name} must be a string")
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        """One of ``choices`` (``default`` when absent)."""
        value = self.data.get(name, default)
        if value is None:
            self._problem(name, f"{name} mangler", f"{name} is missing")
            return None
        if value not in choices:
            listed = ", ".join(choices)
            self._problem(
                name, f"{name} skal være en af {listed}", f"{name} must be one of {listed}"
            )
            return None
        return str(value)

    def object(self, name: str) -> dict[str, Any]:
        """A JSON object (required)."""
        value = self.data.get(name)
        if not isinstance(value, dict):
            self._problem(
                name,
                f"{name} skal være et JSON-objekt med felterne",
                f"{name} must be a JSON object of fields",
            )
            return {}
        return value

    def only(self, *names: str) -> None:
        """Name every top-level member that is not one of ``names``."""
        for key in self.data:
            if key not in names:
                self._problem(key, f"ukendt parameter {key}", f"unknown parameter {key}")

    def settle(self, scope_check: Callable[[], None]) -> None:
        """Raise the collected problem (400/415) — after ``scope_check`` has passed."""
        if self.error is None and not self.problems:
            return
        scope_check()
        if self.error is not None:
            raise self.error
        raise InvalidParameters(self.problems)


def _not_a_date() -> date:
    raise ValueError("not a string")
