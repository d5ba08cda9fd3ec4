"""The site E911 page (Kari's Law, 933 tests, removal of the old carrier's record) and
the customer compliance page, with their POST actions. Services check roles again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from customers.models import Customer
from porting.models import PhoneNumber
from sites.models import Site
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView

from .compliance import (
    EVIDENCE_ITEMS,
    PORTED,
    compliance_register,
    record_attestation,
    record_evidence,
    register_numbers,
)
from .forms_karis import (
    AttestationForm,
    DirectDialForm,
    EvidenceForm,
    RemoveOldRecordForm,
    Test933Form,
)
from .karis import (
    expected_callback_number,
    karis_law_items,
    record_933_test,
    record_direct_dial,
    remove_old_e911_record,
    site_default_location,
)
from .models import SiteE911, Test933
from .services import E911_WRITERS


class E911Writers:
    """Write roles of Kari's Law verification and 933 tests: technicians too."""

    write_roles = E911_WRITERS


def _site_e911_url(organization, site):
    return reverse("site-e911", args=[organization.slug, site.pk])


def _compliance_url(organization, customer_id):
    return reverse("customer-compliance", args=[organization.slug, customer_id])


class SiteE911Page(OrgMixin, DetailView):
    model = Site
    template_name = "e911/site_e911.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "migration")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        record = SiteE911.objects.filter(site=site).select_related(
            "direct_dial_verified_by", "old_record_removed_by"
        ).first()  # fmt: skip
        tests = list(
            Test933.objects.filter(site=site).select_related("recorded_by")
            .order_by("-called_at", "-pk")
        )  # fmt: skip
        initial = {}
        if record is not None:
            initial = {
                "method": record.direct_dial_method,
                "prefixes": ", ".join(record.outside_line_prefixes),
                "emergency_matched_first": record.emergency_matched_first,
                "recipients": "\n".join(record.notification_recipients),
            }
        number = expected_callback_number(site)
        context.update(
            record=record,
            items=karis_law_items(
                site, record=record, latest_test=tests[0] if tests else None, _loaded=True
            ),
            tests=tests,
            latest_test=tests[0] if tests else None,
            location=site_default_location(site),
            callback_number=number,
            direct_dial_form=DirectDialForm(initial=initial),
            test_form=Test933Form(),
            remove_form=RemoveOldRecordForm(),
            can_write_e911=self.membership.can_write(E911Writers),
        )
        return context


class _SiteAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = Site
    refused = (ValidationError, TransitionRefused)

    def back_url(self, site):
        return _site_e911_url(self.organization, site)


class SiteDirectDial(_SiteAction):
    write_model = E911Writers
    form_class = DirectDialForm

    def act(self, site, data):
        record_direct_dial(
            site, by=self.request.user, method=data["method"], prefixes=data["prefixes"],
            emergency_matched_first=data["emergency_matched_first"],
            recipients=data["recipients"], reason=data["reason"],
        )  # fmt: skip
        return "Kari's Law verification recorded."


class SiteTest933(_SiteAction):
    write_model = E911Writers
    form_class = Test933Form

    def act(self, site, data):
        test = record_933_test(
            site, by=self.request.user, caller=data["caller"], called_at=data["called_at"],
            readback_address=data["readback_address"],
            readback_callback=data["readback_callback"],
        )  # fmt: skip
        if test.result == Test933.Result.PASS:
            return "933 test recorded: the read-back matches."
        messages.warning(
            self.request,
            "933 read-back mismatch: " + " ".join(test.differences)
            + " The project owner was alerted.",
        )  # fmt: skip
        return "933 test recorded."


class SiteRemoveOldRecord(_SiteAction):
    form_class = RemoveOldRecordForm

    def act(self, site, data):
        remove_old_e911_record(site, by=self.request.user, reason=data["reason"])
        return "Recorded: the old carrier's E911 record is removed."


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
