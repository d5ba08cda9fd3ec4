"""The rollback page (ordered steps, owners, port-back countdowns) with its POST actions.
The services check roles again; the page only calls them."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.views.generic import TemplateView

from customers.views_base import ParentMigrationMixin
from cutover.actions import _Action
from cutover.models import RollbackStep
from cutover.rollback.selectors import done_refusals, port_back_windows
from cutover.rollback.services import (
    add_step,
    default_rollback_plan,
    mark_done,
    move_step,
    set_owner,
)
from tenancy.views_base import OrgMixin

from .forms import AddStepForm, StepActionForm


def _rollback_url(view, migration):
    return reverse("cutover-rollback", args=[view.organization.slug, migration.uuid])


class RollbackPage(ParentMigrationMixin, OrgMixin, TemplateView):
    model = RollbackStep
    template_name = "cutover/rollback.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        steps = list(
            RollbackStep.objects.filter(migration=migration)
            .select_related("owner", "done_by", "port_order", "carrier_account")
            .order_by("position", "pk")
        )
        refusals = done_refusals([s for s in steps if not s.done_at], migration)
        for step in steps:
            step.refusal = refusals.get(step.pk)
        context.update(
            steps=steps,
            windows=port_back_windows(migration),
            add_form=AddStepForm(organization=self.organization),
            members=list(AddStepForm(organization=self.organization).fields["owner"].queryset),
        )
        return context


class _RollbackAction(_Action):
    model = RollbackStep
    back = staticmethod(_rollback_url)


class DefaultPlanAction(_RollbackAction):
    def form(self, migration):
        return forms.Form(self.request.POST)

    def act(self, migration, data):
        added = default_rollback_plan(migration, by=self.request.user)
        return f"{len(added)} step(s) added." if added else "The plan already has every step."


class AddStepAction(_RollbackAction):
    def form(self, migration):
        return AddStepForm(self.request.POST, organization=self.organization)

    def act(self, migration, data):
        step = add_step(migration, title=data["title"], owner=data["owner"],
                                 by=self.request.user)  # fmt: skip
        return f"Step {step.position} added."


class StepAction(_RollbackAction):
    def form(self, migration):
        return StepActionForm(self.request.POST, migration=migration,
                              organization=self.organization)  # fmt: skip

    def act(self, migration, data):
        step, action, by = data["step"], data["action"], self.request.user
        step.migration = migration
        if action in ("up", "down"):
            move_step(step, direction=action, by=by)
            return f"Step “{step.title}” moved {action}."
        if action == "owner":
            set_owner(step, owner=data["owner"], by=by)
            return f"Owner of “{step.title}” set."
        mark_done(step, by=by, note=data["note"])
        return f"“{step.title}” done."
