"""Pre-flight checklist pages, under /o/<slug>/ (docs/cutover-preflight.md)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("endpoints/<int:pk>/preflight/", v.EndpointPreflight.as_view(), name="endpoint-preflight"),
    path(
        "migrations/<uuid:migration_uuid>/preflight/",
        v.MigrationChecklists.as_view(),
        name="migration-preflight",
    ),
    path("checklist-jobs/<int:pk>/", v.ChecklistJobPage.as_view(), name="checklist-job"),
    path(
        "checklist-jobs/<int:pk>/status/",
        v.ChecklistJobStatus.as_view(),
        name="checklist-job-status",
    ),
    path(
        "checklist-jobs/<int:pk>/pdf/", v.ChecklistJobDownload.as_view(), name="checklist-job-pdf"
    ),
]
