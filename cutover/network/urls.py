"""The site network page, under /o/<slug>/."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("sites/<int:pk>/network/", v.SiteNetworkPage.as_view(), name="site-network"),
    path("sites/<int:pk>/network/assessment/", v.SaveAssessment.as_view(),
         name="site-network-save"),
    path("sites/<int:pk>/network/import/", v.ImportReadiness.as_view(),
         name="site-network-import"),
    path("sites/<int:pk>/network/sign-off/", v.SignOff.as_view(), name="site-network-sign-off"),
]  # fmt: skip
