"""Django app configuration."""

from django.apps import AppConfig


class CodesConfig(AppConfig):
    """The register's ``codes`` app."""

    name = "opensor.register.codes"
    label = "codes"
    default_auto_field = "django.db.models.BigAutoField"
