"""The readiness report of a migration: the page and its PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.generic import TemplateView

from customers.views_base import ParentMigrationMixin
from documents.paper import PAPERS, paper_for
from documents.render import render_pdf
from e911.models import DispatchableLocation
from e911.readiness.selectors import LISTED, readiness
from tenancy import clock
from tenancy.portal import portal_base_url
from tenancy.views_base import OrgMixin


class ReadinessReport(ParentMigrationMixin, OrgMixin, TemplateView):
    """E911 and compliance readiness, blocking items first."""

    model = DispatchableLocation
    template_name = "e911/readiness.html"
    limit = LISTED  # the page names the first few things of each item

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = readiness(self.get_migration(), limit=self.limit)
        context["generated_at"] = clock.now()
        context["papers"] = PAPERS.values()
        return context


class ReadinessPdf(ReadinessReport):
    """The printed report: every item and every thing it names, each fix as a full URL."""

    template_name = "e911/readiness_pdf.html"
    limit = None

    def get_context_data(self, **kwargs):
        paper = paper_for(self.request)  # a wrong ?paper= is refused before any work
        context = super().get_context_data(**kwargs)
        context["paper"] = paper
        context["link_base"] = portal_base_url(self.request).rstrip("/")
        return context

    def render_to_response(self, context, **response_kwargs):
        html = render_to_string(self.template_name, context)
        response = HttpResponse(render_pdf(html), content_type="application/pdf")
        name = f"readiness-{context['migration'].uuid}-{context['paper'].key}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response
