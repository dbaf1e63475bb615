"""The REST API: /api/v1/ per app, the OpenAPI 3 schema and its docs page.

The schema and the docs page need a signed-in user (session, or a token with the `read` scope) like every
endpoint; the docs page loads Swagger UI from the project's own static files (drf-spectacular-sidecar), never from
a CDN, and its start-up script from /api/docs/?script= (the split view), so the Content-Security-Policy needs no
inline-script exception.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from portal.core.permissions import TokenScopePermission

SIGNED_IN = [IsAuthenticated, TokenScopePermission]


class DocsView(SpectacularSwaggerSplitView):
    """The docs page; a browser that is not signed in is sent to the sign-in page and back (its start-up script,
    `?script=`, and clients sending a token keep the API's own 401/403)."""

    permission_classes = SIGNED_IN

    def dispatch(self, request, *args, **kwargs):
        signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        if not signed_in and "script" not in request.GET and "HTTP_AUTHORIZATION" not in request.META:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return super().dispatch(request, *args, **kwargs)

urlpatterns = [
    path("v1/", include("inventory.api.urls")),
    path("v1/", include("incidents.api.urls")),
    path("v1/", include("reporting.api.urls")),
    path("v1/", include("remediation.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=SIGNED_IN), name="schema"),
    path(
        "docs/",
        DocsView.as_view(url_name="schema"),
        name="api-docs",
    ),
]
