from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    label = "sites"
    verbose_name = "Sites and endpoints"

    def ready(self):
        from customers.hooks import MIGRATION_COUNTS

        from .selectors import with_site_and_endpoint_counts

        MIGRATION_COUNTS.register(with_site_and_endpoint_counts)
