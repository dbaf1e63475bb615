"""The REST API: /api/v1/ per app, the OpenAPI schema and its docs page (filled in by the API work)."""

from django.urls import include, path

urlpatterns = [
    path("v1/", include("inventory.api.urls")),
]
