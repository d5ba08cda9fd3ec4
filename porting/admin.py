from django.contrib import admin

from tenancy.admin_base import OrgScopedAdmin

from .models import PhoneNumber


@admin.register(PhoneNumber)
class PhoneNumberAdmin(OrgScopedAdmin):
    list_display = ["number", "kind", "purpose", "status", "migration", "endpoint"]
    list_filter = ["kind", "purpose", "status"]
    search_fields = ["number"]
    readonly_fields = ["status", "kind"]
