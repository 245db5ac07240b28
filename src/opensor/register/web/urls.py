"""URLs of the maintainers' web UI (mounted at ``/manage/``)."""

from django.urls import path
from django.views.i18n import set_language

from opensor.register.web import auth, edit, location, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", set_language, name="language"),
    path("tree/<int:sor_id>/", views.tree_children, name="tree"),
    path("units/<int:sor_id>/", views.unit_page, name="unit"),
    path("units/<int:sor_id>/edit/<slug:group>/", edit.unit_edit, name="unit_edit"),
    path("units/<int:sor_id>/new-child/", edit.unit_child_create, name="unit_child"),
    path("units/<int:sor_id>/location-number/", location.location_editor, name="location"),
    path("units/<int:sor_id>/<slug:operation>/", edit.unit_operation, name="unit_operation"),
]
