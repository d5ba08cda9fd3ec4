from django.urls import path

from . import views as v

urlpatterns = [
    path(
        "migrations/<uuid:migration_uuid>/customer-portal/",
        v.PortalLinks.as_view(),
        name="customer-portal-links",
    ),
    path(
        "portal-links/<int:pk>/revoke/", v.RevokePortalLink.as_view(), name="customer-portal-revoke"
    ),
    path(
        "questionnaires/<int:pk>/accept/",
        v.AcceptQuestionnaire.as_view(),
        name="questionnaire-accept",
    ),
    path("stuck-flags/<int:pk>/clear/", v.ClearStuckFlag.as_view(), name="stuck-flag-clear"),
]
