from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages without an icon link (a PDF, a JSON response).
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("dashboard/", include("reporting.dashboard_urls")),
    path("audit/", include("reporting.audit_urls")),
    path("api/", include("portal.api_urls")),
]
