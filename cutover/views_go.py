"""The go/no-go page (items, sign-offs, the decision with an owner's override, history)
and the rollback page (ordered steps, owners, port-back countdowns). The services check
roles again; the pages only call them."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import TemplateView

from porting.models import TransitionRefused
from tenancy.models import Role
from tenancy.views_base import OrgMixin, ServiceActionView
from tenancy.views_crud import ParentMigrationMixin

from . import go, rollback
from .forms_go import AddStepForm, DecisionForm, SignOffForm, StepActionForm
from .models import GoNoGoDecision, RollbackStep, SignOff


def _go_url(view, migration):
    return reverse("cutover-go", args=[view.organization.slug, migration.uuid])


def _rollback_url(view, migration):
    return reverse("cutover-rollback", args=[view.organization.slug, migration.uuid])


class GoPage(ParentMigrationMixin, OrgMixin, TemplateView):
    model = GoNoGoDecision
    template_name = "cutover/go.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        result = go.go_no_go(migration)
        decisions = list(
            GoNoGoDecision.objects.filter(migration=migration)
            .select_related("decided_by")
            .order_by("-decided_at", "-pk")
        )
        for row in decisions:
            row.failing = [i for i in row.snapshot if not i.get("ok")]
        context.update(
            result=result,
            decisions=decisions,
            is_owner=self.membership.role == Role.OWNER,
            signoff_form=SignOffForm(),
            decision_form=DecisionForm(),
            sign_off_items=SignOff.Item.choices,
        )
        return context


class _Action(ParentMigrationMixin, OrgMixin, ServiceActionView):
    refused = (ValidationError, TransitionRefused)
    back = staticmethod(_go_url)

    def form(self, migration):
        raise NotImplementedError

    def target(self):
        return self.get_migration()

    def build_form(self, migration):
        return self.form(migration)

    def back_url(self, migration):
        return self.back(self, migration)


class SignOffAction(_Action):
    model = SignOff

    def form(self, migration):
        return SignOffForm(self.request.POST)

    def act(self, migration, data):
        row = go.sign_off(migration, item=data["item"], by=self.request.user,
                          note=data["note"], deferred=data["deferred"])  # fmt: skip
        verb = "deferred" if row.deferred else "signed off"
        return f"“{row.get_item_display()}” {verb}."


class DecideAction(_Action):
    model = GoNoGoDecision

    def form(self, migration):
        return DecisionForm(self.request.POST)

    def act(self, migration, data):
        row = go.decide(migration, decision=data["decision"], by=self.request.user,
                        reason=data["reason"], override_reason=data["override_reason"])  # fmt: skip
        extra = " with an owner's override" if row.override_reason else ""
        return f"Decision recorded: {row.get_decision_display()}{extra}."


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
        refusals = rollback.done_refusals([s for s in steps if not s.done_at], migration)
        for step in steps:
            step.refusal = refusals.get(step.pk)
        context.update(
            steps=steps,
            windows=rollback.port_back_windows(migration),
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
        added = rollback.default_rollback_plan(migration, by=self.request.user)
        return f"{len(added)} step(s) added." if added else "The plan already has every step."


class AddStepAction(_RollbackAction):
    def form(self, migration):
        return AddStepForm(self.request.POST, organization=self.organization)

    def act(self, migration, data):
        step = rollback.add_step(migration, title=data["title"], owner=data["owner"],
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
            rollback.move_step(step, direction=action, by=by)
            return f"Step “{step.title}” moved {action}."
        if action == "owner":
            rollback.set_owner(step, owner=data["owner"], by=by)
            return f"Owner of “{step.title}” set."
        rollback.mark_done(step, by=by, note=data["note"])
        return f"“{step.title}” done."
