"""Generic organization-scoped list / detail / create / edit / delete / history views.

Each model's views subclass these and name their form, filterset and templates; the
scoping, role checks, history stamping and error handling live here only."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, ProtectedError
from django.http import HttpResponseRedirect
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from .history import history_rows
from .locking import carry_shown_values, changed_fields, field_values
from .rules import TransitionConflict
from .services import delete_org_object, save_org_object
from .views_base import OrgMixin


class OrgModelForm(forms.ModelForm):
    """ModelForm with the "why" that history records beside the change."""

    reason = forms.CharField(
        required=False,
        max_length=200,
        label="Reason for this change",
        help_text="Recorded in the history with your name.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Reason")


class BulkForm(ReasonForm):
    """The rows a bulk action applies to: those ticked on the list (`pk`, read from the
    request by the view), or every row matching the list's filters (`all_matching`, with
    the list's querystring in `query`)."""

    all_matching = forms.BooleanField(required=False, label="Every row that matches the filters")
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, migration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.migration = migration


class OrgListView(OrgMixin, ListView):
    filterset_class = None
    paginate_by = 50
    template_name = "objects/list.html"
    table_template = ""
    title = ""
    # Every column sorts: `?sort=<key>` ascending, `?sort=-<key>` descending. A column key
    # maps to a field path, a tuple of them, or an expression (an aggregate, say).
    sort_fields: dict = {}

    def decorate(self, queryset):
        """Joins and parent filters for the page; keep the query count constant."""
        return queryset

    def adjust_filterset(self, filterset):
        """Narrow filter choices further than the organization (e.g. to one migration)."""

    sort = ""

    def get_queryset(self):
        queryset = self.decorate(super().get_queryset())
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=queryset, request=self.request
        )
        self.adjust_filterset(self.filterset)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.sorted(self.filterset.qs)

    def sorted(self, queryset):
        requested = self.request.GET.get("sort", "")
        self.sort = requested if requested.removeprefix("-") in self.sort_fields else ""
        if not self.sort:
            return queryset
        descending = self.sort.startswith("-")
        fields = self.sort_fields[self.sort.removeprefix("-")]
        fields = fields if isinstance(fields, tuple) else (fields,)
        # An expression (an aggregate, say) is annotated first: order_by needs a name.
        names = []
        for index, value in enumerate(fields):
            if not isinstance(value, str):
                queryset = queryset.annotate(**{f"sort_by_{index}": value})
                value = f"sort_by_{index}"
            names.append(value)
        ordering = [(F(n).desc(nulls_last=True) if descending else F(n).asc(nulls_last=True))
                    for n in names]  # fmt: skip
        return queryset.order_by(*ordering, "-pk" if descending else "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        unsorted = query.copy()
        unsorted.pop("sort", None)
        context.update(
            filter=self.filterset,
            table_template=self.table_template,
            title=self.title,
            querystring=query.urlencode(),
            sort=self.sort,
            sort_fields=self.sort_fields,
            unsorted_querystring=unsorted.urlencode(),
            create_url=self.get_create_url(),
        )
        return context

    def get_create_url(self):
        return None


class OrgDetailView(OrgMixin, DetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = "detail"
        return context


class OrgHistoryView(OrgMixin, DetailView):
    template_name = "objects/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = "history"
        context["rows"] = history_rows(self.object)
        return context


class _OrgSaveMixin:
    template_name = "objects/form.html"
    success_message = "Saved."

    # The service that writes; a model with its own write rules names its service here.
    # It takes `fields`: what this form changed (the rest is kept as others left it).
    save_service = staticmethod(save_org_object)
    _loaded_values = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        instance = kwargs.get("instance")
        if instance is not None and instance.pk is not None:
            # As loaded, before the form writes into it: what differs at save time is
            # what this form changed (tenancy.locking).
            self._loaded_values = field_values(instance)
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self._loaded_values is not None:
            # A field the user left alone is not written back even when someone
            # changed it between the page's load and its save.
            carry_shown_values(form)
        return form

    @staticmethod
    def _left_as_shown(form) -> set[str]:
        """The fields whose shown value came back with the form, unchanged."""
        return {
            name
            for name in form.fields
            if form.add_initial_prefix(name) in form.data and name not in form.changed_data
        }

    def form_valid(self, form):
        instance = form.save(commit=False)
        fields = None
        if self._loaded_values is not None:
            fields = changed_fields(instance, self._loaded_values) - self._left_as_shown(form)
        try:
            self.object = self.save_service(
                instance,
                organization=self.organization,
                by=self.request.user,
                reason=form.cleaned_data.get("reason", ""),
                fields=fields,
            )
        except TransitionConflict as exc:
            form.add_error(None, f"Nothing changed: {exc}")
            return self.form_invalid(form)
        except ValidationError as exc:
            # Rules only the full model check sees (e.g. MAC unique per organization).
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        form.save_m2m()
        messages.success(self.request, f"{self.success_message} {self.object}")
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        return self.object.get_absolute_url()


class OrgCreateView(_OrgSaveMixin, OrgMixin, CreateView):
    success_message = "Created"

    def new_instance(self):
        """The unsaved object the form fills; subclasses attach parents here."""
        return self.model(organization=self.organization)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.new_instance()
        return kwargs


class OrgUpdateView(_OrgSaveMixin, OrgMixin, UpdateView):
    success_message = "Saved"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = "edit"
        return context


class OrgDeleteView(OrgMixin, DeleteView):
    template_name = "objects/confirm_delete.html"
    form_class = ReasonForm

    def get_success_url(self):
        raise NotImplementedError

    def form_valid(self, form):
        success_url = self.get_success_url()
        label = str(self.object)
        try:
            delete_org_object(
                self.object,
                organization=self.organization,
                by=self.request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ProtectedError as exc:
            blockers = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            messages.error(
                self.request,
                f"{label} was not deleted: {', '.join(blockers)} still depend on it. "
                "Move or delete them first.",
            )
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(self.request, f"Deleted {label}.")
        return HttpResponseRedirect(success_url)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = "delete"
        return context
