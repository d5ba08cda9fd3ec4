from django.db.models import Min
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from customers.views_base import (
    MigrationBulkActionView,
    MigrationChildListView,
    ParentMigrationMixin,
)
from tenancy.selectors import count_of
from tenancy.views_crud import (
    OrgCreateView,
    OrgDeleteView,
    OrgDetailView,
    OrgHistoryView,
    OrgUpdateView,
)

from .filters import EndpointFilter, SiteFilter
from .forms import EndpointBulkEditForm, EndpointForm, SiteForm
from .models import Endpoint, Site
from .services import bulk_edit_endpoints
from .validators import US_TIMEZONES


class SiteViews:
    model = Site

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "migration")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["us_timezones"] = US_TIMEZONES
        return context


class SiteList(SiteViews, MigrationChildListView):
    filterset_class = SiteFilter
    table_template = "sites/_site_table.html"
    title = "Sites"
    sort_fields = {
        "name": "name", "address": ("address_line1", "city"),
        "normalized": ("normalized_line1", "normalized_city"), "timezone": "timezone",
        "seats": "seat_count", "endpoints": "endpoint_count",
    }  # fmt: skip
    export_kind = "sites"

    def decorate(self, queryset):
        return super().decorate(queryset).annotate(endpoint_count=count_of(Endpoint, site="pk"))


class EndpointBulkEdit(MigrationBulkActionView):
    model = Endpoint
    form_class = EndpointBulkEditForm
    filterset_class = EndpointFilter
    list_url_name = "endpoint-list"

    def act(self, migration, data):
        changed = bulk_edit_endpoints(
            migration, self.rows(data), site=data["site"], kind=data["kind"],
            firmware=data["firmware"].strip(), remote_worker=data["remote_worker"],
            by=self.request.user, reason=data["reason"],
        )  # fmt: skip
        return f"{len(changed)} endpoint{'s' if len(changed) != 1 else ''} updated."


class SiteDetail(SiteViews, OrgDetailView):
    template_name = "sites/site_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoints = self.object.endpoints.order_by("extension", "pk")
        context["endpoint_count"] = endpoints.count()
        context["endpoints"] = endpoints[:25]
        return context


class SiteCreate(ParentMigrationMixin, SiteViews, OrgCreateView):
    form_class = SiteForm
    template_name = "sites/site_form.html"

    def new_instance(self):
        migration = self.get_migration()
        return Site(
            organization=self.organization, migration=migration, customer=migration.customer
        )


class SiteUpdate(SiteViews, OrgUpdateView):
    form_class = SiteForm
    template_name = "sites/site_form.html"


class SiteDelete(SiteViews, OrgDeleteView):
    def get_success_url(self):
        return reverse("site-list", args=[self.organization.slug, self.object.migration.uuid])


class SiteHistory(SiteViews, OrgHistoryView):
    pass


class EndpointViews:
    model = Endpoint

    def get_queryset(self):
        return super().get_queryset().select_related("site", "migration__customer")


class EndpointList(EndpointViews, MigrationChildListView):
    filterset_class = EndpointFilter
    table_template = "sites/_endpoint_table.html"
    title = "Endpoints"
    sort_fields = {
        "extension": "extension", "name": "display_name", "kind": "kind", "site": "site__name",
        "mac": "mac_address", "model": ("make", "model"), "dids": Min("numbers__number"),
    }  # fmt: skip
    bulk_form_class = EndpointBulkEditForm
    bulk_url_name = "endpoint-bulk-edit"
    export_kind = "endpoints"

    def decorate(self, queryset):
        return super().decorate(queryset).prefetch_related("numbers")


class EndpointDetail(EndpointViews, OrgDetailView):
    template_name = "sites/endpoint_detail.html"


class _EndpointFormMixin:
    form_class = EndpointForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["migration"] = self.form_migration()
        return kwargs


@method_decorator(sensitive_post_parameters("sip_password"), name="dispatch")
class EndpointCreate(_EndpointFormMixin, ParentMigrationMixin, EndpointViews, OrgCreateView):
    def form_migration(self):
        return self.get_migration()

    def new_instance(self):
        return Endpoint(organization=self.organization, migration=self.get_migration())

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("site", "").isdigit():
            initial["site"] = self.request.GET["site"]
        return initial


@method_decorator(sensitive_post_parameters("sip_password"), name="dispatch")
class EndpointUpdate(_EndpointFormMixin, EndpointViews, OrgUpdateView):
    def form_migration(self):
        return self.object.migration


class EndpointDelete(EndpointViews, OrgDeleteView):
    def get_success_url(self):
        return reverse("endpoint-list", args=[self.organization.slug, self.object.migration.uuid])


class EndpointHistory(EndpointViews, OrgHistoryView):
    pass
