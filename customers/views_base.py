"""What every page under /o/<org>/migrations/<uuid>/ shares: the migration, resolved
through the organization's scope."""

from django.shortcuts import get_object_or_404
from django.urls import reverse

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

    def decorate(self, queryset):
        return queryset.filter(migration=self.get_migration())

    def get_create_url(self):
        return reverse(
            f"{self.model.ui_name}-create", args=[self.organization.slug, self.get_migration().uuid]
        )
