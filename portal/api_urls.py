"""The REST API: /api/v1/ per app, the OpenAPI 3 schema and its docs page.

The schema and the docs page need a signed-in user (session or token) like every endpoint; the docs page loads
Swagger UI from the project's own static files (drf-spectacular-sidecar), never from a CDN.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import IsAuthenticated

urlpatterns = [
    path("v1/", include("inventory.api.urls")),
    path("v1/", include("incidents.api.urls")),
    path("v1/", include("reporting.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[IsAuthenticated]),
        name="api-docs",
    ),
]
