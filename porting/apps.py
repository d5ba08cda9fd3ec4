from django.apps import AppConfig


class PortingConfig(AppConfig):
    name = "porting"
    verbose_name = "Numbers and porting"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
