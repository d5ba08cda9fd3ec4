from django import forms
from django.contrib import admin

from tenancy.admin_base import OrgScopedAdmin, admin_organizations

from .models import Customer, Migration


class CustomerAdminForm(forms.ModelForm):
    organization = forms.ModelChoiceField(queryset=None)

    class Meta:
        model = Customer
        fields = "__all__"

    def __init__(self, *args, request_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = admin_organizations(request_user)
        if self.instance.pk:
            self.fields["organization"].disabled = True
            self.fields["organization"].initial = self.instance.organization_id

    def save(self, commit=True):
        self.instance.organization = self.cleaned_data["organization"]
        return super().save(commit)


@admin.register(Customer)
class CustomerAdmin(OrgScopedAdmin):
    list_display = ["legal_name", "dba_name", "organization", "handles_health_information"]
    list_filter = ["handles_health_information", "takes_card_payments_by_phone"]
    search_fields = ["legal_name", "dba_name"]
    form = CustomerAdminForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request_user=request.user, **kw)

        return ScopedForm


@admin.register(Migration)
class MigrationAdmin(OrgScopedAdmin):
    list_display = ["name", "customer", "status", "owner", "uuid"]
    list_filter = ["status"]
    search_fields = ["name", "customer__legal_name", "uuid"]
    readonly_fields = ["uuid"]
