"""Views of the maintainers' web UI: parse the request, call one service or selector, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

__all__ = ["home"]


def home(request: HttpRequest) -> HttpResponse:
    """The start page."""
    return render(request, "web/home.html", {})
