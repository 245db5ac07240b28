"""Django app configuration."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The register's ``audit`` app."""

    name = "opensor.register.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
