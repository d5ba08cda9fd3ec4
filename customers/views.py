from django.urls import reverse

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
from .selectors import with_inventory_counts, with_migration_counts


class CustomerViews:
    model = Customer


class CustomerList(CustomerViews, OrgListView):
    filterset_class = CustomerFilter
    table_template = "customers/_customer_table.html"
    title = "Customers"
    sort_fields = {
        "legal_name": "legal_name", "dba_name": "dba_name",
        "contact": ("main_contact_name", "main_contact_email"),
        "flags": ("handles_health_information", "takes_card_payments_by_phone"),
        "migrations": "migration_count",
    }  # fmt: skip

    def decorate(self, queryset):
        return with_migration_counts(queryset)

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
    sort_fields = {
        "name": "name", "customer": "customer__legal_name", "status": "status",
        "window": ("target_start", "target_end"), "owner": "owner__username",
        "sites": "site_count", "endpoints": "endpoint_count", "numbers": "number_count",
    }  # fmt: skip

    def decorate(self, queryset):
        return with_inventory_counts(queryset)

    def get_create_url(self):
        return reverse("migration-create", args=[self.organization.slug])


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
