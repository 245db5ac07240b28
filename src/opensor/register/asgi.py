"""The register as an ASGI application (the maintainers' UI and the write API)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

__all__ = ["application"]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensor.register.settings")
application = get_asgi_application()
