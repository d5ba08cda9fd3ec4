from django.urls import path

from . import views

urlpatterns = [
    path(
        "migrations/<uuid:migration_uuid>/import/",
        views.InventoryImportView.as_view(),
        name="inventory-import",
    ),
    path(
        "import-templates/<slug:kind>.csv",
        views.InventoryTemplateView.as_view(),
        name="inventory-template",
    ),
]
