"""Django app configuration."""

from django.apps import AppConfig


class UnitsConfig(AppConfig):
    """The register's ``units`` app."""

    name = "opensor.register.units"
    label = "units"
    default_auto_field = "django.db.models.BigAutoField"
