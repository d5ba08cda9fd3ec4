"""The PM's E911 pages of a migration (locations, coverage, registrations), under /o/<slug>/."""

from django.urls import path

from . import views as v

M = "migrations/<uuid:migration_uuid>"

urlpatterns = [
    path(f"{M}/e911/", v.MigrationE911.as_view(), name="migration-e911"),
    path(f"{M}/e911/locations/", v.AddLocation.as_view(), name="e911-location-add"),
    path(
        "e911-locations/<int:pk>/change/", v.ChangeLocation.as_view(), name="e911-location-change"
    ),
    path("endpoints/<int:pk>/e911/", v.AssignEndpoint.as_view(), name="endpoint-e911"),
    path(
        "numbers/<int:pk>/e911-registration/",
        v.SetRegistration.as_view(),
        name="number-e911-registration",
    ),
]
