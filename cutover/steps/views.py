"""A migration's dated cutover steps, with forms to mark one done or skip it."""

from __future__ import annotations

from django.urls import reverse
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from customers.views_base import ParentMigrationMixin
from cutover.models import Step
from cutover.steps.forms import DoneForm, SkipForm
from cutover.steps.selectors import step_rows
from cutover.steps.services import complete_step, skip_step
from cutover.steps.timeline import OPEN
from tenancy.views_base import OrgMixin, ServiceActionView


class StepList(ParentMigrationMixin, OrgMixin, TemplateView):
    model = Step
    template_name = "cutover/steps.html"
    http_method_names = ["get", "head", "options"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = step_rows(self.get_migration())
        context.update(rows=rows, open_statuses=OPEN)
        return context


class _StepAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = Step

    def get_queryset(self):
        return self.scoped(Step.objects.select_related("plan__migration"))

    def back_url(self, step):
        return reverse("cutover-steps", args=[self.organization.slug, step.plan.migration.uuid])


class StepDone(_StepAction):
    form_class = DoneForm

    def act(self, step, data):
        complete_step(step, by=self.request.user, evidence=data.get("evidence", ""))
        return f"Done: {step.title}."


class StepSkip(_StepAction):
    form_class = SkipForm

    def act(self, step, data):
        skip_step(step, by=self.request.user, reason=data.get("reason", ""))
        return f"Skipped: {step.title}."
