"""The customer's portal: no organization in the URL, no account; the token is the key."""

from django.urls import path

from . import views as v

app_name = "customerportal"

urlpatterns = [
    # Any string reaches the view, which answers 404 for malformed and unknown tokens alike.
    path("portal/<str:token>/", v.Portal.as_view(), name="portal"),
    path("portal-unsubscribe/<str:token>/", v.Unsubscribe.as_view(), name="unsubscribe"),
    path(
        "portal/<str:token>/questionnaire/<int:site_pk>/",
        v.QuestionnairePage.as_view(),
        name="questionnaire",
    ),
    path(
        "portal/<str:token>/readiness-summary.pdf",
        v.PortalReadinessSummary.as_view(),
        name="readiness-summary",
    ),
    path("portal/<str:token>/documents/<int:pk>.pdf", v.PortalDocument.as_view(), name="document"),
]
