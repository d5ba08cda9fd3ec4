"""Every cutover page, under /o/<slug>/: one URL module per feature."""

from django.urls import include, path

urlpatterns = [
    path("", include("cutover.plan.urls")),
    path("", include("cutover.network.urls")),
    path("", include("cutover.steps.urls")),
    path("", include("cutover.preflight.urls")),
    path("", include("cutover.go.urls")),
    path("", include("cutover.rollback.urls")),
]
