"""The OpenAPI description of the change-request endpoints, merged into the write API's."""

from typing import Any

REQUEST_PATHS: dict[str, Any] = {}
"""OpenAPI ``paths`` entries, keyed from the server root (``/api/v1/register/requests``)."""
REQUEST_SCHEMAS: dict[str, Any] = {}
"""OpenAPI ``components.schemas`` entries the paths refer to."""
