"""The site network page (bandwidth calculator, thresholds, readiness CSV import, QoS/PoE,
sign-offs) with its POST actions. The services check roles again; the page only calls
them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from cutover.models import NetworkAssessment
from cutover.network.readiness_csv import CSV_COLUMNS, MAX_CSV_BYTES
from cutover.network.selectors import (
    assessment_bandwidth,
    blocking_problems,
    check_thresholds,
    network_items,
)
from cutover.network.services import import_readiness_csv, save_assessment, sign_off
from cutover.plan.forms import in_zone
from cutover.plan.selectors import site_zone
from sites.models import Endpoint, Site
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView

from .forms import AssessmentForm, ReadinessCsvForm, SignOffForm


def _network_url(organization, site):
    return reverse("site-network", args=[organization.slug, site.pk])


class SiteNetworkPage(OrgMixin, DetailView):
    model = Site
    template_name = "cutover/network.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "migration")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        assessment = NetworkAssessment.objects.filter(site=site).first()
        shown = assessment or NetworkAssessment(site=site)
        has_desk_phones = Endpoint.objects.filter(site=site, kind=Endpoint.Kind.DESK_PHONE).exists()
        items = network_items(site, assessment=shown, has_desk_phones=has_desk_phones)
        context.update(
            assessment=assessment,
            bandwidth=assessment_bandwidth(shown),
            thresholds=check_thresholds(shown.jitter_ms, shown.loss_percent, shown.latency_ms),
            items=items,
            blocking=blocking_problems(items),
            assessment_form=AssessmentForm(instance=assessment),
            csv_form=ReadinessCsvForm(),
            signoff_form=SignOffForm(),
            csv_columns=CSV_COLUMNS,
            can_write_network=self.membership.can_write(NetworkAssessment),
        )
        return context


class _SiteAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = Site
    write_model = NetworkAssessment
    refused = (ValidationError, TransitionRefused)

    def back_url(self, site):
        return _network_url(self.organization, site)


class SaveAssessment(_SiteAction):
    def build_form(self, site):
        return AssessmentForm(self.request.POST)

    def act(self, site, data):
        data = dict(data)
        reason = data.pop("reason")
        assessment = save_assessment(site, by=self.request.user, reason=reason, **data)
        bw = assessment_bandwidth(assessment)
        return f"Assessment saved: bandwidth {bw.verdict}."


class ImportReadiness(_SiteAction):
    def build_form(self, site):
        return ReadinessCsvForm(self.request.POST, self.request.FILES)

    def act(self, site, data):
        upload = data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise ValidationError("The file is larger than 10 MB.")
        report = import_readiness_csv(
            site, upload.read(), by=self.request.user, reason=data["reason"]
        )
        if not report.ok:
            for error in report.errors[:50]:
                messages.error(self.request, error.as_line())
            more = len(report.errors) - 50
            raise ValidationError(
                report.text() + (f" ({more} more not listed)" if more > 0 else "")
            )
        return report.text()


class SignOff(_SiteAction):
    def build_form(self, site):
        return SignOffForm(self.request.POST)

    def act(self, site, data):
        signed_at = in_zone(data["signed_at"], site_zone(site))
        sign_off(site, by=self.request.user, role=data["role"], name=data["name"],
                         signed_at=signed_at)  # fmt: skip
        who = "IT lead" if data["role"] == "it_lead" else "Vendor"
        return f"{who} sign-off recorded: {data['name']}."
