from django.urls import path

from . import views as v

urlpatterns = [
    path(
        "port-orders/<int:pk>/loa/send/",
        v.SendForSignature.as_view(),
        name="port-order-send-for-signature",
    ),
    path(
        "signing-requests/<int:pk>/revoke/",
        v.RevokeSigningRequest.as_view(),
        name="signing-request-revoke",
    ),
    path("loas/<int:pk>/signed/", v.SignedLoaView.as_view(), name="loa-signed"),
    path("loas/<int:pk>/signed.pdf", v.SignedLoaDownload.as_view(), name="loa-signed-pdf"),
]
