"""The go/no-go page (items, sign-offs, the decision with an owner's override, history).
The services check roles again; the page only calls them."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.generic import TemplateView

from customers.views_base import ParentMigrationMixin
from cutover.actions import _Action
from cutover.go.selectors import decision_history, go_no_go
from cutover.go.services import decide, sign_off
from cutover.models import GoNoGoDecision, SignOff
from documents.paper import PAPERS, paper_for
from documents.render import render_pdf
from tenancy import clock
from tenancy.portal import portal_base_url
from tenancy.roles import Role
from tenancy.views_base import OrgMixin

from .forms import DecisionForm, SignOffForm


class GoPage(ParentMigrationMixin, OrgMixin, TemplateView):
    model = GoNoGoDecision
    template_name = "cutover/go.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        context.update(
            result=go_no_go(migration),
            decisions=decision_history(migration),
            is_owner=self.membership.role == Role.OWNER,
            # A blocker's "Sign it off" link names its item: the form has it chosen.
            signoff_form=SignOffForm(initial={"item": self.request.GET.get("sign_off", "")}),
            decision_form=DecisionForm(),
            sign_off_items=SignOff.Item.choices,
            papers=PAPERS.values(),
        )
        return context


class GoPdf(ParentMigrationMixin, OrgMixin, TemplateView):
    """The printed go/no-go record: every check in full, the sign-offs, every decision,
    and each blocker's fix as a full URL."""

    model = GoNoGoDecision
    template_name = "cutover/go_pdf.html"

    def get_context_data(self, **kwargs):
        paper = paper_for(self.request)  # a wrong ?paper= is refused before any work
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        context.update(
            result=go_no_go(migration, limit=None),
            decisions=decision_history(migration),
            paper=paper,
            link_base=portal_base_url(self.request).rstrip("/"),
            generated_at=clock.now(),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        html = render_to_string(self.template_name, context)
        response = HttpResponse(render_pdf(html), content_type="application/pdf")
        name = f"go-no-go-{context['migration'].uuid}-{context['paper'].key}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


class SignOffAction(_Action):
    model = SignOff

    def form(self, migration):
        return SignOffForm(self.request.POST)

    def act(self, migration, data):
        row = sign_off(migration, item=data["item"], by=self.request.user,
                          note=data["note"], deferred=data["deferred"])  # fmt: skip
        verb = "deferred" if row.deferred else "signed off"
        return f"“{row.get_item_display()}” {verb}."


class DecideAction(_Action):
    model = GoNoGoDecision

    def form(self, migration):
        return DecisionForm(self.request.POST)

    def act(self, migration, data):
        row = decide(migration, decision=data["decision"], by=self.request.user,
                        reason=data["reason"], override_reason=data["override_reason"])  # fmt: skip
        extra = " with an owner's override" if row.override_reason else ""
        return f"Decision recorded: {row.get_decision_display()}{extra}."
