"""Django app configuration for the protected channel."""

from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Access requests of consuming systems, their API clients and the token signing keys."""

    name = "opensor.register.access"
    label = "access"
    verbose_name = "Beskyttet adgang"
