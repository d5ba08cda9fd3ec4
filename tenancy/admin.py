from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

from .admin_base import MembershipAdmin, OrganizationAdmin  # noqa: F401  (registers them)

# Keys are personal tokens now (tenancy.models.ApiToken, created on the "API tokens" page
# and stored hashed); the old plain-text token table stays empty.
admin.site.unregister(TokenProxy)
