"""Routes of the inventory API, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from inventory.api import views

router = DefaultRouter()
router.register("systems", views.AISystemViewSet, basename="system")
router.register("components", views.ComponentViewSet, basename="component")
router.register("system-components", views.SystemComponentViewSet, basename="system-component")
router.register("dependencies", views.ComponentDependencyViewSet, basename="dependency")
router.register("teams", views.TeamViewSet, basename="team")
router.register("raci", views.RaciAssignmentViewSet, basename="raci")
router.register("escalation-steps", views.EscalationStepViewSet, basename="escalation-step")
router.register("jurisdictions", views.JurisdictionViewSet, basename="jurisdiction")
router.register("events", views.InventoryEventViewSet, basename="event")

urlpatterns = router.urls
