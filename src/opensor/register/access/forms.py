"""The vendor's access-request form: its fields, how a post is read, and field-level errors.

:func:`access_request_form` reads a posted form into an :class:`AccessRequestForm`: each
field with its value and, when the input is unusable, a message naming what is wrong (in the
request's language; Danish first). It checks the input's form — required fields, lengths,
the CVR number's check digit (:func:`opensor.domain.identifiers.validate_cvr`), the e-mail
address, scopes from the closed vocabulary (:data:`opensor.lookup.access.SCOPES`); the rules
of the request itself stay in :func:`opensor.register.access.services.request_file`, whose
refusals :meth:`AccessRequestForm.with_service_error` places beside the field they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opensor.domain.errors import InvalidIdentifier
from opensor.domain.identifiers import validate_cvr
from opensor.lookup.access import HISTORY, PERSONAL_DATA, QUOTA_HIGH, SCOPES
from opensor.register.access.services import AccessError

__all__ = [
    "MAX_FORM_BYTES",
    "SCOPE_LABELS",
    "AccessRequestForm",
    "RequestField",
    "ScopeChoice",
    "access_request_form",
]

MAX_FORM_BYTES = 64 * 1024
"""The largest access-request post accepted (well above the fields' own limits)."""

SCOPE_LABELS: dict[str, tuple[Any, Any]] = {
    HISTORY: (
        gettext_lazy("Historik"),
        gettext_lazy("Opslag i tidligere tilstande (as_of før i dag) i REST og på websiden."),
    ),
    QUOTA_HIGH: (
        gettext_lazy("Højere kvote"),
        gettext_lazy("Flere opslag i sekundet end den offentlige kanal tillader."),
    ),
    PERSONAL_DATA: (
        gettext_lazy("Personoplysninger"),
        gettext_lazy(
            "Telefon, e-mail og fax for enheder, der er enkeltmandsvirksomheder "
            "(hver læsning logges)."
        ),
    ),
}
"""The Danish name and explanation of each scope a vendor can ask for."""

_FIELDS: tuple[tuple[str, Any, str, int, Any, str], ...] = (
    # name, label, kind, max length, help, autocomplete
    ("organisation", gettext_lazy("Organisation"), "text", 200, "", "organization"),
    (
        "cvr",
        gettext_lazy("CVR-nummer"),
        "text",
        11,
        gettext_lazy("Organisationens CVR-nummer: 8 cifre."),
        "off",
    ),
    (
        "purpose",
        gettext_lazy("Formål"),
        "textarea",
        4000,
        gettext_lazy(
            "Hvad skal jeres system bruge adgangen til, og hvorfor er de offentlige data ikke "
            "nok? Mindst 10 tegn."
        ),
        "off",
    ),
    ("contact_name", gettext_lazy("Kontaktperson"), "text", 200, "", "name"),
    ("contact_email", gettext_lazy("Kontaktpersonens e-mail"), "email", 254, "", "email"),
)

# the fields named by request_file's refusals ("cvr: …; contact: …")
_SERVICE_FIELDS = {
    "organisation": "organisation",
    "cvr": "cvr",
    "purpose": "purpose",
    "contact": "contact_name",
}


@dataclass(frozen=True)
class RequestField:
    """One input of the access-request form with its value and error."""

    name: str
    label: Any
    kind: str
    max_length: int
    value: str = ""
    error: str = ""
    help: Any = ""
    autocomplete: str = "off"

    @property
    def input_id(self) -> str:
        """The HTML id of the input."""
        return "f-" + self.name.replace("_", "-")


@dataclass(frozen=True)
class ScopeChoice:
    """A scope as a checkbox: its code, Danish name, explanation and whether it is ticked."""

    code: str
    label: Any
    help: Any
    checked: bool

    @property
    def input_id(self) -> str:
        """The HTML id of the checkbox."""
        return "f-scope-" + self.code.replace(":", "-")


@dataclass(frozen=True)
class AccessRequestForm:
    """The form with its values and the problems found in them."""

    fields: list[RequestField]
    scopes: list[ScopeChoice]
    scope_error: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether no field has a problem."""
        return not (self.scope_error or self.errors or any(f.error for f in self.fields))

    def value(self, name: str) -> str:
        """The cleaned value of field ``name``."""
        return next(f.value for f in self.fields if f.name == name)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~opensor.register.access.services.request_file`."""
        arguments: dict[str, Any] = {f.name: f.value for f in self.fields}
        arguments["scopes"] = [s.code for s in self.scopes if s.checked]
        return arguments

    def with_service_error(self, error: AccessError) -> AccessRequestForm:
        """The form with the service's refusal beside the fields it names (else on top)."""
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        scope_problems: list[str] = []
        for part in str(error).split("; "):
            key, _sep, message = part.partition(": ")
            if key == "scopes":
                scope_problems.append(message)
            elif key in _SERVICE_FIELDS and message:
                by_field.setdefault(_SERVICE_FIELDS[key], []).append(message)
            else:
                general.append(part)
        fields = [
            replace(f, error=" ".join(by_field[f.name])) if f.name in by_field else f
            for f in self.fields
        ]
        return replace(
            self,
            fields=fields,
            scope_error=" ".join(scope_problems) or self.scope_error,
            errors=self.errors + general,
        )


def _problem(name: str, text: str, max_length: int) -> str:
    """What is wrong with the (stripped) value ``text`` of field ``name``, or ``""``."""
    if not text:
        return _("Skal udfyldes.")
    if len(text) > max_length:
        return _("Højst %(max)d tegn (der er %(count)d).") % {"max": max_length, "count": len(text)}
    if name == "cvr":
        return _cvr_problem(text)
    if name == "contact_email":
        try:
            validate_email(text)
        except ValidationError:
            return _("Skriv en gyldig e-mailadresse, fx navn@firma.dk.")
    return ""


def _cvr_problem(text: str) -> str:
    if not text.isdigit() or len(text) != 8:
        return _("Et CVR-nummer har 8 cifre (der står %(value)s).") % {"value": text}
    try:
        validate_cvr(text)
    except InvalidIdentifier:
        if text.startswith("0"):
            return _("Et CVR-nummer begynder ikke med 0.")
        return _(
            "%(value)s er ikke et gyldigt CVR-nummer: kontrolcifferet passer ikke "
            "(modulus 11). Tjek for slåfejl."
        ) % {"value": text}
    return ""


def access_request_form(posted: QueryDict | None = None) -> AccessRequestForm:
    """The form, empty (``posted`` is ``None``) or read and checked from a post."""
    fields = []
    for name, label, kind, max_length, help_text, autocomplete in _FIELDS:
        raw = "" if posted is None else str(posted.get(name, ""))
        value = raw.replace(" ", "") if name == "cvr" else raw.strip()
        error = "" if posted is None else _problem(name, value, max_length)
        fields.append(
            RequestField(name, label, kind, max_length, value, error, help_text, autocomplete)
        )
    asked = [] if posted is None else [str(s) for s in posted.getlist("scopes")]
    scopes = [ScopeChoice(code, *SCOPE_LABELS[code], checked=code in asked) for code in SCOPES]
    scope_error = ""
    if posted is not None:
        unknown = sorted(set(asked) - set(SCOPES))
        if unknown:
            scope_error = _("Ukendt scope: %(scopes)s. Vælg blandt dem, der står her.") % {
                "scopes": ", ".join(code[:60] for code in unknown)
            }
        elif not asked:
            scope_error = _("Vælg mindst ét scope.")
    return AccessRequestForm(fields=fields, scopes=scopes, scope_error=scope_error)
