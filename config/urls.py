from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path(
        "api/o/<slug:org_slug>/",
        include(("config.api_urls", "api"), namespace="api"),
    ),
    path("", include("tenancy.urls")),
    path("o/<slug:org_slug>/", include("customers.urls")),
    path("o/<slug:org_slug>/", include("sites.urls")),
    path("o/<slug:org_slug>/", include("porting.urls")),
    path("o/<slug:org_slug>/", include("inventory.urls")),
]
