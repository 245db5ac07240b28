"""Django app configuration of the maintainers' web UI."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    """Templates, static files and views of the maintainers' UI."""

    name = "opensor.register.web"
    label = "web"
    verbose_name = "Vedligeholdelse (web)"
