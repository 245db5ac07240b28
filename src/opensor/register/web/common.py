"""Small helpers shared by the maintainers' views: language, flash messages, error pages."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from opensor.domain.validation import FieldProblem
from opensor.register.maintenance.errors import ServiceError

__all__ = [
    "error_page",
    "flash",
    "lang",
    "message_of",
    "pop_flash",
    "problem_text",
    "saved_message",
    "today",
]


def today() -> date:
    """Today in the register's time zone (Europe/Copenhagen)."""
    return timezone.localdate()


def lang() -> str:
    """The language of the current request: ``da`` or ``en``."""
    return "en" if (get_language() or "da").startswith("en") else "da"


def message_of(error: ServiceError) -> str:
    """A service error's message in the request's language."""
    return error.message_en if lang() == "en" else error.message_da


def problem_text(problem: FieldProblem) -> str:
    """A field problem's message in the request's language."""
    return problem.message_en if lang() == "en" else problem.message_da


def flash(request: HttpRequest, text: str) -> None:
    """Keep a message for the next page the user sees."""
    request.session["flash"] = text


def pop_flash(request: HttpRequest) -> str:
    """The message kept by :func:`flash`, once."""
    return str(request.session.pop("flash", ""))


def saved_message() -> str:
    """What a successful write tells the maintainer (who sees it when)."""
    return _(
        "Ændringen er gemt. Den er synlig for vedligeholdere nu og for brugerne af "
        "opslagstjenesten efter næste publicering."
    )


def error_page(request: HttpRequest, error: ServiceError) -> HttpResponse:
    """The page for a refused write (403 outside the user's scope, 404, 409 …)."""
    titles = {
        403: _("Ikke tilladt"),
        404: _("Ikke fundet"),
        409: _("Konflikt"),
        412: _("Enheden er ændret af en anden"),
        428: _("Versionen mangler"),
    }
    return render(
        request,
        "web/error.html",
        {
            "title": titles.get(error.status, _("Ændringen blev afvist")),
            "reason": message_of(error),
            "status": error.status,
        },
        status=error.status,
    )
