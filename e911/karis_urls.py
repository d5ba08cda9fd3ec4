"""Site E911 (Kari's Law, 933 tests) and customer compliance pages, under /o/<slug>/."""

from django.urls import path

from . import karis_views as v

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
    path(
        "customers/<int:pk>/compliance/",
        v.CustomerCompliancePage.as_view(),
        name="customer-compliance",
    ),
    path(
        "customers/<int:pk>/compliance/evidence/",
        v.CustomerEvidence.as_view(),
        name="customer-compliance-evidence",
    ),
    path("numbers/<int:pk>/attestation/", v.NumberAttestation.as_view(), name="number-attestation"),
]
