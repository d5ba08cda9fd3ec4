from django.urls import path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.health, name="health"),
    path("account/tokens/", views.ApiTokens.as_view(), name="api-tokens"),
    path(
        "reminders/unsubscribe/<str:token>/",
        views.UnsubscribeFromReminders.as_view(),
        name="reminders-unsubscribe",
    ),
    path("o/<slug:org_slug>/settings/", views.OrganizationSettings.as_view(), name="org-settings"),
    path(
        "account/tokens/<int:pk>/revoke/", views.RevokeApiToken.as_view(), name="api-token-revoke"
    ),
]
