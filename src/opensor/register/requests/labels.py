"""Danish labels of the fields a request can change, and values shown as text."""

from __future__ import annotations

from typing import Any

__all__ = ["FIELD_LABELS", "field_label", "shown"]

FIELD_LABELS = {
    "name": "Navn",
    "owner_type": "Ejertype",
    "institution_type": "Institutionstype",
    "unit_type": "Enhedstype",
    "shak": "SHAK-kode",
    "provider_number": "Ydernummer",
    "pharmacy_id": "Apoteks-id",
    "local_code": "Lokal kode",
    "cvr": "CVR-nummer",
    "postal_address": "Postadresse",
    "visiting_address": "Besøgsadresse",
    "activity_address": "Aktivitetsadresse",
    "street_name": "vejnavn",
    "building": "husnummer",
    "postcode": "postnummer",
    "district": "postdistrikt",
    "floor": "etage",
    "suite": "side/dør",
    "country": "land",
    "contact": "Kontakt",
    "phone": "telefon",
    "email": "e-mail",
    "website": "hjemmeside",
    "fax": "fax",
    "specialities": "Specialer",
    "message_types": "Meddelelsestyper",
    "note": "Bemærkning",
    "valid_to": "Gyldig til",
    "payload": "Ændringer",
    "children": "Underenheder",
    "target_sor_id": "Enhed",
    "target_gln": "Lokationsnummer",
    "level": "Niveau",
    "kind": "Art",
    "message": "Besked",
    "reason": "Begrundelse",
    "effective": "Gælder fra",
}
"""Danish labels by field name (the parts of a dotted name are looked up one by one)."""


def field_label(name: str) -> str:
    """The Danish label of a (dotted) field name, e.g. ``Postadresse, postnummer``."""
    parts = [FIELD_LABELS.get(part, part) for part in name.split(".")]
    return ", ".join(parts)


def shown(value: Any) -> str:
    """A value as maintainers read it (``—`` for nothing)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, list | tuple):
        return ", ".join(
            f"{item.get('code')} ({item.get('type')})" if isinstance(item, dict) else shown(item)
            for item in value
        )
    return str(value)
