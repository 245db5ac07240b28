"""URLs of the change-request API (mounted at ``/api/v1/register/requests/``)."""

from django.urls import path

from opensor.register.requests import api_views as views

app_name = "requests_api"

urlpatterns = [
    path("", views.requests_collection, name="collection"),
    path("queue", views.request_queue_list, name="queue"),
    path("<int:request_id>", views.request_detail, name="detail"),
    path("<int:request_id>/ask-info", views.request_ask_info, name="ask_info"),
    path("<int:request_id>/answer", views.request_answer, name="answer"),
    path("<int:request_id>/approve", views.request_approve, name="approve"),
    path("<int:request_id>/reject", views.request_reject, name="reject"),
    path("<int:request_id>/withdraw", views.request_withdraw, name="withdraw"),
]
