"""URLs of the access pages (mounted at ``/manage/access/``).

``apply/`` is the vendor's form (no login); everything else is the authority's.
"""

from django.urls import path

from opensor.register.access import web_views as views

app_name = "access_web"

urlpatterns = [
    path("apply/", views.request_form, name="apply"),
    path("apply/receipt/<str:token>/", views.request_receipt, name="receipt"),
    path("requests/", views.request_queue, name="queue"),
    path("requests/<int:request_id>/", views.request_detail, name="detail"),
    path("requests/<int:request_id>/decision/", views.request_decision, name="decision"),
    path("clients/", views.clients, name="clients"),
    path("clients/<str:client_id>/rotate/", views.client_rotate, name="client_rotate"),
    path("clients/<str:client_id>/revoke/", views.client_revoke, name="client_revoke"),
    path("gdpr/", views.gdpr_form, name="gdpr"),
    path("gdpr/<int:sor_id>/", views.gdpr_report, name="gdpr_report"),
    path(
        "gdpr/<int:sor_id>.json",
        views.gdpr_report,
        {"fmt": "json"},
        name="gdpr_report_json",
    ),
]
