"""Routes of the remediation ledger's API, mounted under /api/v1/.

A SimpleRouter (no API root view of its own): the root at /api/v1/ is the inventory router's. The exports have no
trailing slash (`affected-records/export.csv`); the notice to individuals sits under the incident, beside the
incident API's routes.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from remediation.api import views

router = SimpleRouter()
router.register("affected-records", views.AffectedRecordViewSet, basename="affected-record")

urlpatterns = [
    path("affected-records/export.csv", views.LedgerExportView.as_view(fmt="csv"),
         name="affected-record-export-csv"),
    path("affected-records/export.jsonl", views.LedgerExportView.as_view(fmt="jsonl"),
         name="affected-record-export-jsonl"),
    path("affected-records/bulk/<int:pk>/", views.BulkJobView.as_view(), name="affected-record-bulk-job"),
    path("incidents/<str:reference>/individual-notice/export/", views.NoticeExportView.as_view(),
         name="incident-notice-export"),
    path("incidents/<str:reference>/individual-notice/sent/", views.NoticeSentView.as_view(),
         name="incident-notice-sent"),
    *router.urls,
]
