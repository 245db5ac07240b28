"""Django app configuration of change requests."""

from django.apps import AppConfig


class RequestsConfig(AppConfig):
    """Practices' change requests, the case workers' decisions and the notification outbox."""

    name = "opensor.register.requests"
    label = "change_requests"
    verbose_name = "Ændringsanmodninger"
