import django_filters
from django import forms
from django.db.models import Q

from .scoping import scope_form_fields

ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


class OrgFilterSet(django_filters.FilterSet):
    """FilterSet whose model-choice filters only offer the request's organization's rows.

    A filter value from another organization is then an invalid choice, never a leak."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="filter_search", label="Search")

    def __init__(self, data=None, queryset=None, *, request=None, organization=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self.organization = organization or getattr(request, "organization", None)
        if self.organization is None:
            raise ValueError("OrgFilterSet needs the organization")
        scope_form_fields(self.filters, self.organization)
        for flt in self.filters.values():
            if isinstance(flt, django_filters.BooleanFilter):
                flt.extra["widget"] = forms.Select(choices=ANY_YES_NO)
            elif isinstance(flt, django_filters.ChoiceFilter | django_filters.ModelChoiceFilter):
                flt.extra["empty_label"] = "Any"

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()
        if not value or not self.search_fields:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)
