"""Logging in and out of the maintainers' UI, and the guard every other page stands behind.

Logins go through :func:`opensor.register.accounts.services.login_check`, which locks a user
name out after repeated failures; the session is Django's (a signed, HttpOnly cookie, Secure
unless ``SOR_INSECURE_COOKIES=1``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opensor.register.accounts.services import LoginLocked, actor_for_user, login_check

__all__ = ["login_view", "logout_view", "maintainer_view", "safe_next"]

View = Callable[..., HttpResponse]


def safe_next(request: HttpRequest, default: str = "/manage/") -> str:
    """The ``next`` target of a form or link when it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def maintainer_view(view: View) -> View:
    """Require a logged-in user; give the view ``request.actor`` (client ``web``)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            login_url = reverse("web:login")
            return HttpResponseRedirect(f"{login_url}?next={request.get_full_path()}")
        request_id = request.headers.get("X-Request-ID", "")[:100] or uuid.uuid4().hex
        request.actor = actor_for_user(request.user, client="web", request_id=request_id)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return guarded


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The login form; a wrong password says so, a locked-out name says until when."""
    error = ""
    username = ""
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        password = request.POST.get("password", "")[:1000]
        try:
            user = login_check(username, password) if username and password else None
        except LoginLocked as locked:
            until = timezone.localtime(locked.until)  # type: ignore[arg-type]
            error = _(
                "Brugeren er spærret efter for mange mislykkede forsøg på at logge ind. "
                "Prøv igen efter kl. %(time)s."
            ) % {"time": formats.time_format(until, "H:i")}
            status = 429
        else:
            if user is not None:
                login(request, user)
                return HttpResponseRedirect(safe_next(request))
            error = _("Forkert brugernavn eller adgangskode.")
            status = 401
    return render(
        request,
        "web/login.html",
        {"error": error, "username": username, "next": safe_next(request, "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the session and go back to the login form."""
    logout(request)
    return HttpResponseRedirect(reverse("web:login"))
