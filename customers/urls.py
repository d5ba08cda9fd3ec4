from django.urls import path

from . import views as v

urlpatterns = [
    path("customers/", v.CustomerList.as_view(), name="customer-list"),
    path("customers/new/", v.CustomerCreate.as_view(), name="customer-create"),
    path("customers/<int:pk>/", v.CustomerDetail.as_view(), name="customer-detail"),
    path("customers/<int:pk>/edit/", v.CustomerUpdate.as_view(), name="customer-update"),
    path("customers/<int:pk>/delete/", v.CustomerDelete.as_view(), name="customer-delete"),
    path("customers/<int:pk>/history/", v.CustomerHistory.as_view(), name="customer-history"),
    path("migrations/", v.MigrationList.as_view(), name="migration-list"),
    path("migrations/new/", v.MigrationCreate.as_view(), name="migration-create"),
    path(
        "migrations/<uuid:migration_uuid>/edit/",
        v.MigrationUpdate.as_view(),
        name="migration-update",
    ),
    path(
        "migrations/<uuid:migration_uuid>/delete/",
        v.MigrationDelete.as_view(),
        name="migration-delete",
    ),
    path(
        "migrations/<uuid:migration_uuid>/history/",
        v.MigrationHistory.as_view(),
        name="migration-history",
    ),
]
