from django.urls import path

from . import views as v

M = "migrations/<uuid:migration_uuid>"

urlpatterns = [
    path("carrier-connections/", v.ConnectionList.as_view(), name="carrier-connection-list"),
    path(
        "carrier-connections/<int:pk>/",
        v.ConnectionDetail.as_view(),
        name="carrier-connection-detail",
    ),
    path("carriers/<int:pk>/csr/", v.AccountRequestCsr.as_view(), name="carrier-account-csr"),
    path(f"{M}/numbers/portability/", v.NumbersPortability.as_view(), name="number-portability"),
    path(
        "port-orders/<int:pk>/carrier/connection/",
        v.OrderSetConnection.as_view(),
        name="port-order-carrier-connection",
    ),
    path(
        "port-orders/<int:pk>/carrier/submit/",
        v.OrderSubmit.as_view(),
        name="port-order-carrier-submit",
    ),
    path(
        "port-orders/<int:pk>/carrier/sync/", v.OrderSync.as_view(), name="port-order-carrier-sync"
    ),
    path(
        "port-orders/<int:pk>/carrier/portability/",
        v.OrderPortability.as_view(),
        name="port-order-carrier-portability",
    ),
    path("port-orders/<int:pk>/notes/", v.OrderNoteAdd.as_view(), name="port-order-note"),
    path(
        "port-orders/<int:pk>/carrier/cancel/",
        v.OrderCancelAtCarrier.as_view(),
        name="port-order-carrier-cancel",
    ),
    path(
        "port-orders/<int:pk>/carrier/activate/",
        v.OrderActivate.as_view(),
        name="port-order-carrier-activate",
    ),
    path(
        "carrier-events/<int:pk>/dismiss/", v.EventDismiss.as_view(), name="carrier-event-dismiss"
    ),
]

# Mounted at the root (config/urls.py): the provider has no account here.
webhook_urlpatterns = [
    path(
        "carrier-webhooks/<slug:org>/<uuid:connection_uuid>/",
        v.carrier_webhook,
        name="carrier-webhook",
    ),
]
