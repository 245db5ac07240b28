"""FHIR R4 mapping of the register (IHE mCSD; identifiers per HL7 Denmark's DK Core).

Pure Python: the publisher calls these functions to store each unit's ``Organization`` and
``Location`` and each location number's ``Endpoint`` in a publication; the lookup service
serves those bytes and uses :mod:`opensor.domain.fhir.history` to rebuild past versions.
"""

from __future__ import annotations

from opensor.domain.fhir.history import OwnedNumber, effective_on, history_method
from opensor.domain.fhir.outcome import operation_outcome
from opensor.domain.fhir.resources import (
    content_version_id,
    endpoint_resource,
    location_resource,
    organization_resource,
)
from opensor.domain.fhir.systems import (
    CVR_SYSTEM,
    GLN_SYSTEM,
    PROVIDER_NUMBER_SYSTEM,
    SHAK_SYSTEM,
    SOR_SYSTEM,
)

__all__ = [
    "CVR_SYSTEM",
    "GLN_SYSTEM",
    "PROVIDER_NUMBER_SYSTEM",
    "SHAK_SYSTEM",
    "SOR_SYSTEM",
    "OwnedNumber",
    "content_version_id",
    "effective_on",
    "endpoint_resource",
    "history_method",
    "location_resource",
    "operation_outcome",
    "organization_resource",
]
