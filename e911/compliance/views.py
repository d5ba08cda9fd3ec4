"""The customer compliance page with its POST actions. Services check roles again."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from customers.models import Customer
from e911.compliance.forms import AttestationForm, EvidenceForm
from e911.compliance.selectors import EVIDENCE_ITEMS, PORTED, compliance_register, register_numbers
from e911.compliance.services import record_attestation, record_evidence
from porting.models import PhoneNumber
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView


def _compliance_url(organization, customer_id):
    return reverse("customer-compliance", args=[organization.slug, customer_id])


class CustomerCompliancePage(OrgMixin, DetailView):
    model = Customer
    template_name = "e911/compliance.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        numbers = register_numbers(self.object)
        items = compliance_register(self.object, numbers=numbers)
        attestation = [i for i in items if i.code == "stir_shaken"]
        ported = [n for n in numbers if n.status in PORTED]
        context.update(
            items=items,
            evidence_items=[i for i in items if i.code in EVIDENCE_ITEMS],
            attestation_items=attestation,
            attestation_rows=list(zip(attestation, ported, strict=True)),
            evidence_form=EvidenceForm(),
            attestation_form=AttestationForm(),
            history=self.object.compliance_evidence.select_related("recorded_by").order_by(
                "-recorded_at", "-pk"
            )[:50],
        )
        return context


class CustomerEvidence(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = Customer
    form_class = EvidenceForm
    refused = (ValidationError, TransitionRefused)

    def act(self, customer, data):
        record_evidence(
            customer, item=data["item"], evidence=data["evidence"],
            document_date=data["document_date"], done=data["done"], by=self.request.user,
            reason=data["reason"],
        )  # fmt: skip
        return "Evidence recorded."

    def back_url(self, customer):
        return _compliance_url(self.organization, customer.pk)


class NumberAttestation(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = PhoneNumber
    form_class = AttestationForm
    refused = (ValidationError, TransitionRefused)

    def get_queryset(self):
        return super().get_queryset().select_related("migration")

    def act(self, number, data):
        record_attestation(
            number, level=data["level"], seen_at=data["seen_at"],
            called_from=data["called_from"], by=self.request.user,
        )  # fmt: skip
        return f"Attestation check recorded for {number.display}."

    def back_url(self, number):
        return _compliance_url(self.organization, number.migration.customer_id)
