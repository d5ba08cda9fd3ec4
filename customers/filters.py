import django_filters

from tenancy.filters import OrgFilterSet

from .models import Customer, Migration


class CustomerFilter(OrgFilterSet):
    search_fields = ("legal_name", "dba_name", "main_contact_name", "main_contact_email")

    class Meta:
        model = Customer
        fields = ["handles_health_information", "takes_card_payments_by_phone"]


class MigrationFilter(OrgFilterSet):
    search_fields = ("name", "customer__legal_name", "uuid")
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all())

    class Meta:
        model = Migration
        fields = ["customer", "status", "owner"]
