"""The customer compliance page, under /o/<slug>/."""

from django.urls import path

from . import views as v

urlpatterns = [
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
