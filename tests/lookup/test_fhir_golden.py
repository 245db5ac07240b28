"""Golden files: the FHIR resources of the two real SorTree extracts, as published and served.

The extracts (a pharmacy with a branch; a GP practice with a provider number and an inherited
location number) are imported into the register, published, and every Organization, Location
and Endpoint is read through the FHIR API and compared with ``golden/<Type>-<id>.json``.
``meta.lastUpdated`` is the register's record time (the test's clock), so it is compared as a
placeholder. Set ``SOR_WRITE_GOLDEN=1`` to write missing golden files (review them by eye).
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.domain.test_fhir_strict import assert_strict_fhir
from tests.lookup.test_fhir_api import Http

from opensor.lookup.app import create_app
from opensor.lookup.settings import LookupSettings
from opensor.publication.builder import publish
from opensor.publication.store import PublicationStore
from opensor.register.units.importing import sortree_import

GOLDEN = Path(__file__).parent / "golden"
SNAPSHOT_DAY = date(2010, 1, 26)

pytestmark = pytest.mark.reference


def _normalised(resource: dict[str, Any]) -> dict[str, Any]:
    meta = dict(resource["meta"])
    meta["lastUpdated"] = "<lastUpdated>"
    return {**resource, "meta": meta}


@pytest.fixture
def served(db: None, reference_dir: Path, tmp_path: Path) -> Http:
    for name in ("ONE_APOTEK.xml", "ONE_PRAKSIS.xml"):
        sortree_import(path=reference_dir / "samples" / name, actor="test")
    store = PublicationStore(tmp_path / "publications")
    publish(as_of=SNAPSHOT_DAY, store=store)
    app = create_app(store, settings=LookupSettings(check_interval=0.0))
    return Http(app)


def _all(http: Http, resource_type: str) -> list[dict[str, Any]]:
    bundle = http.fhir(f"/fhir/{resource_type}?_count=1000")
    assert "next" not in {link["relation"] for link in bundle["link"]}
    return [entry["resource"] for entry in bundle.get("entry", [])]


def test_the_real_extracts_match_the_golden_files(served: Http) -> None:
    written, mismatched = [], []
    resources = [r for t in ("Organization", "Location", "Endpoint") for r in _all(served, t)]
    assert len(resources) == 6 + 4 + 2  # 6 units (2 owners), their 4 Locations, 2 numbers
    for resource in resources:
        assert_strict_fhir(resource)
        read = served.fhir(f"/fhir/{resource['resourceType']}/{resource['id']}")
        assert read == resource
        path = GOLDEN / f"{resource['resourceType']}-{resource['id']}.json"
        actual = _normalised(resource)
        if not path.exists():
            if os.environ.get("SOR_WRITE_GOLDEN") != "1":
                pytest.fail(f"no golden file {path.name}; run with SOR_WRITE_GOLDEN=1 to write it")
            path.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", "utf-8")
            written.append(path.name)
            continue
        if json.loads(path.read_text("utf-8")) != actual:
            mismatched.append(path.name)
    assert not mismatched, f"FHIR output differs from the golden files: {mismatched}"
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == sorted(
        f"{r['resourceType']}-{r['id']}.json" for r in resources
    ), "a golden file has no resource any more"


def test_the_inherited_location_number_routes_the_practice(served: Http) -> None:
    # ONE_PRAKSIS: the owner holds 5790000141227; the practice and its provider-number unit
    # inherit it, so their Organizations and Locations refer to that Endpoint.
    for resource_type, sor_id in (
        ("Organization", "8331000016009"),
        ("Organization", "8341000016002"),
        ("Location", "8341000016002"),
    ):
        resource = served.fhir(f"/fhir/{resource_type}/{sor_id}")
        assert resource["endpoint"] == [{"reference": "Endpoint/5790000141227"}]
    found = served.fhir("/fhir/Organization?identifier=urn:oid:1.2.208.176.1.4|019062")
    assert [e["resource"]["id"] for e in found["entry"]] == ["8341000016002"]
    users = served.fhir("/fhir/Organization?endpoint=Endpoint/5790000141227")
    assert {e["resource"]["id"] for e in users["entry"]} == {
        "8321000016007",
        "8331000016009",
        "8341000016002",
    }
