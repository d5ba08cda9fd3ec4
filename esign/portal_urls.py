"""The signer's portal: no organization in the URL, no account; the token is the key."""

from django.urls import path

from . import views as v

app_name = "esign"

urlpatterns = [
    # Any string reaches the view, which answers 404 for malformed and unknown tokens alike.
    path("sign/<str:token>/", v.PortalView.as_view(), name="portal"),
    path("sign/<str:token>/signed.pdf", v.PortalSignedCopy.as_view(), name="signed-copy"),
]
