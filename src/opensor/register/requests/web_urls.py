"""URLs of the change-request pages (mounted at ``/manage/requests/``)."""

from django.urls import path

from opensor.register.requests import web_views as views

app_name = "requests_web"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("queue/", views.queue, name="queue"),
    path("new/<slug:kind>/", views.file_form, name="file"),
    path("new/<slug:kind>/validate/", views.validate, name="validate"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/<slug:step>/", views.decide, name="step"),
]
