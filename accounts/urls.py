"""/accounts/: django-allauth's sign-in, password, two-factor and SSO pages, under the
names and paths people and the code already use ("login", "logout", /accounts/login/),
and Django's old password URLs sent to allauth's."""

from allauth.account import views as allauth_views
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

from . import views

# fmt: off
urlpatterns = [
    # The names the project's templates and LOGIN_URL use, before allauth's own.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/sso/", views.SingleSignOnStart.as_view(), name="sso-start"),
    path("accounts/sso/<slug:org_slug>/", views.OrganizationSingleSignOnStart.as_view(),
         name="sso-org-start"),
    # django.contrib.auth's paths, from before allauth (bookmarks, old reset emails).
    path("accounts/password_change/",
         RedirectView.as_view(pattern_name="account_change_password", query_string=True)),
    path("accounts/password_change/done/",
         RedirectView.as_view(pattern_name="account_change_password")),
    path("accounts/password_reset/",
         RedirectView.as_view(pattern_name="account_reset_password", query_string=True)),
    path("accounts/password_reset/done/",
         RedirectView.as_view(pattern_name="account_reset_password_done")),
    path("accounts/reset/done/", RedirectView.as_view(pattern_name="account_login")),
    path("accounts/reset/<uidb64>/<token>/",
         RedirectView.as_view(url=reverse_lazy("account_reset_password"))),
    # Changing one's email address is not offered (accounts.views.EmailManagedElsewhere).
    path("accounts/email/", views.EmailManagedElsewhere.as_view(), name="account_email"),
    path("accounts/", include("allauth.urls")),
]
# fmt: on
