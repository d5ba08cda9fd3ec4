from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Organizations"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        import rowsecurity

        from . import freshness, system_checks  # noqa: F401 (system_checks registers)
        from .scoping import OrgScopedModel

        # Every organization-scoped table gets a row-level security policy (rowsecurity/).
        rowsecurity.register_scoped_base(OrgScopedModel)

        # Cached pages carry their organization's data version (tenancy/freshness.py).
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(freshness.changed, dispatch_uid=f"org-data-version-{signal!r}")
