"""The register's URLs.

The maintainers' UI lives under ``/manage/`` and the write API under ``/api/v1/register/``;
the lookup service serves everything else on the same port.
"""

from django.urls import include, path

urlpatterns = [
    path("manage/requests/", include("opensor.register.requests.web_urls")),
    path("manage/access/", include("opensor.register.access.web_urls")),
    path("manage/", include("opensor.register.web.urls")),
    path("api/v1/register/requests/", include("opensor.register.requests.api_urls")),
    path("api/v1/register/", include("opensor.register.access.urls")),
    path("api/v1/register/", include("opensor.register.api.urls")),
]
