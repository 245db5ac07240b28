"""URLs of the maintainers' web UI (mounted at ``/manage/``)."""

from django.urls import path

from opensor.register.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
]
