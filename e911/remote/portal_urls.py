"""The remote worker's portal: no organization in the URL, no account; the token is the
key. Included in config/urls.py as `path("", include("e911.remote.portal_urls"))`."""

from django.urls import path

from . import portal_views as v

app_name = "e911portal"

urlpatterns = [
    # Any string reaches the view, which answers 404 for malformed and unknown tokens alike.
    path("home-location/<str:token>/", v.HomeLocationPortal.as_view(), name="home-location"),
]
