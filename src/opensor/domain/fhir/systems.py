"""The URIs that OpenSOR's FHIR resources name: identifier systems, code systems, extensions.

Where a Danish profile fixes a system, the value here is that profile's (HL7 Denmark's DK Core
and MedCom's EHMI Endpoint Register, EER); where none does, the choice is OpenSOR's own and is
documented in ``docs/fhir.md``.
"""

from __future__ import annotations

__all__ = [
    "CONNECTION_TYPE_SYSTEM",
    "CVR_SYSTEM",
    "EBCORE_GLN_PARTY_PREFIX",
    "FHIR_VERSION",
    "GLN_SYSTEM",
    "LEVEL_SYSTEM",
    "MESSAGE_TYPE_SYSTEM",
    "OPENSOR_EXTENSION_BASE",
    "PROVIDER_NUMBER_SYSTEM",
    "SHAK_SYSTEM",
    "SNOMED_SYSTEM",
    "SOR_SYSTEM",
    "SPECIALITY_TYPE_EXTENSION",
]

FHIR_VERSION = "4.0.1"
"""The FHIR release the resources conform to (R4)."""

SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
"""SOR-ID (DK Core ``dk-core-sor-identifier``)."""
GLN_SYSTEM = "https://www.gs1.org/gln"
"""GS1 Global Location Number, the EAN location number (DK Core ``dk-core-gln-identifier``)."""
PROVIDER_NUMBER_SYSTEM = "urn:oid:1.2.208.176.1.4"
"""Ydernummer, the provider number (DK Core Organization slice ``Ydernummer``)."""
CVR_SYSTEM = "http://cvr.dk"
"""CVR, the business register number (DK Core ``dk-core-cvr-identifier``)."""
SHAK_SYSTEM = "urn:oid:1.2.208.176.2.4"
"""SHAK (sygehus-afdelingsklassifikation), part of the SKS classification; DK Core names this
OID ``$SKS``. DK Core has no Organization slice for SHAK; the system is the one OpenSOR's design
names (DESIGN §3)."""

SNOMED_SYSTEM = "http://snomed.info/sct"
"""SNOMED CT: owner, institution and unit types and clinical specialities."""
LEVEL_SYSTEM = "http://medcomehmi.dk/ig/terminology/CodeSystem/eer-sor-organization-type"
"""MedCom EER's code system for the SOR level of an organisation (codes ``IE``, ``SI``, ``OE``)."""
MESSAGE_TYPE_SYSTEM = "http://medcomehmi.dk/ig/terminology/CodeSystem/ehmi-message-definition-uri"
"""MedCom EER's code system of message definitions by URN, used for ``Endpoint.payloadType``."""
CONNECTION_TYPE_SYSTEM = (
    "http://medcomehmi.dk/ig/terminology/CodeSystem/eer-endpoint-connection-type"
)
"""MedCom EER's code system of endpoint connection types (``vansMessaging``,
``EerMessagingEdelivery`` …)."""

EBCORE_GLN_PARTY_PREFIX = "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088:"
"""The OASIS ebCore Party Id of a GS1 GLN (ISO 6523 ICD 0088), the notation eDelivery uses to
address a party; ``Endpoint.address`` is this prefix followed by the GLN."""

OPENSOR_EXTENSION_BASE = "urn:opensor:fhir:StructureDefinition:"
"""Base of OpenSOR's own extension URLs (logical names: SOR has no published FHIR profile for
what they carry)."""
SPECIALITY_TYPE_EXTENSION = OPENSOR_EXTENSION_BASE + "speciality-type"
"""On a speciality in ``Organization.type``: the SOR speciality type code (``valueCode``)."""
