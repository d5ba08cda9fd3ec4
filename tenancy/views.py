from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.generic import TemplateView

from customers.models import Customer, Migration
from customers.selectors import with_inventory_counts

from .selectors import memberships_of
from .views_base import OrgMixin


@login_required
def home(request):
    """Send a user with one organization straight to it; otherwise let them choose."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("org-home", org_slug=memberships[0].organization.slug)
    return render(request, "tenancy/choose_organization.html", {"memberships": memberships})


class OrganizationHome(OrgMixin, TemplateView):
    template_name = "tenancy/org_home.html"
    model = Migration

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migrations = with_inventory_counts(
            self.scoped(Migration.objects.select_related("customer", "owner")).exclude(
                status__in=[Migration.Status.COMPLETED, Migration.Status.CANCELLED]
            )
        )
        context["active_migrations"] = migrations[:50]
        context["customer_count"] = self.scoped(Customer.objects.all()).count()
        context["migration_count"] = self.scoped(Migration.objects.all()).count()
        return context
