"""The readiness report of a migration: the page and its PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.generic import TemplateView

from customers.views_base import ParentMigrationMixin
from documents.render import render_pdf
from e911.models import DispatchableLocation
from e911.readiness.selectors import readiness
from tenancy import clock
from tenancy.views_base import OrgMixin


class ReadinessReport(ParentMigrationMixin, OrgMixin, TemplateView):
    """E911 and compliance readiness, blocking items first."""

    model = DispatchableLocation
    template_name = "e911/readiness.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = readiness(self.get_migration())
        context["generated_at"] = clock.now()
        return context


class ReadinessPdf(ReadinessReport):
    template_name = "e911/readiness_pdf.html"

    def render_to_response(self, context, **response_kwargs):
        html = render_to_string(self.template_name, context)
        response = HttpResponse(render_pdf(html), content_type="application/pdf")
        name = f"readiness-{context['migration'].uuid}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response
