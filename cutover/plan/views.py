"""The cutover plan page (model, cap, SBC, business hours, warnings, waves in their site's
time zone, 24-hour forwarding) with its POST actions. The services check roles again;
the pages only call them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import TemplateView

from customers.views_base import ParentMigrationMixin
from cutover.models import CutoverPlan, Forwarding, Wave
from cutover.plan.forms import ForwardingForm, PlanForm, WaveForm
from cutover.plan.selectors import migration_seats, number_site, plan_warnings, site_zone
from cutover.plan.services import add_wave, record_forwarding, save_plan
from tenancy.phone import shown
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView


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
        wave_form = WaveForm(migration=migration)
        context.update(
            plan=plan,
            number_groups=wave_form.picker_groups("numbers"),
            endpoint_groups=wave_form.picker_groups("endpoints"),
            seats=seats,
            waves=waves,
            warnings=warnings,
            forwardings=forwardings,
            plan_form=PlanForm(instance=plan),
            wave_form=wave_form,
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
        plan = save_plan(migration, by=self.request.user, reason=reason, **data)
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
        wave = add_wave(
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
        fw = record_forwarding(
            data["number"], by=self.request.user, forward_to=data["forward_to"],
            starts_at=data["starts_at"], reason=data["reason"],
        )  # fmt: skip
        return f"{fw.number.display}: forwarded to {shown(fw.forward_to)} for 24 hours."
