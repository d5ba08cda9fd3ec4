from django.urls import path

from . import views

urlpatterns = [
    path(
        "migrations/<uuid:migration_uuid>/import/",
        views.InventoryImportView.as_view(),
        name="inventory-import",
    ),
    path(
        "migrations/<uuid:migration_uuid>/export/<slug:kind>.csv",
        views.InventoryExportView.as_view(),
        name="inventory-export",
    ),
    path(
        "import-templates/<slug:kind>.csv",
        views.InventoryTemplateView.as_view(),
        name="inventory-template",
    ),
]
