"""URLs of the change-request API (mounted at ``/api/v1/register/requests/``)."""

app_name = "requests_api"

urlpatterns: list[object] = []
