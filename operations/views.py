"""The pages that gather every app: the organization's home and each migration's page,
whose cutover dashboard is an htmx fragment (docs/cutover-dashboard.md)."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse
from django.views.generic import TemplateView

from customerportal.selectors import open_stuck_flags, open_stuck_flags_in
from customers.models import Customer, Migration
from customers.selectors import with_inventory_counts
from customers.views import MigrationViews
from cutover.dashboard.selectors import dashboard
from tenancy import clock, freshness
from tenancy.views_base import OrgMixin
from tenancy.views_crud import OrgDetailView

from .selectors import migration_dashboard


class OrganizationHome(OrgMixin, TemplateView):
    template_name = "operations/org_home.html"
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
        # Customers waiting on us come first: each flag links to where it is answered.
        context["stuck_flags"] = open_stuck_flags_in(self.organization)
        return context


class MigrationDetail(MigrationViews, OrgDetailView):
    """The migration page. Its cutover dashboard (docs/cutover-dashboard.md) is a
    fragment of the same URL, `?panel=cutover`: htmx loads it after the page, so the
    page's first response stays small; without htmx, the link renders the whole page
    with the dashboard in place."""

    template_name = "operations/migration_detail.html"
    panel_template = "cutover/_dashboard_panel.html"

    def wants_panel(self):
        return self.request.GET.get("panel") == "cutover"

    def get_template_names(self):
        if self.wants_panel() and getattr(self.request, "htmx", False):
            return [self.panel_template]
        return super().get_template_names()

    def get(self, request, *args, **kwargs):
        """The htmx panel is cached per migration for DASHBOARD_CACHE_SECONDS under the
        organization's data version, so any change made meanwhile is shown at once
        (tenancy/freshness.py; docs/cutover-dashboard.md). Access is checked first."""
        if not (self.wants_panel() and getattr(request, "htmx", False)):
            return super().get(request, *args, **kwargs)
        self.object = self.get_object()
        key = panel_cache_key(self.object)
        if key is not None:
            html = cache.get(key)
            if html is not None:
                return HttpResponse(html)
        response = self.render_to_response(self.get_context_data(object=self.object))
        response.render()
        if key is not None and response.status_code == 200:
            cache.set(key, response.content.decode(), settings.DASHBOARD_CACHE_SECONDS)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.wants_panel():
            context["cutover"] = dashboard(self.object, now=clock.now())
            context["go_url"] = go_page_url(self.organization.slug, self.object.uuid)
            if getattr(self.request, "htmx", False):
                return context
        context["dashboard"] = migration_dashboard(self.object)
        context["stuck_flags"] = open_stuck_flags(self.object)
        return context


def panel_cache_key(migration) -> str | None:
    """None when the panel is not to be cached (turned off, or no cache answers)."""
    if settings.DASHBOARD_CACHE_SECONDS <= 0:
        return None
    data_version = freshness.version(migration.organization_id)
    if data_version < 0:
        return None
    # The UUID, not the pk: a key can outlive a test database whose pks start over.
    return f"dashboard-panel:{migration.uuid}:{data_version}"


def go_page_url(org_slug, migration_uuid):
    """The go/no-go page (cutover/urls_go.py), or "" while it is not installed."""
    from django.urls import NoReverseMatch

    try:
        return reverse("cutover-go", args=[org_slug, migration_uuid])
    except NoReverseMatch:
        return ""
