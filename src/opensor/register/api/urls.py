"""URLs of the write API (mounted at ``/api/v1/register/``)."""

from django.urls import path

from opensor.register.api import views
from opensor.register.api.views import methods

app_name = "api"

urlpatterns = [
    path("", methods(GET=views.index), name="index"),
    path("openapi.json", methods(GET=views.openapi_json), name="openapi"),
    path("units", methods(POST=views.unit_post), name="units"),
    path("units/<str:sor_id>", methods(GET=views.unit_get, PATCH=views.unit_patch), name="unit"),
    path("units/<str:sor_id>/move", methods(POST=views.unit_move), name="unit-move"),
    path("units/<str:sor_id>/close", methods(POST=views.unit_close), name="unit-close"),
    path("units/<str:sor_id>/reopen", methods(POST=views.unit_reopen), name="unit-reopen"),
    path("units/<str:sor_id>/successor", methods(POST=views.unit_successor), name="unit-successor"),
    path("units/<str:sor_id>/audit", methods(GET=views.unit_audit), name="unit-audit"),
    path("locations", methods(POST=views.location_post), name="locations"),
    path(
        "locations/<str:gln>",
        methods(GET=views.location_get, PATCH=views.location_patch),
        name="location",
    ),
    path("locations/<str:gln>/move", methods(POST=views.location_move), name="location-move"),
    path("locations/<str:gln>/close", methods(POST=views.location_close), name="location-close"),
    path("locations/<str:gln>/audit", methods(GET=views.location_audit), name="location-audit"),
    path("audit", methods(GET=views.audit_of_user), name="audit"),
]
