"""/o/<org_slug>/security/: the owners' Security page."""

from django.urls import path

from . import views

urlpatterns = [
    path("security/", views.SecurityPage.as_view(), name="org-security"),
    path("security/two-factor/", views.SetTwoFactorPolicy.as_view(), name="org-two-factor"),
    path("security/unlock/", views.UnlockMember.as_view(), name="org-unlock-member"),
    path("security/sso/", views.SingleSignOnSettings.as_view(), name="org-sso"),
]
