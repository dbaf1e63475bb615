"""Routes of the audit pages for legal (mounted at /audit/)."""

from django.urls import path

from reporting.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("incidents/<str:reference>/", views.incident_detail, name="incident"),
    path("incidents/<str:reference>/bundle.csv", views.incident_bundle_csv, name="incident_bundle_csv"),
    path("incidents/<str:reference>/bundle.pdf", views.incident_bundle_pdf, name="incident_bundle_pdf"),
    path("incidents/<str:reference>/bundle.zip", views.incident_bundle_zip, name="incident_bundle_zip"),
    path("incidents/<str:reference>/bundle-job/", views.incident_bundle_job, name="incident_bundle_job"),
    path("systems/<slug:slug>/", views.system_detail, name="system"),
    path("documents/<int:pk>/", views.document_detail, name="document"),
]
