from django.urls import path

from . import views as v

M = "migrations/<uuid:migration_uuid>"

urlpatterns = [
    path(f"{M}/sites/", v.SiteList.as_view(), name="site-list"),
    path(f"{M}/sites/new/", v.SiteCreate.as_view(), name="site-create"),
    path("sites/<int:pk>/", v.SiteDetail.as_view(), name="site-detail"),
    path("sites/<int:pk>/edit/", v.SiteUpdate.as_view(), name="site-update"),
    path("sites/<int:pk>/delete/", v.SiteDelete.as_view(), name="site-delete"),
    path("sites/<int:pk>/history/", v.SiteHistory.as_view(), name="site-history"),
    path(f"{M}/endpoints/", v.EndpointList.as_view(), name="endpoint-list"),
    path(f"{M}/endpoints/new/", v.EndpointCreate.as_view(), name="endpoint-create"),
    path(f"{M}/endpoints/bulk/", v.EndpointBulkEdit.as_view(), name="endpoint-bulk-edit"),
    path("endpoints/<int:pk>/", v.EndpointDetail.as_view(), name="endpoint-detail"),
    path("endpoints/<int:pk>/edit/", v.EndpointUpdate.as_view(), name="endpoint-update"),
    path("endpoints/<int:pk>/delete/", v.EndpointDelete.as_view(), name="endpoint-delete"),
    path("endpoints/<int:pk>/history/", v.EndpointHistory.as_view(), name="endpoint-history"),
]
