from django.apps import AppConfig


class RowSecurityConfig(AppConfig):
    name = "rowsecurity"
    verbose_name = "Row-level security"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checks)
