from django.urls import path

from . import views as v

M = "migrations/<uuid:migration_uuid>"

urlpatterns = [
    path(f"{M}/numbers/", v.NumberList.as_view(), name="number-list"),
    path(f"{M}/numbers/new/", v.NumberCreate.as_view(), name="number-create"),
    path("numbers/<int:pk>/", v.NumberDetail.as_view(), name="number-detail"),
    path("numbers/<int:pk>/edit/", v.NumberUpdate.as_view(), name="number-update"),
    path("numbers/<int:pk>/delete/", v.NumberDelete.as_view(), name="number-delete"),
    path("numbers/<int:pk>/history/", v.NumberHistory.as_view(), name="number-history"),
    path("numbers/<int:pk>/transition/", v.NumberTransition.as_view(), name="number-transition"),
]
