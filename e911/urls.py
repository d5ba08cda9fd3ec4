"""Every E911 staff page, under /o/<slug>/: one URL module per feature. The remote
worker's portal is e911/remote/portal_urls.py (no organization in its URLs)."""

from django.urls import include, path

urlpatterns = [
    path("", include("e911.locations.urls")),
    path("", include("e911.readiness.urls")),
    path("", include("e911.remote.urls")),
    path("", include("e911.karis.urls")),
    path("", include("e911.compliance.urls")),
]
