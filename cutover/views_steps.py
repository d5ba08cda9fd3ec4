"""A migration's dated cutover steps, with forms to mark one done or skip it."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from porting.models import TransitionRefused
from tenancy.views_base import OrgMixin
from tenancy.views_crud import ParentMigrationMixin

from . import steps as svc
from .models import CutoverPlan, Step


class DoneForm(forms.Form):
    evidence = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=300)


def step_rows(migration):
    """The migration's steps with their local due time, in a fixed number of queries."""
    plan = CutoverPlan.objects.filter(migration=migration).first()
    if plan is None:
        return []
    steps = list(
        Step.objects.filter(plan=plan).select_related("port_order", "site", "owner", "done_by")
    )
    zones = svc.display_zones(steps, migration)
    return [{"step": s, "local_due": svc.local_due(s, zones[s.pk])} for s in steps]


class StepList(ParentMigrationMixin, OrgMixin, TemplateView):
    model = Step
    template_name = "cutover/steps.html"
    http_method_names = ["get", "head", "options"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = step_rows(self.get_migration())
        context.update(rows=rows, open_statuses=svc.OPEN)
        return context


class _StepAction(OrgMixin, SingleObjectMixin, View):
    model = Step
    http_method_names = ["post"]

    def get_queryset(self):
        return self.scoped(Step.objects.select_related("plan__migration"))

    def post(self, request, *args, **kwargs):
        step = self.get_object()
        try:
            text = self.act(step)
        except (ValidationError, TransitionRefused) as exc:
            message = exc.message if isinstance(exc, TransitionRefused) else " ".join(exc.messages)
            messages.error(request, message)
        else:
            messages.success(request, text)
        return HttpResponseRedirect(
            reverse("cutover-steps", args=[self.organization.slug, step.plan.migration.uuid])
        )


class StepDone(_StepAction):
    def act(self, step):
        form = DoneForm(self.request.POST)
        evidence = form.cleaned_data["evidence"] if form.is_valid() else ""
        svc.complete_step(step, by=self.request.user, evidence=evidence)
        return f"Done: {step.title}."


class StepSkip(_StepAction):
    def act(self, step):
        form = SkipForm(self.request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        svc.skip_step(step, by=self.request.user, reason=reason)
        return f"Skipped: {step.title}."
