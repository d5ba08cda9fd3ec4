"""What every page under /o/<org>/migrations/<uuid>/ shares: the migration, resolved
through the organization's scope."""

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse

from tenancy.views_base import OrgMixin, ServiceActionView
from tenancy.views_crud import OrgListView

from .models import Migration


class ParentMigrationMixin:
    """For pages under /migrations/<uuid>/: the migration, resolved through the scope."""

    def get_migration(self):
        if not hasattr(self, "_migration"):
            self._migration = get_object_or_404(
                self.scoped(Migration.objects.select_related("customer")),
                uuid=self.kwargs["migration_uuid"],
            )
            self._migration.organization = self.organization
            self._migration.customer.organization = self.organization
        return self._migration

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["migration"] = self.get_migration()
        return context

    def adjust_filterset(self, filterset):
        """On a migration's own list, filters offer only that migration's rows."""
        filterset.filters.pop("migration", None)
        migration = self.get_migration()
        for name in ("site", "endpoint"):
            if name in filterset.filters:
                flt = filterset.filters[name]
                flt.queryset = flt.queryset.filter(migration=migration)


class MigrationChildListView(ParentMigrationMixin, OrgListView):
    """A list of one migration's sites, endpoints, numbers or carrier accounts."""

    template_name = "sites/list.html"
    bulk_form_class = None  # a BulkForm: the list gets row checkboxes and a bulk bar
    bulk_url_name = ""
    export_kind = ""  # "sites", "endpoints" or "numbers": the list exports as CSV

    def decorate(self, queryset):
        return queryset.filter(migration=self.get_migration())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        args = [self.organization.slug, self.get_migration().uuid]
        query = context["querystring"]
        if self.bulk_form_class and self.membership.can_write(self.model):
            context["bulk_form"] = self.bulk_form_class(
                initial={"query": query}, migration=self.get_migration(), auto_id="id_bulk_%s"
            )
            context["bulk_url"] = reverse(self.bulk_url_name, args=args)
        if self.export_kind:
            url = reverse("inventory-export", args=[*args, self.export_kind])
            context["export_url"] = f"{url}?{query}" if query else url
        return context

    def get_create_url(self):
        return reverse(
            f"{self.model.ui_name}-create", args=[self.organization.slug, self.get_migration().uuid]
        )


class MigrationBulkActionView(ParentMigrationMixin, OrgMixin, ServiceActionView):
    """One action on many rows of a migration's list (a tenancy.views_crud.BulkForm):
    the rows ticked, or every row matching the list's filters, always within the
    migration and the organization. Back to the list, filters kept."""

    model = None  # the rows' model: its write_roles gate the POST
    filterset_class = None  # the list's, to find "every row that matches"
    list_url_name = ""

    def target(self):
        return self.get_migration()

    def rows(self, data):
        migration = self.get_migration()
        base = self.scoped(self.model.objects.filter(migration=migration))
        if data.get("all_matching"):
            filterset = self.filterset_class(
                QueryDict(data.get("query", "")), queryset=base, request=self.request
            )
            self.adjust_filterset(filterset)
            if not filterset.is_valid():
                raise ValidationError("The list's filters are no longer valid: filter again.")
            return filterset.qs
        picked = [int(pk) for pk in self.request.POST.getlist("pk") if pk.isdigit()]
        return base.filter(pk__in=picked)

    def build_form(self, migration):
        return self.form_class(self.request.POST, migration=migration)

    def back_url(self, migration):
        url = reverse(self.list_url_name, args=[self.organization.slug, migration.uuid])
        query = self.request.POST.get("query", "")
        return f"{url}?{query}" if query else url
