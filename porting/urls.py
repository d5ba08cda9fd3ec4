from django.urls import include, path

from . import views as v

M = "migrations/<uuid:migration_uuid>"

urlpatterns = [
    path(f"{M}/numbers/", v.NumberList.as_view(), name="number-list"),
    path(f"{M}/numbers/new/", v.NumberCreate.as_view(), name="number-create"),
    path(f"{M}/numbers/bulk/", v.NumberBulkEdit.as_view(), name="number-bulk-edit"),
    path("numbers/<int:pk>/", v.NumberDetail.as_view(), name="number-detail"),
    path("numbers/<int:pk>/edit/", v.NumberUpdate.as_view(), name="number-update"),
    path("numbers/<int:pk>/delete/", v.NumberDelete.as_view(), name="number-delete"),
    path("numbers/<int:pk>/history/", v.NumberHistory.as_view(), name="number-history"),
    path("numbers/<int:pk>/transition/", v.NumberTransition.as_view(), name="number-transition"),
    # Carrier accounts and their CSRs
    path(f"{M}/carriers/", v.CarrierAccountList.as_view(), name="carrier-account-list"),
    path(f"{M}/carriers/new/", v.CarrierAccountCreate.as_view(), name="carrier-account-create"),
    path("carriers/<int:pk>/", v.CarrierAccountDetail.as_view(), name="carrier-account-detail"),
    path(
        "carriers/<int:pk>/bills/<int:bill_pk>/",
        v.CarrierAccountBill.as_view(),
        name="carrier-account-bill",
    ),
    path(
        "carriers/<int:pk>/edit/", v.CarrierAccountUpdate.as_view(), name="carrier-account-update"
    ),
    path(
        "carriers/<int:pk>/delete/", v.CarrierAccountDelete.as_view(), name="carrier-account-delete"
    ),
    path(
        "carriers/<int:pk>/history/",
        v.CarrierAccountHistory.as_view(),
        name="carrier-account-history",
    ),
    path(
        "carriers/<int:pk>/cancel-service/",
        v.CarrierAccountCancelService.as_view(),
        name="carrier-account-cancel-service",
    ),
    # Port orders
    path(f"{M}/porting/", v.PortingBoard.as_view(), name="porting-board"),
    path(f"{M}/porting/new/", v.PortOrderCreate.as_view(), name="port-order-create"),
    path("port-orders/<int:pk>/", v.PortOrderDetail.as_view(), name="port-order-detail"),
    path("port-orders/<int:pk>/history/", v.PortOrderHistory.as_view(), name="port-order-history"),
    path(
        "port-orders/<int:pk>/transition/",
        v.PortOrderTransition.as_view(),
        name="port-order-transition",
    ),
    path("port-orders/<int:pk>/loa/", v.PortOrderPrepareLoa.as_view(), name="port-order-loa"),
    path("port-orders/<int:pk>/numbers/", v.PortOrderNumbers.as_view(), name="port-order-numbers"),
    path(
        "port-orders/<int:pk>/loa/preview/",
        v.PortOrderLoaPreview.as_view(),
        name="port-order-loa-preview",
    ),
    path(
        "port-orders/<int:pk>/loa/preview.pdf",
        v.PortOrderLoaPdf.as_view(),
        name="port-order-loa-pdf",
    ),
    path(
        "port-orders/<int:pk>/acknowledge/",
        v.PortOrderAcknowledge.as_view(),
        name="port-order-acknowledge",
    ),
    path("port-orders/<int:pk>/foc/", v.PortOrderChangeFoc.as_view(), name="port-order-foc"),
    path("port-orders/<int:pk>/test-calls/", v.PortOrderTestCall.as_view(), name="port-order-test"),
    path("port-orders/<int:pk>/partial/", v.PortOrderPartial.as_view(), name="port-order-partial"),
    # Carrier connections and what goes through them (porting/carriers).
    path("", include("porting.carriers.urls")),
]
