"""Strict FHIR parsing for the tests: every resource must parse under two independent models.

* ``fhirclient`` (SMART on FHIR), whose models are generated from FHIR R4 4.0.1 and, with
  ``strict=True`` (the default), refuse unknown elements and wrong types;
* ``fhir.resources`` 8, R4B models (pydantic, ``extra="forbid"``), which also check the
  primitive formats (ids, instants, codes, URIs).

Other test modules import :func:`assert_strict_fhir` from here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.fhirelementfactory import FHIRElementFactory
from pydantic import ValidationError

__all__ = ["assert_strict_fhir"]


def assert_strict_fhir(resource: dict[str, Any] | bytes | str) -> dict[str, Any]:
    """Parse ``resource`` (a dict or JSON) under both models; returns the dict."""
    data: dict[str, Any] = resource if isinstance(resource, dict) else json.loads(resource)
    resource_type = data["resourceType"]
    FHIRElementFactory.instantiate(resource_type, data)  # strict=True by default
    get_fhir_model_class(resource_type).model_validate(data)
    return data


def test_an_unknown_element_is_refused_by_both_models() -> None:
    organization = {"resourceType": "Organization", "id": "1", "name": "x", "colour": "red"}
    with pytest.raises(FHIRValidationError):
        FHIRElementFactory.instantiate("Organization", organization)
    with pytest.raises(ValidationError):
        get_fhir_model_class("Organization").model_validate(organization)


def test_a_malformed_primitive_is_refused() -> None:
    with pytest.raises((FHIRValidationError, ValidationError)):
        assert_strict_fhir(
            {"resourceType": "Organization", "id": "1", "meta": {"lastUpdated": "yesterday"}}
        )


def test_an_unknown_element_inside_a_bundle_entry_is_refused() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Endpoint", "id": "1", "bogus": True}}],
    }
    with pytest.raises((FHIRValidationError, ValidationError)):
        assert_strict_fhir(bundle)
