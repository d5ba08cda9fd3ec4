"""The go/no-go page (items, sign-offs, the decision with an owner's override, history).
The services check roles again; the page only calls them."""

from __future__ import annotations

from django.views.generic import TemplateView

from customers.views_base import ParentMigrationMixin
from cutover.actions import _Action
from cutover.go.selectors import go_no_go
from cutover.go.services import decide, sign_off
from cutover.models import GoNoGoDecision, SignOff
from tenancy.roles import Role
from tenancy.views_base import OrgMixin

from .forms import DecisionForm, SignOffForm


class GoPage(ParentMigrationMixin, OrgMixin, TemplateView):
    model = GoNoGoDecision
    template_name = "cutover/go.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        result = go_no_go(migration)
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
