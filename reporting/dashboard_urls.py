"""Routes of the governance dashboard (mounted at /dashboard/)."""

from django.urls import path

from reporting.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("metrics.csv", views.metrics_csv, name="metrics_csv"),
]
