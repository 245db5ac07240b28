"""The FHIR R4 API of the lookup service (IHE mCSD; identifiers per DK Core), under ``/fhir``.

:func:`routes` gives the Starlette routes to mount; see ``docs/fhir.md`` for what is served.
"""

from __future__ import annotations

from opensor.lookup.fhir.routes import routes

__all__ = ["routes"]
