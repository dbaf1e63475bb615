"""Routes of the reporting API, mounted under /api/v1/.

A SimpleRouter (no API root view of its own): the root at /api/v1/ is the inventory router's. The per-incident
routes sit beside the incident API's, under incidents/{reference}/.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from reporting.api import views

router = SimpleRouter()
router.register("obligations", views.ObligationViewSet, basename="obligation")
router.register("documents", views.DocumentViewSet, basename="document")
router.register("disclosure-decisions", views.DisclosureDecisionViewSet, basename="disclosure-decision")

urlpatterns = [
    path("incidents/<str:reference>/aiid-export/", views.AiidExportView.as_view(), name="incident-aiid-export"),
    path("incidents/<str:reference>/regulatory-facts/", views.RegulatoryFactsView.as_view(),
         name="incident-regulatory-facts"),
    *router.urls,
]
