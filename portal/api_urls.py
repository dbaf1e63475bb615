"""The REST API: /api/v1/ per app, the OpenAPI 3 schema and its docs page.

The schema and the docs page need a signed-in user (session, or a token with the `read` scope) like every
endpoint; the docs page loads Swagger UI from the project's own static files (drf-spectacular-sidecar), never from
a CDN, and its start-up script from /api/docs/?script= (the split view), so the Content-Security-Policy needs no
inline-script exception.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from portal.core.permissions import TokenScopePermission

SIGNED_IN = [IsAuthenticated, TokenScopePermission]

urlpatterns = [
    path("v1/", include("inventory.api.urls")),
    path("v1/", include("incidents.api.urls")),
    path("v1/", include("reporting.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=SIGNED_IN), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=SIGNED_IN),
        name="api-docs",
    ),
]
