"""Synthetic SorTree content for tests and benchmarks: realistic, schema-valid, deterministic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from opensor.domain.identifiers import make_gln, make_sor_id
from opensor.domain.records import (
    Address,
    Contact,
    Level,
    LocationNumberRecord,
    Speciality,
    UnitRecord,
    Validity,
)

Item = tuple[UnitRecord, LocationNumberRecord | None]

_STREETS = ("Vesterbrogade", "Nørregade", "Bymidten", "Blegdamsvej", "Søndre Boulevard")
_DISTRICTS = (("3250", "Gilleleje"), ("3500", "Værløse"), ("2100", "København Ø"))


def _address(n: int) -> Address:
    postcode, district = _DISTRICTS[n % len(_DISTRICTS)]
    return Address(
        street_name=_STREETS[n % len(_STREETS)],
        building=str(n % 200 + 1),
        postcode=postcode,
        district=district,
        floor="ST" if n % 3 == 0 else None,
        country="DK",
    )


def _validity(n: int) -> Validity:
    return Validity(
        first_from=date(1990 + n % 20, 1 + n % 12, 1 + n % 28),
        valid_from=date(2000 + n % 10, 1 + n % 12, 1 + n % 28),
        updated_at=date(2009, 3, 31),
    )


def _location(n: int, owner: int) -> LocationNumberRecord:
    return LocationNumberRecord(
        gln=make_gln(f"579{n % 10**9:09d}"),
        owner_sor_id=owner,
        system_supplier="641000055002",
        system_type="1611000045003",
        communication_supplier="41000035001",
        region_code="1084",
        edi_administrator="116",
        validity=_validity(n),
    )


def synthetic_items(units: int, *, start_item: int = 1000) -> Iterator[Item]:
    """``units`` units in depth-first pre-order: owners with 4 institutions of 10 OEs each."""
    item = start_item
    written = 0

    def next_id() -> int:
        nonlocal item
        item += 1
        return make_sor_id(item)

    while written < units:
        owner_id = next_id()
        owner = UnitRecord(
            sor_id=owner_id,
            level=Level.OWNER,
            name=f"Ejer {written}",
            validity=_validity(written),
            owner_type="550891000005100",
            postal_address=_address(written),
            contact=Contact(phone="48300204", fax="48300109", email="info@example.dk"),
        )
        yield owner, _location(written, owner_id)
        written += 1
        for _si in range(4):
            if written >= units:
                return
            si_id = next_id()
            yield (
                UnitRecord(
                    sor_id=si_id,
                    level=Level.INSTITUTION,
                    name=f"Sundhedsinstitution {written}",
                    validity=_validity(written),
                    parent_sor_id=owner_id,
                    institution_type="22232009",
                    shak=f"{written % 9000 + 1000}",
                    location_number_inherited=True,
                    geographical_parent_relation=1,
                    postal_address=_address(written),
                    visiting_address=_address(written + 1),
                    contact=Contact(phone="48300204", website="https://example.dk"),
                ),
                None,
            )
            written += 1
            oe_id = si_id
            for oe in range(10):
                if written >= units:
                    return
                # five departments, each followed by one section beneath it
                parent_id = si_id if oe % 2 == 0 else oe_id
                oe_id = next_id()
                own = oe % 4 == 0
                yield (
                    UnitRecord(
                        sor_id=oe_id,
                        level=Level.UNIT,
                        name=f"Afdeling {written}",
                        validity=_validity(written),
                        parent_sor_id=parent_id,
                        unit_type="550851000005109",
                        shak=f"{written % 9000 + 1000}{oe:02d}",
                        provider_number=f"{written % 10**6:06d}" if oe == 1 else None,
                        location_number_inherited=None if own else True,
                        geographical_parent_relation=2,
                        activity_address=_address(written) if oe % 3 == 0 else None,
                        specialities=(Speciality("408443003", "51000095001"),) if oe % 2 else (),
                        ambulant_activity=True,
                        patients_admitted=False,
                        reporting_level=oe % 2 == 0,
                    ),
                    _location(written, oe_id) if own else None,
                )
                written += 1
