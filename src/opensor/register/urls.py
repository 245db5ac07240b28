"""The register's URLs.

The maintainers' UI lives under ``/manage/`` and the write API under ``/api/v1/register/``;
the lookup service serves everything else on the same port.
"""

from django.urls import include, path

urlpatterns = [
    path("manage/", include("opensor.register.web.urls")),
]
