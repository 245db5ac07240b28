"""URLs of the protected channel (mounted at ``/api/v1/register/``)."""

from django.urls import path

from opensor.register.access import views

app_name = "access"

urlpatterns = [
    path("oauth/token", views.token, name="token"),
    path("access/requests", views.access_request_file, name="file"),
]
