from django.apps import AppConfig


class PortingConfig(AppConfig):
    name = "porting"
    verbose_name = "Numbers and porting"

    def ready(self):
        from customers.hooks import MIGRATION_COUNTS

        from .selectors import with_number_counts

        MIGRATION_COUNTS.register(with_number_counts)
