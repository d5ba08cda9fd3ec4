from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Organizations"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import freshness

        # Cached pages carry their organization's data version (tenancy/freshness.py).
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(freshness.changed, dispatch_uid=f"org-data-version-{signal!r}")
