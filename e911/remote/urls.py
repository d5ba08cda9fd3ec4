"""The PM's remote-worker pages. Included under "o/<slug:org_slug>/"."""

from django.urls import path

from . import views as v

urlpatterns = [
    path(
        "migrations/<uuid:migration_uuid>/remote-workers/",
        v.RemoteWorkerList.as_view(),
        name="remote-worker-list",
    ),
    path(
        "migrations/<uuid:migration_uuid>/remote-workers/send/",
        v.RemoteWorkerBulkSend.as_view(),
        name="remote-worker-bulk-send",
    ),
    path("remote-workers/<int:pk>/send/", v.RemoteWorkerSend.as_view(), name="remote-worker-send"),
    path(
        "remote-workers/<int:pk>/revoke/",
        v.RemoteWorkerRevoke.as_view(),
        name="remote-worker-revoke",
    ),
]
