"""django.contrib.admin with tenancy's site (a module of its own: an apps.py with two
AppConfigs would make Django guess which one "tenancy" means)."""

from django.contrib.admin.apps import AdminConfig


class ScopedAdminConfig(AdminConfig):
    """Owners reach the admin too, scoped to their organizations' rows."""

    default_site = "tenancy.admin_base.ScopedAdminSite"
