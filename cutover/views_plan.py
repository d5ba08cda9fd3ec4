"""The cutover plan page (model, cap, SBC, business hours, warnings, waves in their site's
time zone, 24-hour forwarding) and the site network page (bandwidth calculator,
thresholds, readiness CSV import, QoS/PoE, sign-offs), with their POST actions. The
services check roles again; the pages only call them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import DetailView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from porting.models import TransitionRefused
from sites.models import Endpoint, Site
from tenancy.views_base import OrgMixin, ServiceActionView
from tenancy.views_crud import ParentMigrationMixin

from . import network, plans
from .forms_plan import (
    AssessmentForm,
    ForwardingForm,
    PlanForm,
    ReadinessCsvForm,
    SignOffForm,
    WaveForm,
    in_zone,
)
from .models import CutoverPlan, Forwarding, NetworkAssessment, Wave
from .plan_rules import migration_seats, number_site, plan_warnings, site_zone

# -- the plan ---------------------------------------------------------------------------


def _plan_url(organization, migration):
    return reverse("cutover-plan", args=[organization.slug, migration.uuid])


class PlanPage(ParentMigrationMixin, OrgMixin, TemplateView):
    model = CutoverPlan
    template_name = "cutover/plan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        plan = CutoverPlan.objects.filter(migration=migration).first()
        waves, forwardings, warnings = [], [], []
        seats = migration_seats(migration)
        if plan is not None:
            waves = list(
                plan.waves.select_related("site").prefetch_related(
                    "numbers", "endpoints", "port_orders"
                )
            )
            for wave in waves:
                wave.zone = site_zone(wave.site).key  # the template shows the window there
            warnings = plan_warnings(plan, waves=waves, seats=seats)
        forwardings = list(
            Forwarding.objects.filter(number__migration=migration)
            .select_related("number__site", "number__endpoint__site", "recorded_by")
            .order_by("-starts_at", "-pk")
        )
        for fw in forwardings:
            fw.zone = site_zone(number_site(fw.number)).key
        context.update(
            plan=plan,
            seats=seats,
            waves=waves,
            warnings=warnings,
            forwardings=forwardings,
            plan_form=PlanForm(instance=plan),
            wave_form=WaveForm(migration=migration),
            forwarding_form=ForwardingForm(migration=migration),
        )
        return context


class _PlanAction(ParentMigrationMixin, OrgMixin, ServiceActionView):
    refused = (ValidationError, TransitionRefused)

    def target(self):
        return self.get_migration()

    def build_form(self, migration):
        return self.form_class(self.request.POST, migration=migration)

    def back_url(self, migration):
        return _plan_url(self.organization, migration)


class SavePlan(_PlanAction):
    model = CutoverPlan

    def build_form(self, migration):
        return PlanForm(self.request.POST)

    def act(self, migration, data):
        data = dict(data)
        reason = data.pop("reason")
        plan = plans.save_plan(migration, by=self.request.user, reason=reason, **data)
        for warning in plan_warnings(plan):
            messages.warning(self.request, warning.message)
        return f"Plan saved: {plan.get_model_display()}."


class AddWave(_PlanAction):
    model = Wave
    form_class = WaveForm

    def act(self, migration, data):
        plan = CutoverPlan.objects.filter(migration=migration).first()
        if plan is None:
            raise ValidationError("Save the plan first: waves belong to it.")
        wave = plans.add_wave(
            plan, by=self.request.user, name=data["name"], window_start=data["window_start"],
            window_end=data["window_end"], site=data["site"], numbers=data["numbers"],
            endpoints=data["endpoints"], port_orders=data["port_orders"], reason=data["reason"],
        )  # fmt: skip
        for warning in plan_warnings(plan):
            if warning.wave is None or warning.wave.pk == wave.pk:
                messages.warning(self.request, warning.message)
        return f"Wave “{wave.name}” added."


class RecordForwarding(_PlanAction):
    model = Forwarding
    form_class = ForwardingForm

    def act(self, migration, data):
        fw = plans.record_forwarding(
            data["number"], by=self.request.user, forward_to=data["forward_to"],
            starts_at=data["starts_at"], reason=data["reason"],
        )  # fmt: skip
        return f"{fw.number.display}: forwarded to {fw.forward_to} for 24 hours."


# -- the site's network -----------------------------------------------------------------


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
        items = network.network_items(site, assessment=shown, has_desk_phones=has_desk_phones)
        context.update(
            assessment=assessment,
            bandwidth=network.assessment_bandwidth(shown),
            thresholds=network.check_thresholds(
                shown.jitter_ms, shown.loss_percent, shown.latency_ms
            ),
            items=items,
            blocking=network.blocking_problems(items),
            assessment_form=AssessmentForm(instance=assessment),
            csv_form=ReadinessCsvForm(),
            signoff_form=SignOffForm(),
            csv_columns=network.CSV_COLUMNS,
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
        assessment = network.save_assessment(site, by=self.request.user, reason=reason, **data)
        bw = network.assessment_bandwidth(assessment)
        return f"Assessment saved: bandwidth {bw.verdict}."


class ImportReadiness(_SiteAction):
    def build_form(self, site):
        return ReadinessCsvForm(self.request.POST, self.request.FILES)

    def act(self, site, data):
        upload = data["file"]
        if upload.size > network.MAX_CSV_BYTES:
            raise ValidationError("The file is larger than 10 MB.")
        report = network.import_readiness_csv(
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
        network.sign_off(site, by=self.request.user, role=data["role"], name=data["name"],
                         signed_at=signed_at)  # fmt: skip
        who = "IT lead" if data["role"] == "it_lead" else "Vendor"
        return f"{who} sign-off recorded: {data['name']}."
