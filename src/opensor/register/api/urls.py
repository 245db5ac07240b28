"""URLs of the write API (mounted at ``/api/v1/register/``)."""

app_name = "api"

urlpatterns: list[object] = []
