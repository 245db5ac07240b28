"""The public pages' texts in Danish (the default) and English, and the choice between them.

The language is taken from ``?lang=da|en`` (which also sets the ``lang`` cookie for the next
pages), else from the ``lang`` cookie, else Danish. Texts are looked up by key; a key missing
from English falls back to Danish, and a key missing from both is shown as itself.
"""

from __future__ import annotations

from starlette.types import Scope

from opensor.lookup.responses import request_header

__all__ = ["LANGUAGES", "Texts", "language_of", "texts"]

LANGUAGES = ("da", "en")
COOKIE = "lang"

_DA: dict[str, str] = {
    "site": "Sundhedsvæsenets Organisationsregister",
    "site_short": "SOR",
    "skip": "Gå til indhold",
    "nav_search": "Søg",
    "nav_map": "Kort",
    "nav_downloads": "Downloads",
    "nav_api": "API",
    "switch_language": "English",
    "switch_language_label": "Switch to English",
    "search_title": "Find en enhed",
    "search_label": "Navn, SOR-ID, SHAK, ydernummer, GLN, CVR eller postnummer",
    "search_button": "Søg",
    "search_hint": (
        "Skriv fx Køge, Koege, 3001 eller et lokationsnummer. Resultaterne vises mens du skriver."
    ),
    "filters": "Afgrænsning",
    "filter_apply": "Anvend",
    "filter_reset": "Nulstil",
    "any": "Alle",
    "level": "Niveau",
    "level_IE": "Institutionsejer",
    "level_SI": "Sundhedsinstitution",
    "level_OE": "Organisatorisk enhed",
    "region": "Region",
    "municipality": "Kommune",
    "unit_type": "Enhedstype",
    "speciality": "Speciale",
    "message_type": "Meddelelsestype",
    "status": "Status",
    "active": "Aktiv",
    "closed": "Lukket",
    "results": "Resultater",
    "results_count": "{count} enheder fundet",
    "results_one": "1 enhed fundet",
    "results_none": "Ingen enheder fundet.",
    "results_hint": "Skriv et navn eller en kode, eller vælg en afgrænsning.",
    "next_page": "Næste side",
    "match_fuzzy": "lignende navn",
    "name": "Navn",
    "codes": "Koder",
    "sor_id": "SOR-ID",
    "shak": "SHAK",
    "provider_number": "Ydernummer",
    "cvr": "CVR",
    "pharmacy_id": "Apoteksnummer",
    "gln": "Lokationsnummer (GLN)",
    "copy": "Kopiér",
    "copied": "Kopieret",
    "copy_label": "Kopiér {what}",
    "addresses": "Adresser",
    "postal_address": "Postadresse",
    "visiting_address": "Besøgsadresse",
    "activity_address": "Aktivitetsadresse",
    "contact": "Kontakt",
    "phone": "Telefon",
    "email": "E-mail",
    "website": "Hjemmeside",
    "fax": "Fax",
    "inherited_from": "arvet fra",
    "own_value": "egen",
    "type": "Type",
    "specialities": "Specialer",
    "none": "Ingen",
    "location_number": "Lokationsnummer og meddelelsestyper",
    "location_inherited": "Lokationsnummeret er arvet fra",
    "location_own": "Enheden har sit eget lokationsnummer.",
    "location_missing": "Enheden har intet lokationsnummer.",
    "accepts": "Modtager",
    "tree": "Placering i hierarkiet",
    "path_to_root": "Vejen til toppen",
    "children": "Underliggende enheder",
    "children_none": "Ingen underliggende enheder.",
    "children_more": "Viser {shown} af {total}.",
    "history": "Historik",
    "as_of": "Vis enheden pr. dato",
    "as_of_button": "Vis",
    "as_of_now": "Vis aktuel",
    "as_of_showing": "Viser enheden som den var {date}.",
    "valid_from": "Gyldig fra",
    "valid_to": "Gyldig til",
    "open_ended": "–",
    "older_name": "navn",
    "replaces": "Erstatter (forgængere)",
    "replaced_by": "Erstattet af (efterfølgere)",
    "json": "Som JSON",
    "validity": "Gyldighed",
    "status_active": "Aktiv",
    "status_closed": "Lukket",
    "map_title": "Enheder på kort",
    "map_intro": "Enheder med koordinater. Listen nedenfor viser de samme enheder.",
    "map_no_tiles": "Kortbaggrunden er ikke tilgængelig; enhederne vises som punkter og i listen.",
    "map_list": "Enheder",
    "map_showing": "Viser {shown} af {total} enheder med koordinater.",
    "coordinates": "Koordinater",
    "downloads_title": "Downloads",
    "downloads_intro": "Filerne i den aktuelle publikation. En publikation ændres aldrig.",
    "publication": "Publikation",
    "published": "Udgivet",
    "data_as_of": "Data pr.",
    "file": "Fil",
    "size": "Størrelse",
    "checksum": "SHA-256",
    "file_protected": "Kræver godkendt adgang",
    "file_personal_data": "Filen indeholder personoplysninger om enkeltmandsvirksomheder.",
    "file_protected_text": (
        "Den udleveres kun til systemer med en godkendt adgangsanmodning med adgangen (scope)"
    ),
    "file_protected_fetch": (
        "Myndigheden godkender anmodningen; systemet henter derefter et adgangstoken og sender "
        "det, når det henter filen med"
    ),
    "file_protected_docs": "Se API-dokumentationen",
    "file_withheld": (
        "Udelader {owners} ejere, der er markeret som personoplysninger, med deres enheder "
        "({units} enheder i alt); de findes i {complete_file}."
    ),
    "feed_title": "Ændringsstrømmen",
    "feed_text": (
        "Hver publikation registrerer sine forskelle fra den forrige som hændelser med "
        "løbenumre uden huller: oprettet, opdateret (med de ændrede felter), flyttet, lukket, "
        "genåbnet og erstattet; lukninger bliver aldrig slettet. Et system holder sin kopi "
        "ajour ved at hente den seneste fulde fil én gang og derefter ændringsstrømmen."
    ),
    "feed_fetch": "Hent hændelserne efter det sidste løbenummer, du har set, med",
    "feed_last": "Seneste løbenummer",
    "not_found": "Siden findes ikke",
    "bad_request": "Forespørgslen kan ikke besvares",
    "no_publication": "Registret er endnu ikke publiceret.",
    "back_to_search": "Tilbage til søgningen",
    "footer": "Data fra den aktuelle publikation",
}

_EN: dict[str, str] = {
    "site": "Healthcare Organisation Register",
    "skip": "Skip to content",
    "nav_search": "Search",
    "nav_map": "Map",
    "switch_language": "Dansk",
    "switch_language_label": "Skift til dansk",
    "search_title": "Find a unit",
    "search_label": "Name, SOR-ID, SHAK, provider number, GLN, CVR or postcode",
    "search_button": "Search",
    "search_hint": "Type e.g. Køge, Koege, 3001 or a location number. Results appear as you type.",
    "filters": "Filters",
    "filter_apply": "Apply",
    "filter_reset": "Reset",
    "any": "Any",
    "level": "Level",
    "level_IE": "Institution owner",
    "level_SI": "Health institution",
    "level_OE": "Organisational unit",
    "municipality": "Municipality",
    "unit_type": "Unit type",
    "speciality": "Speciality",
    "message_type": "Message type",
    "active": "Active",
    "closed": "Closed",
    "results": "Results",
    "results_count": "{count} units found",
    "results_one": "1 unit found",
    "results_none": "No units found.",
    "results_hint": "Type a name or a code, or choose a filter.",
    "next_page": "Next page",
    "match_fuzzy": "similar name",
    "name": "Name",
    "codes": "Codes",
    "provider_number": "Provider number (ydernummer)",
    "pharmacy_id": "Pharmacy number",
    "gln": "Location number (GLN)",
    "copy": "Copy",
    "copied": "Copied",
    "copy_label": "Copy {what}",
    "addresses": "Addresses",
    "postal_address": "Postal address",
    "visiting_address": "Visiting address",
    "activity_address": "Activity address",
    "phone": "Phone",
    "website": "Website",
    "inherited_from": "inherited from",
    "own_value": "own",
    "specialities": "Specialities",
    "none": "None",
    "location_number": "Location number and message types",
    "location_inherited": "The location number is inherited from",
    "location_own": "The unit has its own location number.",
    "location_missing": "The unit has no location number.",
    "accepts": "Accepts",
    "tree": "Place in the hierarchy",
    "path_to_root": "Path to the top",
    "children": "Units below",
    "children_none": "No units below.",
    "children_more": "Showing {shown} of {total}.",
    "history": "History",
    "as_of": "Show the unit as of a date",
    "as_of_button": "Show",
    "as_of_now": "Show current",
    "as_of_showing": "Showing the unit as it was on {date}.",
    "valid_from": "Valid from",
    "valid_to": "Valid to",
    "older_name": "name",
    "replaces": "Replaces (predecessors)",
    "replaced_by": "Replaced by (successors)",
    "json": "As JSON",
    "validity": "Validity",
    "status_active": "Active",
    "status_closed": "Closed",
    "map_title": "Units on a map",
    "map_intro": "Units with coordinates. The list below shows the same units.",
    "map_no_tiles": "The map background is not available; units are shown as dots and in the list.",
    "map_list": "Units",
    "map_showing": "Showing {shown} of {total} units with coordinates.",
    "coordinates": "Coordinates",
    "downloads_intro": "The files of the current publication. A publication never changes.",
    "publication": "Publication",
    "published": "Published",
    "data_as_of": "Data as of",
    "file": "File",
    "size": "Size",
    "file_protected": "Requires approved access",
    "file_personal_data": "The file holds personal data of sole proprietorships.",
    "file_protected_text": (
        "It is served only to systems with an approved access request for the scope"
    ),
    "file_protected_fetch": (
        "The authority approves the request; the system then gets an access token and sends "
        "it when it fetches the file with"
    ),
    "file_protected_docs": "See the API documentation",
    "file_withheld": (
        "Leaves out {owners} owners marked as personal data with their units ({units} units in "
        "all); they are in {complete_file}."
    ),
    "feed_title": "The change feed",
    "feed_text": (
        "Every publication records its differences from the previous one as events with "
        "gap-free sequence numbers: created, updated (with the changed fields), moved, closed, "
        "reopened and replaced; closures are never removed. A system keeps its copy in sync "
        "by loading the latest full file once and then following the change feed."
    ),
    "feed_fetch": "Fetch the events after the last sequence number you have seen with",
    "feed_last": "Latest sequence number",
    "not_found": "Page not found",
    "bad_request": "The request cannot be answered",
    "no_publication": "The register has not been published yet.",
    "back_to_search": "Back to the search",
    "footer": "Data from the current publication",
}

_TABLES = {"da": _DA, "en": {**_DA, **_EN}}


class Texts:
    """The texts of one language: ``texts("key", name=value)`` formats, ``texts.lang`` names it."""

    __slots__ = ("lang", "table")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.table = _TABLES[lang]

    def __call__(self, key: str, **values: object) -> str:
        """The text for ``key`` with ``{name}`` placeholders filled from ``values``."""
        text = self.table.get(key, key)
        return text.format(**values) if values else text


_BY_LANG = {lang: Texts(lang) for lang in LANGUAGES}


def texts(lang: str) -> Texts:
    """The texts of ``lang`` (``da`` or ``en``)."""
    return _BY_LANG[lang]


def language_of(scope: Scope, params: dict[str, str]) -> tuple[str, bool]:
    """The request's language and whether ``?lang=`` chose it (then a cookie is set)."""
    asked = params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    cookie = request_header(scope, b"cookie")
    if cookie:
        for part in cookie.decode("latin-1").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and value in LANGUAGES:
                return value, False
    return "da", False
