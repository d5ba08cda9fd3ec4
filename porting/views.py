from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from tenancy.views_base import OrgMixin
from tenancy.views_crud import (
    OrgCreateView,
    OrgDeleteView,
    OrgDetailView,
    OrgHistoryView,
    OrgListView,
    OrgUpdateView,
    ParentMigrationMixin,
)

from .filters import PhoneNumberFilter
from .forms import PhoneNumberForm, TransitionForm
from .models import PhoneNumber
from .services import MANUAL_NUMBER_TRANSITIONS, transition_number


class NumberViews:
    model = PhoneNumber

    def get_queryset(self):
        return super().get_queryset().select_related("site", "endpoint", "migration__customer")


class NumberList(ParentMigrationMixin, NumberViews, OrgListView):
    filterset_class = PhoneNumberFilter
    table_template = "porting/_number_table.html"
    title = "Numbers"
    template_name = "sites/list.html"

    def decorate(self, queryset):
        return queryset.filter(migration=self.get_migration())

    def get_create_url(self):
        return reverse("number-create", args=[self.organization.slug, self.get_migration().uuid])


class NumberDetail(NumberViews, OrgDetailView):
    template_name = "porting/number_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        available = {t.name for t in self.object.get_available_status_transitions()}
        context["transitions"] = [
            (name, name.replace("_", " ").capitalize())
            for name in MANUAL_NUMBER_TRANSITIONS
            if name in available
        ]
        return context


class _NumberFormMixin:
    form_class = PhoneNumberForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["migration"] = self.form_migration()
        return kwargs


class NumberCreate(_NumberFormMixin, ParentMigrationMixin, NumberViews, OrgCreateView):
    def form_migration(self):
        return self.get_migration()

    def new_instance(self):
        return PhoneNumber(organization=self.organization, migration=self.get_migration())


class NumberUpdate(_NumberFormMixin, NumberViews, OrgUpdateView):
    def form_migration(self):
        return self.object.migration


class NumberDelete(NumberViews, OrgDeleteView):
    def get_success_url(self):
        return reverse("number-list", args=[self.organization.slug, self.object.migration.uuid])


class NumberHistory(NumberViews, OrgHistoryView):
    pass


class NumberTransition(OrgMixin, SingleObjectMixin, View):
    model = PhoneNumber
    http_method_names = ["post"]

    def post(self, request, org_slug, pk):
        number = self.get_object()
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a transition.")
        else:
            try:
                transition_number(
                    number,
                    form.cleaned_data["transition"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, "Status updated.")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(number.get_absolute_url())
