"""The maintainers' web UI under ``/manage/`` (Django templates and htmx)."""
