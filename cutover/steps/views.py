"""A migration's dated cutover steps, with forms to mark one done or skip it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from customers.views_base import ParentMigrationMixin
from cutover.models import Step
from cutover.steps.forms import DoneForm, SkipForm
from cutover.steps.selectors import step_rows
from cutover.steps.services import complete_step, skip_step
from cutover.steps.timeline import OPEN
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin


class StepList(ParentMigrationMixin, OrgMixin, TemplateView):
    model = Step
    template_name = "cutover/steps.html"
    http_method_names = ["get", "head", "options"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = step_rows(self.get_migration())
        context.update(rows=rows, open_statuses=OPEN)
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
        complete_step(step, by=self.request.user, evidence=evidence)
        return f"Done: {step.title}."


class StepSkip(_StepAction):
    def act(self, step):
        form = SkipForm(self.request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        skip_step(step, by=self.request.user, reason=reason)
        return f"Skipped: {step.title}."
