"""The versioned register: units and location numbers with bitemporal history.

A :class:`Unit` is the identity of an owner, institution or organisational unit (its SOR-ID is
the primary key and never changes). Everything else about it lives in :class:`UnitVersion`
rows, each valid in *valid time* ``[valid_from, valid_to)`` and known in *record time* from
``recorded_at`` until ``superseded_at``. Rows are never updated except to mark them superseded
and never deleted: a correction supersedes a row and records a new one, a closure records a
version with ``valid_to`` set. Location numbers follow the same pattern.

Reading "as of" a date is one indexed query: the current (not superseded) version of a unit
whose valid time contains the date.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from opensor.register.audit.models import ChangeSet

__all__ = [
    "IdentifierSequence",
    "LocationNumber",
    "LocationNumberVersion",
    "Unit",
    "UnitVersion",
]

LEVEL_CHOICES = [
    ("IE", "Institutionsejer"),
    ("SI", "Sundhedsinstitution"),
    ("OE", "Organisatorisk enhed"),
]


class Unit(models.Model):
    """The lasting identity of a unit: its SOR-ID and level."""

    sor_id = models.BigIntegerField("SOR-ID", primary_key=True)
    level = models.CharField("niveau", max_length=2, choices=LEVEL_CHOICES)
    created_by = models.ForeignKey(
        ChangeSet, verbose_name="oprettet af", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "enhed"
        verbose_name_plural = "enheder"
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=["IE", "SI", "OE"]), name="unit_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(sor_id__gte=10_000_000_000), name="unit_sor_id_at_least_11_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.sor_id}"


class VersionQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """Queries shared by unit and location-number versions."""

    def current(self) -> VersionQuerySet:
        """Rows the register holds true now (not superseded in record time)."""
        return self.filter(superseded_at__isnull=True)

    def valid_on(self, day: object) -> VersionQuerySet:
        """Current rows whose valid time contains ``day``."""
        return self.current().filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day
        )


class _Versioned(models.Model):
    """Valid-time and record-time columns common to every versioned table."""

    first_from = models.DateField("første fra-dato")
    valid_from = models.DateField("fra-dato")
    valid_to = models.DateField("til-dato", null=True, blank=True)
    updated_at = models.DateField("opdateret", null=True, blank=True)
    content_hash = models.CharField("indholdets fingeraftryk", max_length=32)
    recorded_at = models.DateTimeField("registreret")
    # Not indexed: nothing looks versions up by change set (change sets are never deleted),
    # and every maintenance write inserts and supersedes version rows, paying for each index.
    recorded_by = models.ForeignKey(
        ChangeSet,
        verbose_name="registreret af",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    superseded_at = models.DateTimeField("erstattet", null=True, blank=True)
    superseded_by = models.ForeignKey(
        ChangeSet,
        verbose_name="erstattet af",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        abstract = True


class UnitVersion(_Versioned):
    """One version of a unit's own attributes (see :class:`opensor.domain.records.UnitRecord`)."""

    # indexed by the (unit, valid_from) and (unit, id) indexes below, not on its own
    unit = models.ForeignKey(
        Unit,
        verbose_name="enhed",
        on_delete=models.PROTECT,
        related_name="versions",
        db_index=False,
    )
    level = models.CharField("niveau", max_length=2, choices=LEVEL_CHOICES)
    # indexed by the (parent, valid_from) index below, not on its own
    parent = models.ForeignKey(
        Unit,
        verbose_name="overordnet enhed",
        on_delete=models.PROTECT,
        related_name="child_versions",
        null=True,
        blank=True,
        db_index=False,
    )
    name = models.CharField("navn", max_length=200)
    owner_type = models.CharField("ejerforhold", max_length=40, null=True, blank=True)
    institution_type = models.CharField("institutionstype", max_length=40, null=True, blank=True)
    unit_type = models.CharField("enhedstype", max_length=40, null=True, blank=True)
    shak = models.CharField("SHAK-kode", max_length=7, null=True, blank=True, db_index=True)
    provider_number = models.CharField("ydernummer", max_length=9, null=True, blank=True)
    pharmacy_id = models.CharField("apoteksnummer", max_length=20, null=True, blank=True)
    local_code = models.CharField("lokal kode", max_length=20, null=True, blank=True)
    local_attributes = models.JSONField("lokale attributter", default=list)
    location_number_inherited = models.BooleanField(
        "lokationsnummer nedarvet", null=True, blank=True
    )
    geographical_parent_relation = models.SmallIntegerField(
        "geografisk tilknytning", null=True, blank=True
    )
    geographical_parent_sor_id = models.BigIntegerField(
        "geografisk mor (SOR-ID)", null=True, blank=True
    )
    postal_address = models.JSONField("postadresse", null=True, blank=True)
    visiting_address = models.JSONField("besøgsadresse", null=True, blank=True)
    activity_address = models.JSONField("aktivitetsadresse", null=True, blank=True)
    contact = models.JSONField("kontaktoplysninger", null=True, blank=True)
    specialities = models.JSONField("specialer", default=list)
    ambulant_activity = models.BooleanField("ambulant aktivitet", null=True, blank=True)
    patients_admitted = models.BooleanField("indlagte patienter", null=True, blank=True)
    reporting_level = models.BooleanField("indberetningsniveau", null=True, blank=True)
    replaces = models.JSONField("erstatter", default=list)
    replaced_by = models.JSONField("erstattet af", default=list)
    cvr = models.CharField("CVR-nummer", max_length=8, null=True, blank=True)
    personal_data = models.BooleanField("personoplysninger (enkeltmandsvirksomhed)", default=False)

    class Meta:
        verbose_name = "enhedsversion"
        verbose_name_plural = "enhedsversioner"
        constraints = [
            models.CheckConstraint(
                condition=Q(level="IE", parent__isnull=True)
                | Q(level__in=["SI", "OE"], parent__isnull=False),
                name="unit_version_owner_has_no_parent",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="unit_version_valid_time_not_empty",
            ),
            models.UniqueConstraint(
                fields=["unit", "valid_from"],
                condition=Q(superseded_at__isnull=True),
                name="unit_version_one_current_per_start",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "valid_from"], name="unit_version_asof_idx"),
            # the version tag (ETag) is the unit's newest row id: one index probe
            models.Index(fields=["unit", "id"], name="unit_version_tag_idx"),
            models.Index(fields=["parent", "valid_from"], name="unit_version_children_idx"),
            models.Index(fields=["valid_from", "valid_to"], name="unit_version_valid_idx"),
            # looked up by equality only: plain indexes (db_index would add a LIKE index on
            # PostgreSQL too, one more to maintain on every write)
            models.Index(fields=["cvr"], name="unit_version_cvr_idx"),
            models.Index(fields=["provider_number"], name="unit_version_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.name} [{self.valid_from}–{self.valid_to or ''}]"


class LocationNumber(models.Model):
    """The lasting identity of an EAN location number (GLN)."""

    gln = models.CharField("lokationsnummer (GLN)", max_length=13, primary_key=True)
    created_by = models.ForeignKey(
        ChangeSet, verbose_name="oprettet af", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "lokationsnummer"
        verbose_name_plural = "lokationsnumre"

    def __str__(self) -> str:
        return self.gln


class LocationNumberVersion(_Versioned):
    """One version of a location number: owner, EDI attributes and accepted message types."""

    location_number = models.ForeignKey(
        LocationNumber,
        verbose_name="lokationsnummer",
        on_delete=models.PROTECT,
        related_name="versions",
    )
    owner = models.ForeignKey(
        Unit, verbose_name="ejer", on_delete=models.PROTECT, related_name="location_versions"
    )
    only_internal = models.BooleanField("kun intern", default=False)
    non_active = models.BooleanField("ikke aktiv", default=False)
    system_supplier = models.CharField("systemleverandør", max_length=40, blank=True)
    system_type = models.CharField("EDB-system", max_length=40, blank=True)
    communication_supplier = models.CharField("kommunikationsleverandør", max_length=40, blank=True)
    region_code = models.CharField("regionskode", max_length=4, blank=True)
    edi_administrator = models.CharField("EDI-administrator", max_length=40, blank=True)
    note = models.CharField("note", max_length=254, null=True, blank=True)
    status_given = models.BooleanField(
        "gyldighed angivet i kilden",
        default=True,
        help_text="False when the source gave no SorStatus; the owner's validity is used.",
    )
    message_types = models.JSONField("meddelelsestyper", default=list)

    class Meta:
        verbose_name = "lokationsnummerversion"
        verbose_name_plural = "lokationsnummerversioner"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="location_version_valid_time_not_empty",
            ),
            models.UniqueConstraint(
                fields=["location_number", "valid_from"],
                condition=Q(superseded_at__isnull=True),
                name="location_version_one_current_per_start",
            ),
            # One open ownership at a time; overlaps of closed periods are refused by services.
            models.UniqueConstraint(
                fields=["location_number"],
                condition=Q(superseded_at__isnull=True, valid_to__isnull=True),
                name="location_version_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "valid_from"], name="location_version_owner_idx"),
            models.Index(fields=["location_number", "valid_from"], name="location_version_idx"),
            models.Index(fields=["location_number", "id"], name="location_version_tag_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.location_number_id} → {self.owner_id}"


class IdentifierSequence(models.Model):
    """A never-decreasing counter; ``sor_item`` holds the next item number for new SOR-IDs."""

    name = models.CharField(max_length=40, primary_key=True)
    next_value = models.BigIntegerField()

    class Meta:
        verbose_name = "nummerserie"
        verbose_name_plural = "nummerserier"

    def __str__(self) -> str:
        return f"{self.name}={self.next_value}"
