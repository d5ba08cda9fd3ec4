"""Browser upload of inventory CSVs: a thin page around inventory.services.import_inventory."""

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.text import slugify
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.generic import FormView

from customers.models import Migration
from customers.views_base import ParentMigrationMixin
from porting.filters import PhoneNumberFilter
from porting.models import PhoneNumber
from sites.filters import EndpointFilter, SiteFilter
from sites.models import Endpoint, Site
from tenancy.views_base import OrgMixin

from .export import export_lines
from .formats import FORMATS, KINDS, human_size, max_bytes, max_rows
from .forms import InventoryImportForm
from .services import import_inventory

# Three files plus form overhead; a larger request is refused before its body is parsed.
_FORM_OVERHEAD = 64 * 1024


@method_decorator(sensitive_post_parameters(), name="dispatch")
class InventoryImportView(OrgMixin, FormView):
    """GET: the form and the column documentation. POST: validate everything; import all
    or nothing. Another organization's migration answers 404 (it is fetched through the
    organization scope); read-only roles get 403 on POST (OrgMixin)."""

    template_name = "inventory/import.html"
    form_class = InventoryImportForm
    # Importing creates sites and numbers, so it takes their write roles (owner, PM).
    write_model = Site

    def get_migration(self):
        return get_object_or_404(
            Migration.objects.for_org(self.organization).select_related("customer"),
            uuid=self.kwargs["migration_uuid"],
        )

    def get(self, request, *args, **kwargs):
        self.migration = self.get_migration()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.migration = self.get_migration()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 3 * max_bytes() + _FORM_OVERHEAD:
            message = (
                f"The upload is too large: each file may be at most {human_size(max_bytes())}. "
                "Nothing was imported."
            )
            context = self.get_context_data(form=InventoryImportForm(), upload_error=message)
            return self.render_to_response(context, status=413)
        return super().post(request, *args, **kwargs)

    @sensitive_variables()
    def form_valid(self, form):
        data = form.cleaned_data
        report = import_inventory(
            self.migration,
            sites=data["sites"],
            endpoints=data["endpoints"],
            numbers=data["numbers"],
            by=self.request.user,
            reason=data["reason"],
        )
        if report.ok:
            messages.success(self.request, f"{report.summary()} Migration: {self.migration.name}.")
            for warning in report.warnings[:20]:
                messages.warning(self.request, warning.as_line())
            return redirect(self.migration.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, report=report))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            migration=self.migration,
            formats=[FORMATS[kind] for kind in KINDS],
            max_size=human_size(max_bytes()),
            max_rows=max_rows(),
        )
        return context


class InventoryExportView(ParentMigrationMixin, OrgMixin, View):
    """A migration's sites, endpoints or numbers as CSV in the import's columns, with the
    list's filters applied (the list page's querystring), in a fixed order."""

    http_method_names = ["get", "head"]
    LISTS = {
        "sites": (Site, SiteFilter),
        "endpoints": (Endpoint, EndpointFilter),
        "numbers": (PhoneNumber, PhoneNumberFilter),
    }

    def get(self, request, *args, **kwargs):
        kind = kwargs["kind"]
        if kind not in self.LISTS:
            raise Http404
        migration = self.get_migration()
        model, filterset_class = self.LISTS[kind]
        rows = self.scoped(model.objects.filter(migration=migration))
        filterset = filterset_class(request.GET or None, queryset=rows, request=request)
        rows = rows.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        ordering = _EXPORT_ORDER[kind]
        response = StreamingHttpResponse(
            export_lines(kind, rows.order_by(*ordering)), content_type="text/csv; charset=utf-8"
        )
        filename = f"{slugify(migration.name)}-{kind}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# The order a spreadsheet reader expects; sites come before what refers to them.
_EXPORT_ORDER = {
    "sites": ("name", "pk"),
    "endpoints": ("site__name", "extension", "pk"),
    "numbers": ("number",),
}


class InventoryTemplateView(OrgMixin, View):
    """A CSV template: the header and an example row (consistent across the three files,
    so importing the three templates together works)."""

    def get(self, request, *args, **kwargs):
        fmt = FORMATS.get(kwargs["kind"])
        if fmt is None:
            raise Http404
        response = HttpResponse(fmt.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{fmt.kind}-template.csv"'
        return response
