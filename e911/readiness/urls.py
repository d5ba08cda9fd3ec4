"""The readiness report of a migration, under /o/<slug>/."""

from django.urls import path

from . import views as v

M = "migrations/<uuid:migration_uuid>"

urlpatterns = [
    path(f"{M}/readiness/", v.ReadinessReport.as_view(), name="migration-readiness"),
    path(f"{M}/readiness.pdf", v.ReadinessPdf.as_view(), name="migration-readiness-pdf"),
]
