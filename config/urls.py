from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tenancy.admin_base import scoped_view_on_site
from tenancy.api_docs import SchemaView, SwaggerView

urlpatterns = [
    # Before admin.site.urls: Django's own "view on site" redirect is not scoped.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(scoped_view_on_site),
        name="admin-view-on-site",
    ),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    # Signed-in users only (tenancy/api_docs.py).
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # ReDoc does not work under the Content-Security-Policy: its address opens Swagger UI.
    path("api/redoc/", RedirectView.as_view(pattern_name="api-docs"), name="api-redoc"),
    path(
        "api/o/<slug:org_slug>/",
        include(("config.api_urls", "api"), namespace="api"),
    ),
    path("", include("tenancy.urls")),
    path("", include("operations.urls")),
    path("o/<slug:org_slug>/", include("customers.urls")),
    path("o/<slug:org_slug>/", include("sites.urls")),
    path("o/<slug:org_slug>/", include("porting.urls")),
    path("o/<slug:org_slug>/", include("inventory.urls")),
    path("o/<slug:org_slug>/", include("esign.urls")),
    path("o/<slug:org_slug>/", include("e911.urls")),
    path("o/<slug:org_slug>/", include("cutover.urls")),
    path("o/<slug:org_slug>/", include("webhooks.urls")),
    path("o/<slug:org_slug>/", include("customerportal.urls")),
    path("o/<slug:org_slug>/", include("accounts.org_urls")),
    path("", include("porting.carriers.webhook_urls")),
    path("", include("esign.portal_urls")),
    path("", include("e911.remote.portal_urls")),
    path("", include("customerportal.portal_urls")),
]
