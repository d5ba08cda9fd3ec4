from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org_slug>/", views.OrganizationHome.as_view(), name="org-home"),
    path(
        "o/<slug:org_slug>/migrations/<uuid:migration_uuid>/",
        views.MigrationDetail.as_view(),
        name="migration-detail",
    ),
]
