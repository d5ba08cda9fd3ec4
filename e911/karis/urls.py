"""The site E911 page (Kari's Law, 933 tests), under /o/<slug>/."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("sites/<int:pk>/e911/", v.SiteE911Page.as_view(), name="site-e911"),
    path(
        "sites/<int:pk>/e911/direct-dial/", v.SiteDirectDial.as_view(), name="site-e911-direct-dial"
    ),
    path("sites/<int:pk>/e911/933/", v.SiteTest933.as_view(), name="site-e911-933"),
    path(
        "sites/<int:pk>/e911/remove-old-record/",
        v.SiteRemoveOldRecord.as_view(),
        name="site-e911-remove-old-record",
    ),
]
