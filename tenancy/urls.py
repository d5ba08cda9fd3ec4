from django.urls import path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.health, name="health"),
    path("o/<slug:org_slug>/", views.OrganizationHome.as_view(), name="org-home"),
]
