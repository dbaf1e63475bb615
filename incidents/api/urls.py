"""Routes of the incident API, mounted under /api/v1/.

A SimpleRouter (no API root view of its own): the root at /api/v1/ is the inventory router's.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api import alerts, response_views, views

INCIDENT = r"incidents/(?P<reference>[^/]+)"

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register(f"{INCIDENT}/checklist", response_views.ChecklistViewSet, basename="incident-checklist")
router.register(f"{INCIDENT}/containment", response_views.ContainmentViewSet, basename="incident-containment")
router.register(f"{INCIDENT}/evidence", response_views.EvidenceViewSet, basename="incident-evidence")
router.register(rf"{INCIDENT}/evidence/(?P<evidence_id>\d+)/custody", response_views.CustodyViewSet,
                basename="incident-custody")
router.register(f"{INCIDENT}/validations", response_views.RecoveryValidationViewSet,
                basename="incident-validation")
router.register(f"{INCIDENT}/review/action-items", response_views.ActionItemViewSet, basename="incident-action-item")

urlpatterns = [
    path("alerts/", alerts.AlertIntakeView.as_view(), name="alert-intake"),
    path("incidents/<str:reference>/review/", response_views.ReviewView.as_view(), name="incident-review"),
    *router.urls,
]
