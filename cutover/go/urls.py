"""The go/no-go page of a migration, under /o/<slug>/."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("migrations/<uuid:migration_uuid>/go/", v.GoPage.as_view(), name="cutover-go"),
    path("migrations/<uuid:migration_uuid>/go.pdf", v.GoPdf.as_view(), name="cutover-go-pdf"),
    path("migrations/<uuid:migration_uuid>/go/sign-off/", v.SignOffAction.as_view(),
         name="cutover-go-sign-off"),
    path("migrations/<uuid:migration_uuid>/go/decide/", v.DecideAction.as_view(),
         name="cutover-go-decide"),
]  # fmt: skip
