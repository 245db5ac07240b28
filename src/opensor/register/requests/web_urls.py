"""URLs of the change-request pages (mounted at ``/manage/requests/``)."""

app_name = "requests_web"

urlpatterns: list[object] = []
