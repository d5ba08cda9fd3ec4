from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

from tenancy import clock, freshness
from tenancy.views_crud import (
    OrgCreateView,
    OrgDeleteView,
    OrgDetailView,
    OrgHistoryView,
    OrgListView,
    OrgUpdateView,
)

from .filters import CustomerFilter, MigrationFilter
from .forms import CustomerForm, MigrationForm
from .models import Customer, Migration
from .selectors import count_of, migration_dashboard, with_inventory_counts


class CustomerViews:
    model = Customer


class CustomerList(CustomerViews, OrgListView):
    filterset_class = CustomerFilter
    table_template = "customers/_customer_table.html"
    title = "Customers"

    def decorate(self, queryset):
        return queryset.annotate(migration_count=count_of(Migration, customer="pk"))

    def get_create_url(self):
        return reverse("customer-create", args=[self.organization.slug])


class CustomerDetail(CustomerViews, OrgDetailView):
    template_name = "customers/customer_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["migrations"] = with_inventory_counts(
            self.object.migrations.select_related("owner")
        )
        return context


class CustomerCreate(CustomerViews, OrgCreateView):
    form_class = CustomerForm


class CustomerUpdate(CustomerViews, OrgUpdateView):
    form_class = CustomerForm


class CustomerDelete(CustomerViews, OrgDeleteView):
    def get_success_url(self):
        return reverse("customer-list", args=[self.organization.slug])


class CustomerHistory(CustomerViews, OrgHistoryView):
    pass


class MigrationViews:
    model = Migration
    slug_field = "uuid"
    slug_url_kwarg = "migration_uuid"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "owner")


class MigrationList(MigrationViews, OrgListView):
    filterset_class = MigrationFilter
    table_template = "customers/_migration_table.html"
    title = "Migrations"

    def decorate(self, queryset):
        return with_inventory_counts(queryset)

    def get_create_url(self):
        return reverse("migration-create", args=[self.organization.slug])


class MigrationDetail(MigrationViews, OrgDetailView):
    """The migration page. Its cutover dashboard (docs/cutover-dashboard.md) is a
    fragment of the same URL, `?panel=cutover`: htmx loads it after the page, so the
    page's first response stays small; without htmx, the link renders the whole page
    with the dashboard in place."""

    template_name = "customers/migration_detail.html"
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
            from cutover.dashboard import dashboard

            context["cutover"] = dashboard(self.object, now=clock.now())
            context["go_url"] = go_page_url(self.organization.slug, self.object.uuid)
            if getattr(self.request, "htmx", False):
                return context
        context["dashboard"] = migration_dashboard(self.object)
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


class MigrationCreate(MigrationViews, OrgCreateView):
    form_class = MigrationForm

    def get_initial(self):
        initial = super().get_initial()
        initial["owner"] = self.request.user.pk
        if self.request.GET.get("customer", "").isdigit():
            initial["customer"] = self.request.GET["customer"]
        return initial


class MigrationUpdate(MigrationViews, OrgUpdateView):
    form_class = MigrationForm


class MigrationDelete(MigrationViews, OrgDeleteView):
    def get_success_url(self):
        return self.object.customer.get_absolute_url()


class MigrationHistory(MigrationViews, OrgHistoryView):
    pass
