"""The protected channel's HTTP endpoints: the token endpoint and filing access requests.

* ``POST /api/v1/register/oauth/token`` — OAuth 2 client credentials (RFC 6749 §4.4): form
  fields ``grant_type=client_credentials`` and optional ``scope``; the client authenticates
  with HTTP Basic (``client_id:client_secret``) or the form fields ``client_id`` and
  ``client_secret``. Errors are RFC 6749 §5.2 documents (``invalid_client`` is 401).
* ``POST /api/v1/register/access/requests`` — file an access request (JSON: organisation,
  cvr, purpose, contact_name, contact_email, scopes); answered 201 with its id and status.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opensor.register.access.services import AccessError, request_file, token_issue

__all__ = ["access_request_file", "token"]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: AccessError) -> HttpResponse:
    headers = dict(_NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="opensor"'
    return JsonResponse(
        {"error": error.code, "error_description": str(error)},
        status=error.status,
        headers=headers,
    )


def _basic(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """The client-credentials token endpoint."""
    if request.POST.get("grant_type") != "client_credentials":
        return _oauth_error(
            AccessError("unsupported_grant_type", "only grant_type=client_credentials")
        )
    credentials = _basic(request) or (
        request.POST.get("client_id", ""),
        request.POST.get("client_secret", ""),
    )
    try:
        document = token_issue(*credentials, request.POST.get("scope") or None)
    except AccessError as error:
        return _oauth_error(error)
    return JsonResponse(document, headers=_NO_STORE)


@csrf_exempt
@require_POST
def access_request_file(request: HttpRequest) -> HttpResponse:
    """File an access request (no login: the authority vets it before anything is granted)."""
    try:
        data: Any = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError
        scopes = data.get("scopes") or []
        filed = request_file(
            organisation=str(data.get("organisation", "")),
            cvr=str(data.get("cvr", "")),
            purpose=str(data.get("purpose", "")),
            contact_name=str(data.get("contact_name", "")),
            contact_email=str(data.get("contact_email", "")),
            scopes=[str(s) for s in scopes] if isinstance(scopes, list) else [],
        )
    except ValueError:
        return JsonResponse(
            {"error": "invalid_request", "detail": "send a JSON object"}, status=400
        )
    except AccessError as error:
        return JsonResponse({"error": error.code, "detail": str(error)}, status=error.status)
    return JsonResponse({"id": filed.pk, "status": filed.status}, status=201)
